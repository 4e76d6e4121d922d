package dev.lb.benchmarks;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.benchmarks.peers.BalancerType;
import dev.lb.benchmarks.peers.PickTarget;
import dev.lb.limit.ConcurrencyLimits;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of picking, lb's strategies and the peers' side by side over the same endpoints, in two
 * shapes (see {@link PickTarget}): the selection alone ({@code pick}, lb's {@code choose}: nothing
 * counted), and one call's whole trip ({@code pickAndRelease}: pick, then release with a success
 * where the library counts calls in flight). Run with {@code -prof gc} to see the allocation: lb's
 * selection allocates nothing, and a call's lease is its only object.
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark -prof gc
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark -p type=LB_ROUND_ROBIN,GRPC_ROUND_ROBIN
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark.pick -p type=LB_P2C -p weights=equal
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark.pickAndRelease -p type=LB_P2C \
 *     -p endpoints=100 -p limit=none,maxInFlight,endpoint-vegas,endpoint-gradient,balancer-gradient
 * </pre>
 *
 * <p>One instance is shared by the benchmark's threads ({@link Scope#Benchmark}), as one balancer
 * is shared by a client's threads; the two-thread variant shows what contention costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PickBenchmark {
  /** The balancer under test. */
  @Param public BalancerType type;

  /** How many endpoints it balances over. */
  @Param({"10", "100", "1000"})
  public int endpoints;

  /**
   * The endpoints' weights: {@code mixed} (1 to 5, the default) or {@code equal} (all 1), which
   * lets weighted strategies take their cheaper uniform path, as the peers that ignore weights do.
   */
  @Param({"mixed"})
  public String weights;

  /**
   * The concurrency limit of an lb balancer ({@code none} for the others): {@code none}; {@code
   * maxInFlight}, the fixed cap of {@code maxInFlightPerEndpoint(1000)}; {@code endpoint-fixed},
   * {@code endpoint-vegas}, {@code endpoint-gradient}, a per-endpoint {@code ConcurrencyLimit};
   * {@code balancer-fixed}, {@code balancer-gradient}, a balancer-wide one. Limits high enough
   * never to refuse: what is measured is their cost on admission and on the report.
   */
  @Param({"none"})
  public String limit = "none";

  private PickTarget target;

  /** Builds the balancer (not measured). */
  @Setup
  public void setUp() {
    if (!"none".equals(limit)) {
      target = limited(type.strategyName(), "equal".equals(weights));
      return;
    }
    target =
        switch (weights) {
          case "mixed" -> type.create(endpoints, false);
          case "equal" -> type.create(endpoints, true);
          default ->
              throw new IllegalArgumentException(
                  "weights must be mixed or equal but was '" + weights + "'");
        };
  }

  private PickTarget limited(String strategy, boolean equalWeights) {
    LoadBalancer.Builder b =
        LoadBalancer.builder()
            .name("bench")
            .strategy(StrategyRegistry.byName(strategy))
            .endpoints(Backends.endpoints(endpoints, equalWeights));
    switch (limit) {
      case "maxInFlight" -> b.maxInFlightPerEndpoint(1_000);
      case "endpoint-fixed" -> b.concurrencyLimitPerEndpoint(ConcurrencyLimits.fixed(1_000));
      case "endpoint-vegas" ->
          b.concurrencyLimitPerEndpoint(
              ConcurrencyLimits.vegas().initialLimit(1_000).minLimit(1_000).build());
      case "endpoint-gradient" ->
          b.concurrencyLimitPerEndpoint(
              ConcurrencyLimits.gradient().initialLimit(1_000).minLimit(1_000).build());
      case "balancer-fixed" -> b.concurrencyLimit(ConcurrencyLimits.fixed(1_000_000));
      case "balancer-gradient" ->
          b.concurrencyLimit(
              ConcurrencyLimits.gradient().initialLimit(1_000).minLimit(1_000).build());
      default -> throw new IllegalArgumentException("unknown limit '" + limit + "'");
    }
    LoadBalancer balancer = b.build();
    return PickTarget.of(
        () -> balancer.choose(PickContext.none()),
        () -> {
          Lease lease = balancer.pick();
          lease.onSuccess(1_000_000L, 512);
          return lease;
        });
  }

  /**
   * One selection on one thread, nothing counted.
   *
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(1)
  public Object pick() {
    return target.pick();
  }

  /**
   * One selection, two threads sharing the balancer, nothing counted.
   *
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(2)
  public Object pick2Threads() {
    return target.pick();
  }

  /**
   * One pick and release on one thread.
   *
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(1)
  public Object pickAndRelease() {
    return target.pickAndRelease();
  }

  /**
   * One pick and release, two threads sharing the balancer.
   *
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(2)
  public Object pickAndRelease2Threads() {
    return target.pickAndRelease();
  }
}
