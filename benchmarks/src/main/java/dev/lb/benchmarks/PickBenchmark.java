package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one call's trip through the balancer: {@code pick()}, then a success reported on the
 * lease. Run with {@code -prof gc} to see the allocation per call (the lease is the only object).
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PickBenchmark {
  @Param({
    "round_robin",
    "weighted_round_robin",
    "random",
    "weighted_random",
    "least_connections",
    "weighted_least_connections",
    "least_response_time",
    "least_bandwidth",
    "p2c",
    "peak_ewma"
  })
  public String strategy;

  @Param({"10", "100", "1000"})
  public int endpoints;

  private LoadBalancer balancer;

  @Setup
  public void setUp() {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      list.add(
          Endpoint.builder("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 8080)
              .weight(1 + i % 5)
              .build());
    }
    balancer = LoadBalancer.builder().strategy(Strategies.byName(strategy)).endpoints(list).build();
  }

  @Benchmark
  @Threads(1)
  public Lease pickAndRelease() {
    Lease lease = balancer.pick();
    lease.onSuccess(1_000_000L, 512);
    return lease;
  }

  @Benchmark
  @Threads(2)
  public Lease pickAndRelease2Threads() {
    Lease lease = balancer.pick();
    lease.onSuccess(1_000_000L, 512);
    return lease;
  }
}
