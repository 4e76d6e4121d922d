package dev.lb.benchmarks;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a circuit breaker adds to a successful call: acquire a permission, record the success.
 * resilience4j's default count-based breaker is the reference; lb's breaker ({@code
 * dev.lb.breaker}) and rate limiter ({@code dev.lb.limit}) join here when they land in lb-core.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar BreakerBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BreakerBenchmark {
  private CircuitBreaker resilience4j;

  /** Builds the breakers, closed. */
  @Setup
  public void setUp() {
    resilience4j = CircuitBreaker.ofDefaults("bench");
  }

  /**
   * resilience4j: permission, then success.
   *
   * @return whether the permission was granted, consumed by JMH
   */
  @Benchmark
  @Threads(1)
  public boolean resilience4jSuccess() {
    boolean permitted = resilience4j.tryAcquirePermission();
    resilience4j.onSuccess(1_000_000L, TimeUnit.NANOSECONDS);
    return permitted;
  }

  /**
   * resilience4j on two threads sharing one breaker.
   *
   * @return whether the permission was granted, consumed by JMH
   */
  @Benchmark
  @Threads(2)
  public boolean resilience4jSuccess2Threads() {
    return resilience4jSuccess();
  }
}
