/**
 * lb-grpc: lb-core inside gRPC-java channels. See {@link dev.lb.grpc.LbLoadBalancerProvider} for
 * the load-balancing policies and {@link dev.lb.grpc.LbNameResolverProvider} for the {@code lb}
 * name resolver; both are found by gRPC through the services this module provides (and through
 * {@code META-INF/services} on the class path).
 *
 * <p>grpc-java ships automatic modules: {@code io.grpc} is grpc-api's stable {@code
 * Automatic-Module-Name}, the only gRPC module this one reads; the warning javac gives for
 * requiring an automatic module is suppressed here, knowingly.
 */
@SuppressWarnings("requires-automatic")
module dev.lb.grpc {
  requires transitive dev.lb.core;
  requires transitive io.grpc;
  requires static org.jspecify;
  // Optional: gRPC's ORCA API, which reads the endpoint-load-metrics-bin trailer for
  // orca_weighted_round_robin. On the module path, add it with --add-modules io.grpc.xds.
  requires static io.grpc.xds;
  requires static io.grpc.services;

  exports dev.lb.grpc;

  provides io.grpc.LoadBalancerProvider with
      dev.lb.grpc.LbLoadBalancerProvider,
      dev.lb.grpc.LbLoadBalancerProvider.RoundRobin,
      dev.lb.grpc.LbLoadBalancerProvider.WeightedRoundRobin,
      dev.lb.grpc.LbLoadBalancerProvider.Random,
      dev.lb.grpc.LbLoadBalancerProvider.WeightedRandom,
      dev.lb.grpc.LbLoadBalancerProvider.LeastConnections,
      dev.lb.grpc.LbLoadBalancerProvider.WeightedLeastConnections,
      dev.lb.grpc.LbLoadBalancerProvider.LeastResponseTime,
      dev.lb.grpc.LbLoadBalancerProvider.LeastBandwidth,
      dev.lb.grpc.LbLoadBalancerProvider.PowerOfTwoChoices,
      dev.lb.grpc.LbLoadBalancerProvider.PeakEwma,
      dev.lb.grpc.LbLoadBalancerProvider.OrcaWeightedRoundRobin,
      dev.lb.grpc.LbLoadBalancerProvider.Prequal,
      dev.lb.grpc.LbLoadBalancerProvider.RingHash,
      dev.lb.grpc.LbLoadBalancerProvider.Maglev,
      dev.lb.grpc.LbLoadBalancerProvider.RendezvousHash,
      dev.lb.grpc.LbLoadBalancerProvider.JumpHash,
      dev.lb.grpc.LbLoadBalancerProvider.BoundedLoadHash,
      dev.lb.grpc.LbLoadBalancerProvider.ModuloHash;
  provides io.grpc.NameResolverProvider with
      dev.lb.grpc.LbNameResolverProvider;
}
