/**
 * Endpoints from an xDS control plane: {@link dev.lb.xds.XdsEndpointSource}, an {@link
 * dev.lb.discovery.EndpointSource} that follows one cluster's CDS and EDS resources over Envoy's
 * aggregated discovery service (ADS, xDS v3, state of the world), with ACK/NACK, and {@link
 * dev.lb.xds.XdsClusterPolicy}, the cluster's balancing settings it reports.
 */
@NullMarked
package dev.lb.xds;

import org.jspecify.annotations.NullMarked;
