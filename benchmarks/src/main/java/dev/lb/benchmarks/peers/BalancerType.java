package dev.lb.benchmarks.peers;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.LoadReport;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.benchmarks.Backends;
import dev.lb.probe.ProbeResult;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Prequal;
import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.dubbo.rpc.cluster.loadbalance.LeastActiveLoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.RandomLoadBalance;
import org.apache.dubbo.rpc.cluster.loadbalance.RoundRobinLoadBalance;
import org.jspecify.annotations.Nullable;

/**
 * Every balancer the pick benchmarks run side by side: lb's strategies and the peers', each built
 * over the same {@link Backends#endpoints(int) endpoints}. The JMH {@code @Param} of {@code
 * PickBenchmark}, in the style of Caffeine's {@code CacheType}.
 */
public enum BalancerType {
  /** lb {@code round_robin}. */
  LB_ROUND_ROBIN,
  /** lb {@code weighted_round_robin} (smooth, nginx). */
  LB_WEIGHTED_ROUND_ROBIN,
  /** lb {@code random}. */
  LB_RANDOM,
  /** lb {@code weighted_random} (alias method). */
  LB_WEIGHTED_RANDOM,
  /** lb {@code least_connections} (O(n) scan). */
  LB_LEAST_CONNECTIONS,
  /** lb {@code weighted_least_connections} (O(n) scan). */
  LB_WEIGHTED_LEAST_CONNECTIONS,
  /** lb {@code least_response_time} (O(n) scan). */
  LB_LEAST_RESPONSE_TIME,
  /** lb {@code least_bandwidth} (O(n) scan). */
  LB_LEAST_BANDWIDTH,
  /** lb {@code p2c} (least request of two). */
  LB_P2C,
  /** lb {@code peak_ewma}. */
  LB_PEAK_EWMA,
  /**
   * lb {@code orca_weighted_round_robin} (gRFC A58 static stride scheduler), its weights from load
   * reports that differ per endpoint (no blackout, so they apply at once).
   */
  LB_ORCA_WEIGHTED_ROUND_ROBIN,
  /**
   * lb {@code prequal}, its pool kept full: a prober that answers at once with answers that differ
   * per endpoint (RIF 0 to 7, latency 1 to 8 ms), a reuse budget and an age no pick reaches, and
   * one probe outstanding at most, so that every pick scans a full pool (the hot/cold rule's path,
   * not the fallback's) and the scheduler's probes (at most one per dispatch, 1,000 a second) stay
   * out of the per-pick allocation.
   */
  LB_PREQUAL,
  /** grpc-java {@code round_robin} (grpc-util). */
  GRPC_ROUND_ROBIN,
  /** grpc-java {@code least_request_experimental} (grpc-xds), choice count 2. */
  GRPC_LEAST_REQUEST,
  /**
   * grpc-java {@code weighted_round_robin} (grpc-xds); without ORCA load reports every weight is
   * equal, so this measures its static-stride scheduler at equal weights.
   */
  GRPC_WEIGHTED_ROUND_ROBIN,
  /** Dubbo {@code RoundRobinLoadBalance} (smooth weighted). */
  DUBBO_ROUND_ROBIN,
  /** Dubbo {@code RandomLoadBalance} (weighted). */
  DUBBO_RANDOM,
  /** Dubbo {@code LeastActiveLoadBalance}, counting calls in {@code RpcStatus}. */
  DUBBO_LEAST_ACTIVE,
  /** Armeria round robin. */
  ARMERIA_ROUND_ROBIN,
  /** Armeria weighted round robin. */
  ARMERIA_WEIGHTED_ROUND_ROBIN,
  /** Armeria weighted random. */
  ARMERIA_WEIGHTED_RANDOM,
  /** Spring Cloud LoadBalancer {@code RoundRobinLoadBalancer}. */
  SPRING_ROUND_ROBIN,
  /** Vert.x {@code LoadBalancer.ROUND_ROBIN}. */
  VERTX_ROUND_ROBIN,
  /** Vert.x {@code LoadBalancer.RANDOM}. */
  VERTX_RANDOM,
  /** Vert.x {@code LoadBalancer.LEAST_REQUESTS} (O(n) scan). */
  VERTX_LEAST_REQUESTS,
  /** Vert.x {@code LoadBalancer.POWER_OF_TWO_CHOICES}. */
  VERTX_POWER_OF_TWO_CHOICES;

  /**
   * Builds this balancer over {@code n} endpoints of weights 1 to 5.
   *
   * @param n the number of endpoints, at least 1
   * @return a ready target; thread-safe
   */
  public PickTarget create(int n) {
    return create(n, false);
  }

  /**
   * Builds this balancer over {@code n} endpoints, for libraries that honour weights with the
   * weights {@link Backends#weight(int, boolean)} gives.
   *
   * @param n the number of endpoints, at least 1
   * @param equalWeights true for weight 1 everywhere, false for weights 1 to 5
   * @return a ready target; thread-safe
   */
  public PickTarget create(int n, boolean equalWeights) {
    return switch (this) {
      case GRPC_ROUND_ROBIN -> GrpcPeers.pickTarget("round_robin", Map.of(), n);
      case GRPC_LEAST_REQUEST ->
          GrpcPeers.pickTarget("least_request_experimental", Map.of("choiceCount", 2.0), n);
      case GRPC_WEIGHTED_ROUND_ROBIN -> GrpcPeers.pickTarget("weighted_round_robin", Map.of(), n);
      case DUBBO_ROUND_ROBIN ->
          DubboPeers.pickTarget(new RoundRobinLoadBalance(), false, n, equalWeights);
      case DUBBO_RANDOM -> DubboPeers.pickTarget(new RandomLoadBalance(), false, n, equalWeights);
      case DUBBO_LEAST_ACTIVE ->
          DubboPeers.pickTarget(new LeastActiveLoadBalance(), true, n, equalWeights);
      case ARMERIA_ROUND_ROBIN -> ArmeriaPeers.roundRobin(n, equalWeights);
      case ARMERIA_WEIGHTED_ROUND_ROBIN -> ArmeriaPeers.weightedRoundRobin(n, equalWeights);
      case ARMERIA_WEIGHTED_RANDOM -> ArmeriaPeers.weightedRandom(n, equalWeights);
      case SPRING_ROUND_ROBIN -> SpringPeers.roundRobin(n);
      case VERTX_ROUND_ROBIN ->
          VertxPeers.pickTarget(io.vertx.core.net.endpoint.LoadBalancer.ROUND_ROBIN, n);
      case VERTX_RANDOM -> VertxPeers.pickTarget(io.vertx.core.net.endpoint.LoadBalancer.RANDOM, n);
      case VERTX_LEAST_REQUESTS ->
          VertxPeers.pickTarget(io.vertx.core.net.endpoint.LoadBalancer.LEAST_REQUESTS, n);
      case VERTX_POWER_OF_TWO_CHOICES ->
          VertxPeers.pickTarget(io.vertx.core.net.endpoint.LoadBalancer.POWER_OF_TWO_CHOICES, n);
      default -> lb(strategyName(), n, equalWeights);
    };
  }

  /**
   * The lb strategy name of an {@code LB_} constant.
   *
   * @return for example {@code round_robin} for {@link #LB_ROUND_ROBIN}
   * @throws IllegalStateException if this is a peer
   */
  public String strategyName() {
    if (!name().startsWith("LB_")) {
      throw new IllegalStateException(name() + " is not an lb strategy");
    }
    return name().substring(3).toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * This lb strategy over {@code n} backends, behind a subsetting: client 7 of {@code n / size}
   * under deterministic aperture, so that the subset is {@code size} of the {@code n}.
   *
   * @param n how many endpoints
   * @param equalWeights all weights 1 if true, 1 to 5 otherwise
   * @param subsetting the subsetting
   * @return the adapter
   * @throws IllegalStateException if this is a peer
   */
  public PickTarget createWithSubsetting(int n, boolean equalWeights, Subsetting subsetting) {
    return lb(strategyName(), n, equalWeights, subsetting);
  }

  /**
   * This lb strategy over {@code n} backends, keeping each endpoint's latency percentiles over
   * {@code latencyWindow} ({@link Duration#ZERO} for none; the balancer's default is 60 s).
   *
   * @param n how many endpoints
   * @param equalWeights all weights 1 if true, 1 to 5 otherwise
   * @param latencyWindow the balancer's {@code latencyWindow}
   * @return the adapter
   * @throws IllegalStateException if this is a peer
   */
  public PickTarget createWithLatencyWindow(int n, boolean equalWeights, Duration latencyWindow) {
    return lb(strategyName(), n, equalWeights, null, latencyWindow);
  }

  private static PickTarget lb(String strategy, int n, boolean equalWeights) {
    return lb(strategy, n, equalWeights, null);
  }

  private static PickTarget lb(
      String strategy, int n, boolean equalWeights, @Nullable Subsetting subsetting) {
    return lb(strategy, n, equalWeights, subsetting, null);
  }

  private static PickTarget lb(
      String strategy,
      int n,
      boolean equalWeights,
      @Nullable Subsetting subsetting,
      @Nullable Duration latencyWindow) {
    boolean orca = strategy.equals(OrcaWeightedRoundRobin.NAME);
    boolean prequal = strategy.equals(Prequal.NAME);
    LoadBalancer.Builder builder =
        LoadBalancer.builder()
            .name("bench")
            .strategy(
                orca
                    ? OrcaWeightedRoundRobin.builder().blackoutPeriod(Duration.ZERO).build()
                    : prequal ? fullPoolPrequal() : StrategyRegistry.byName(strategy))
            .endpoints(Backends.endpoints(n, equalWeights));
    if (latencyWindow != null) {
      builder.latencyWindow(latencyWindow);
    }
    if (subsetting != null) {
      builder
          .subsetting(subsetting)
          .clientCoordinate(ClientCoordinate.of(7, Math.max(8, n / subsetting.size())));
    }
    LoadBalancer balancer = builder.build();
    if (orca) {
      reportVariedLoad(balancer);
    }
    if (prequal) {
      fillPool(balancer);
    }
    return PickTarget.of(
        () -> balancer.choose(PickContext.none()),
        latencyNanos -> {
          Lease lease = balancer.pick();
          lease.onSuccess(latencyNanos, 512);
          return lease;
        });
  }

  private static Prequal fullPoolPrequal() {
    return Prequal.builder()
        .prober(
            endpoint -> {
              int h = Math.floorMod(endpoint.id().hashCode(), 8);
              return CompletableFuture.completedFuture(ProbeResult.of(h, (h + 1) * 1_000_000L));
            })
        .reuseBudget(Integer.MAX_VALUE)
        .maxProbeAge(Duration.ofHours(1))
        .maxOutstandingProbes(1)
        .build();
  }

  /** Picks until the dispatcher (1 ms) has filled the pool; setup, not measured. */
  private static void fillPool(LoadBalancer balancer) {
    long end = System.nanoTime() + 100_000_000L;
    while (System.nanoTime() < end) {
      balancer.pick().onSuccess(1_000_000L);
      Thread.onSpinWait();
    }
  }

  /**
   * Gives every endpoint a load report (utilization 0.2 to 0.9, equal qps), then rebuilds the
   * picker, which takes in the reports at once (its timer would within a second).
   */
  private static void reportVariedLoad(LoadBalancer balancer) {
    List<Endpoint> endpoints = balancer.endpoints();
    for (int i = 0; i < endpoints.size(); i++) {
      balancer.reportLoad(
          endpoints.get(i).id(),
          LoadReport.builder().requestsPerSecond(100).cpuUtilization(0.2 + 0.1 * (i % 8)).build());
    }
    Endpoint first = endpoints.get(0);
    balancer.reweight(first.id(), first.weight() + 1);
    balancer.reweight(first.id(), first.weight());
  }
}
