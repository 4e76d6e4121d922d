/**
 * Endpoints from the Kubernetes API: {@link dev.lb.kubernetes.KubernetesEndpointSource}, an {@link
 * dev.lb.discovery.EndpointSource} that watches a service's EndpointSlices ({@code
 * discovery.k8s.io/v1}) through a fabric8 {@code kubernetes-client} informer.
 */
@NullMarked
package dev.lb.kubernetes;

import org.jspecify.annotations.NullMarked;
