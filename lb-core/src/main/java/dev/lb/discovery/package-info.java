/**
 * Service discovery: where a balancer's membership comes from when it changes at run time.
 *
 * <p>An {@link dev.lb.discovery.EndpointSource} pushes complete endpoint sets to an {@link
 * dev.lb.discovery.EndpointSink}; a {@link dev.lb.discovery.DiscoveryBinding} is the sink that
 * applies them to a {@link dev.lb.LoadBalancer} (or to any consumer of endpoint lists, such as an
 * adapter's service group), keeps the last good set while the source fails, and reports what
 * happened through a {@link dev.lb.discovery.DiscoveryListener} and a {@link
 * dev.lb.discovery.DiscoveryStatus}.
 *
 * <p>Built-in sources, all JDK-only: {@link dev.lb.discovery.DnsEndpointSource} (A/AAAA and SRV
 * records, queried through JNDI so that every refresh is a real lookup) and {@link
 * dev.lb.discovery.FileEndpointSource} (a JSON or properties file, polled). Polling sources refresh
 * on a {@link dev.lb.Scheduler} according to a {@link dev.lb.discovery.RefreshPolicy}. The {@code
 * lb-zookeeper} module adds Apache Curator service discovery, and {@code lb-kubernetes} Kubernetes
 * EndpointSlices.
 */
@NullMarked
package dev.lb.discovery;

import org.jspecify.annotations.NullMarked;
