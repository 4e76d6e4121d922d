package dev.lb.benchmarks;

import dev.lb.benchmarks.peers.BalancerType;
import dev.lb.benchmarks.peers.PickTarget;
import dev.lb.subset.Subsetting;
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
   * lb balancers only: {@code none} (the default), or a subsetting of 20 in front of the strategy
   * ({@code deterministic_aperture}, {@code random}), to show that the filter costs nothing per
   * pick.
   */
  @Param({"none"})
  public String subsetting;

  private PickTarget target;

  /** Builds the balancer (not measured). */
  @Setup
  public void setUp() {
    if (!subsetting.equals("none")) {
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
      target = type.createWithSubsetting(endpoints, weights.equals("equal"), s);
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
