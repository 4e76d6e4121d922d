/**
 * lb-core inside gRPC-java channels: the {@code lb} name resolver ({@link
 * dev.lb.grpc.LbNameResolverProvider} over an {@link dev.lb.grpc.EndpointRegistry}), one
 * load-balancing policy per lb-core strategy ({@link dev.lb.grpc.LbLoadBalancerProvider}), per-call
 * affinity keys ({@link dev.lb.grpc.LbCallOptions}), a channel's balancer statistics and events
 * ({@link dev.lb.grpc.LbChannels}) and the standard gRPC health protocol as an lb-core health
 * checker ({@link dev.lb.grpc.GrpcHealthChecker}).
 *
 * <pre>{@code
 * EndpointRegistry.global().set("users", List.of(
 *     Endpoint.of("10.0.0.1", 8080),
 *     Endpoint.builder("10.0.0.2", 8080).weight(3).build()));
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("lb:///users")
 *     .defaultLoadBalancingPolicy("lb_peak_ewma")
 *     .usePlaintext()
 *     .build();
 * }</pre>
 *
 * <h2>Threading</h2>
 *
 * <p>Every change to a policy's state runs on the channel's {@link io.grpc.SynchronizationContext},
 * as gRPC requires: resolved addresses, subchannel states, configuration, and all of its lb-core
 * balancer's state (membership, connectivity mark-downs, health checks and their results, ejections
 * and their ends, breaker moves, slow-start steps, drains), which the balancer hands to that
 * context through {@code LoadBalancer.Builder.stateExecutor}. Balancer events, and so listeners and
 * the channel's logging, run there too. Picks run on the calling threads and never wait: they read
 * the lb-core balancer's immutable snapshot and an immutable map of READY subchannels, and register
 * the pick's lease in a concurrent set until its stream starts. Call outcomes are reported on the
 * lease from gRPC's transport threads by a stream tracer (lock-free counters); a pick whose stream
 * never starts (gRPC drops it when the subchannel has just lost its transport) is cancelled on the
 * synchronization context when the subchannel leaves READY, so every pick's lease is reported
 * exactly once.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}.
 */
@NullMarked
package dev.lb.grpc;

import org.jspecify.annotations.NullMarked;
