/**
 * Endpoints and balancing policy from an xDS control plane: {@link dev.lb.xds.XdsEndpointSource},
 * an {@link dev.lb.discovery.EndpointSource} that follows one cluster's CDS and EDS resources over
 * Envoy's aggregated discovery service (ADS, xDS v3, state of the world), with ACK/NACK, and
 * switches a {@link dev.lb.SwitchableStrategy} to the cluster's LB policy; {@link
 * dev.lb.xds.XdsClusterPolicy}, the cluster's balancing settings it reports; {@link
 * dev.lb.xds.XdsBootstrap}, gRPC's bootstrap file; {@link dev.lb.xds.XdsCluster}, one watched
 * cluster feeding lb balancers and lb-grpc's registry.
 */
@NullMarked
package dev.lb.xds;

import org.jspecify.annotations.NullMarked;
