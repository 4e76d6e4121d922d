package dev.lb.benchmarks;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.benchmarks.peers.BalancerType;
import dev.lb.benchmarks.peers.PickTarget;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.subset.Subsetting;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p><b>What users run, not a fresh balancer.</b> Each balancer is warmed before it is measured
 * ({@link #WARM_CALLS_PER_ENDPOINT} calls per endpoint, seeded), and every call reports a latency
 * drawn from a seeded log-normal spread (median 1 ms, from 0.1 ms to 20 ms; {@link Calls}), so that
 * load-aware strategies rank endpoints by differing estimates and take their data path, as they do
 * in production, rather than the no-data path of a balancer that has seen no call, and not a tie
 * between equal latencies. Three forks per result, because one fork of two threads can land on
 * either of two steady states (how the JIT and the scheduler place the threads); the tables show
 * JMH's 99.9% error over all forks' iterations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(3)
public class PickBenchmark {
  /** Calls each balancer serves before it is measured, per endpoint: every endpoint has data. */
  public static final int WARM_CALLS_PER_ENDPOINT = 4;

  /** The balancer under test. */
  @Param public BalancerType type;

  /** How many endpoints it balances over. */
  @Param({"10", "100", "1000", "10000"})
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

  /**
   * lb balancers only: {@code none} (the default), or a subsetting of 20 in front of the strategy
   * ({@code deterministic_aperture}, {@code random}), to show that the filter costs nothing per
   * pick.
   */
  @Param({"none"})
  public String subsetting = "none";

  /**
   * lb balancers only: {@code default} (each endpoint keeps latency percentiles over 60 s, the
   * balancer's default), or {@code 0}, {@code latencyWindow(Duration.ZERO)}: no percentiles, one
   * cache line fewer written per call, as in peers that keep no latency statistics.
   */
  @Param({"default"})
  public String latencyWindow = "default";

  private PickTarget target;

  /** Builds the balancer and warms it (not measured). */
  @Setup
  public void setUp() {
    boolean equal =
        switch (weights) {
          case "mixed" -> false;
          case "equal" -> true;
          default ->
              throw new IllegalArgumentException(
                  "weights must be mixed or equal but was '" + weights + "'");
        };
    if (!"default".equals(latencyWindow) && !("none".equals(limit) && "none".equals(subsetting))) {
      throw new IllegalArgumentException(
          "latencyWindow is measured alone: with limit none and subsetting none, but they were '"
              + limit
              + "' and '"
              + subsetting
              + "'");
    }
    if (!"none".equals(limit)) {
      target = limited(type.strategyName(), equal);
    } else if (!"none".equals(subsetting)) {
      Subsetting s =
          switch (subsetting) {
            case "deterministic_aperture" -> Subsetting.deterministicAperture(20);
            case "random" -> Subsetting.random(20, 1);
            default ->
                throw new IllegalArgumentException(
                    "subsetting must be none, deterministic_aperture or random but was '"
                        + subsetting
                        + "'");
          };
      target = type.createWithSubsetting(endpoints, equal, s);
    } else if (!"default".equals(latencyWindow)) {
      if (!"0".equals(latencyWindow)) {
        throw new IllegalArgumentException(
            "latencyWindow must be default or 0 but was '" + latencyWindow + "'");
      }
      target = type.createWithLatencyWindow(endpoints, equal, Duration.ZERO);
    } else {
      target = type.create(endpoints, equal);
    }
    // Every variant is warmed alike (the limited and subsetted ones were not, before).
    Calls warm = new Calls(0x5eed);
    for (int i = 0; i < WARM_CALLS_PER_ENDPOINT * endpoints; i++) {
      target.pickAndRelease(warm.nextLatency());
    }
  }

  /**
   * One thread's stream of call latencies: 4,096 values drawn once from a seeded log-normal (median
   * 1 ms, sigma 0.7, clamped to 0.1-20 ms), read in turn; each thread gets its own seed.
   */
  @State(Scope.Thread)
  public static class Calls {
    private static final AtomicInteger SEEDS = new AtomicInteger();
    private final long[] latencies = new long[4096];
    private int next;

    /** A stream with the next thread's seed. */
    public Calls() {
      this(SEEDS.incrementAndGet());
    }

    Calls(long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = 0; i < latencies.length; i++) {
        double gaussian = gaussian(random);
        double ms = Math.exp(0.7 * gaussian);
        latencies[i] = (long) (Math.min(20.0, Math.max(0.1, ms)) * 1_000_000L);
      }
    }

    private static double gaussian(SplittableRandom random) {
      // Box-Muller; the JDK 17 SplittableRandom has no nextGaussian.
      double u = 1.0 - random.nextDouble();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /**
     * The next latency of this thread's stream.
     *
     * @return nanoseconds, 0.1 ms to 20 ms
     */
    public long nextLatency() {
      return latencies[next++ & (latencies.length - 1)];
    }
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
        latencyNanos -> {
          Lease lease = balancer.pick();
          lease.onSuccess(latencyNanos, 512);
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
   * @param calls this thread's latencies
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(1)
  public Object pickAndRelease(Calls calls) {
    return target.pickAndRelease(calls.nextLatency());
  }

  /**
   * One pick and release, two threads sharing the balancer.
   *
   * @param calls this thread's latencies
   * @return the chosen endpoint, consumed by JMH
   */
  @Benchmark
  @Threads(2)
  public Object pickAndRelease2Threads(Calls calls) {
    return target.pickAndRelease(calls.nextLatency());
  }
}
