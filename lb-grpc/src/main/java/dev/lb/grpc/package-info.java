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
 * <p>Every change to a policy's state (resolved addresses, subchannel states, configuration,
 * membership of its lb-core balancer) runs on the channel's {@link io.grpc.SynchronizationContext},
 * as gRPC requires; each change publishes a new picker. Picks run on the calling threads and are
 * lock-free: they read the lb-core balancer's immutable snapshot and an immutable map of READY
 * subchannels. Call outcomes are reported from gRPC's transport threads by a stream tracer; a pick
 * whose stream never starts (gRPC drops it when the subchannel has just lost its transport) is
 * cancelled on the synchronization context when the subchannel leaves READY, so every pick's lease
 * is reported exactly once. Balancer events reach listeners from the thread that made the change.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}.
 */
@NullMarked
package dev.lb.grpc;

import org.jspecify.annotations.NullMarked;
