package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.StrategyRegistry;
import dev.lb.health.OutlierDetection;
import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of changing membership at 1,000 endpoints, per strategy: building a balancer from
 * scratch, replacing the whole set with one that differs by one endpoint (a discovery refresh), and
 * reweighting one endpoint. Each change rebuilds the strategy's picker on the update path.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar MembershipBenchmark -p endpoints=1000
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MembershipBenchmark {
  /** The strategy whose picker is rebuilt. */
  @Param({
    "round_robin",
    "weighted_round_robin",
    "weighted_random",
    "least_connections",
    "p2c",
    "peak_ewma"
  })
  public String strategy;

  /** How many endpoints the balancer has. */
  @Param({"1000"})
  public int endpoints;

  /**
   * {@code none} (the default), or a subsetting of 20 in front of the strategy ({@code
   * deterministic_aperture}, {@code random}): what the filter adds to each change.
   */
  @Param({"none"})
  public String subsetting = "none";

  private List<Endpoint> even;
  private List<Endpoint> odd;
  private LoadBalancer balancer;
  private boolean flip;
  private int weight;

  /** Prepares two endpoint sets that differ by their last endpoint. */
  @Setup
  public void setUp() {
    even = Backends.endpoints(endpoints);
    List<Endpoint> other = new ArrayList<>(even);
    other.set(endpoints - 1, Endpoint.builder("10.255.255.255", 8080).build());
    odd = List.copyOf(other);
    balancer = newBalancer();
  }

  /** Stops the balancer's timers. */
  @TearDown
  public void tearDown() {
    balancer.close();
  }

  private LoadBalancer newBalancer() {
    LoadBalancer.Builder builder =
        LoadBalancer.builder()
            .name("bench")
            .strategy(StrategyRegistry.byName(strategy))
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(even);
    switch (subsetting) {
      case "none" -> {}
      case "deterministic_aperture" ->
          builder
              .subsetting(Subsetting.deterministicAperture(20))
              .clientCoordinate(ClientCoordinate.of(7, endpoints / 20));
      case "random" -> builder.subsetting(Subsetting.random(20, 1));
      default ->
          throw new IllegalArgumentException(
              "subsetting must be none, deterministic_aperture or random but was '"
                  + subsetting
                  + "'");
    }
    return builder.build();
  }

  /**
   * Builds a balancer and its first picker.
   *
   * @return the new balancer, consumed by JMH
   */
  @Benchmark
  public LoadBalancer build() {
    return newBalancer();
  }

  /**
   * Replaces the endpoint set with one that differs by one endpoint.
   *
   * @return whether the set changed (always true)
   */
  @Benchmark
  public boolean replaceOne() {
    flip = !flip;
    return balancer.setEndpoints(flip ? odd : even);
  }

  /**
   * Reweights one endpoint, alternating between two weights.
   *
   * @return whether the weight changed (always true)
   */
  @Benchmark
  public boolean reweightOne() {
    weight = weight == 7 ? 9 : 7;
    return balancer.reweight(even.get(0).id(), weight);
  }
}
