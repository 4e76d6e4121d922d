package dev.lb.benchmarks;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.Ticker;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.limit.RateLimiter;
import dev.lb.limit.RateLimiters;
import dev.lb.strategy.Strategies;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a circuit breaker or a rate limiter adds to a successful call: acquire a permission, record
 * the success. lb's breaker ({@code dev.lb.breaker}, count window, defaults) beside resilience4j's
 * default breaker; lb's four limiters with a limit no benchmark reaches; and a whole pick + release
 * through a round-robin balancer with a breaker and a limiter per endpoint, to compare with {@code
 * PickBenchmark}'s plain {@code LB_ROUND_ROBIN}.
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
  private dev.lb.breaker.CircuitBreaker lbBreaker;
  private RateLimiter tokenBucket;
  private RateLimiter leakyBucket;
  private RateLimiter fixedWindow;
  private RateLimiter slidingWindow;
  private LoadBalancer guarded;

  /** Builds the breakers (closed), the limiters and the guarded balancer. */
  @Setup
  public void setUp() {
    resilience4j = CircuitBreaker.ofDefaults("bench");
    lbBreaker =
        dev.lb.breaker.CircuitBreaker.of(
            "bench", CircuitBreakerConfig.ofDefaults(), Ticker.systemTicker());
    // 16.7 million permits per millisecond: never refuses, so the success path is measured.
    Duration period = Duration.ofMillis(1);
    tokenBucket = RateLimiters.tokenBucket(RateLimiters.MAX_PERMITS, period).build();
    leakyBucket = RateLimiters.leakyBucket(RateLimiters.MAX_PERMITS, period).build();
    fixedWindow = RateLimiters.fixedWindow(RateLimiters.MAX_PERMITS, period).build();
    slidingWindow = RateLimiters.slidingWindow(RateLimiters.MAX_PERMITS, period).build();
    guarded =
        LoadBalancer.builder()
            .name("guarded")
            .strategy(Strategies.roundRobin())
            .endpoints(Backends.endpoints(100))
            .circuitBreakers(CircuitBreakerFactory.of(CircuitBreakerConfig.ofDefaults()))
            .rateLimiters(
                (endpoint, ticker) ->
                    RateLimiters.tokenBucket(RateLimiters.MAX_PERMITS, period)
                        .ticker(ticker)
                        .build())
            .build();
  }

  /** Stops the balancer's timers. */
  @TearDown
  public void tearDown() {
    guarded.close();
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

  /**
   * lb's breaker: permission, then success.
   *
   * @return whether the permission was granted, consumed by JMH
   */
  @Benchmark
  @Threads(1)
  public boolean lbBreakerSuccess() {
    boolean permitted = lbBreaker.tryAcquirePermission();
    lbBreaker.onSuccess(1_000_000L);
    return permitted;
  }

  /**
   * lb's breaker on two threads sharing it.
   *
   * @return whether the permission was granted, consumed by JMH
   */
  @Benchmark
  @Threads(2)
  public boolean lbBreakerSuccess2Threads() {
    return lbBreakerSuccess();
  }

  /**
   * lb's token bucket, one permit.
   *
   * @return whether it was granted, consumed by JMH
   */
  @Benchmark
  public boolean tokenBucket() {
    return tokenBucket.tryAcquire();
  }

  /**
   * lb's leaky bucket, one permit.
   *
   * @return whether it was granted, consumed by JMH
   */
  @Benchmark
  public boolean leakyBucket() {
    return leakyBucket.tryAcquire();
  }

  /**
   * lb's fixed window, one permit.
   *
   * @return whether it was granted, consumed by JMH
   */
  @Benchmark
  public boolean fixedWindow() {
    return fixedWindow.tryAcquire();
  }

  /**
   * lb's sliding window, one permit.
   *
   * @return whether it was granted, consumed by JMH
   */
  @Benchmark
  public boolean slidingWindow() {
    return slidingWindow.tryAcquire();
  }

  /**
   * Pick + release through round robin over 100 endpoints, each with a breaker and a token bucket.
   *
   * @return the lease, consumed by JMH
   */
  @Benchmark
  public Lease guardedPickAndRelease() {
    Lease lease = guarded.pick();
    lease.onSuccess(1_000_000L, 512);
    return lease;
  }
}
