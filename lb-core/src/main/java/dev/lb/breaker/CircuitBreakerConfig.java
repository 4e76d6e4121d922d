package dev.lb.breaker;

import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The thresholds, sliding window and waits of a circuit breaker. The defaults follow
 * resilience4j's, so a configuration carries over in either direction:
 *
 * <table class="striped">
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code failureRateThreshold}</td><td>50 %</td><td>open when at least this share of the
 *       window's calls failed</td></tr>
 *   <tr><td>{@code slowCallRateThreshold}</td><td>100 %</td><td>open when at least this share of
 *       the window's calls were slow</td></tr>
 *   <tr><td>{@code slowCallDurationThreshold}</td><td>60 s</td><td>a call taking longer is
 *       slow</td></tr>
 *   <tr><td>{@code slidingWindow}</td><td>{@code COUNT_BASED}, 100</td><td>the last 100 calls, or
 *       the calls of the last N seconds</td></tr>
 *   <tr><td>{@code minimumNumberOfCalls}</td><td>100</td><td>no rate is judged on fewer calls (for
 *       a count-based window, at most the window size)</td></tr>
 *   <tr><td>{@code consecutiveFailureThreshold}</td><td>0 (off)</td><td>open after this many
 *       failures in a row, whatever the rate</td></tr>
 *   <tr><td>{@code waitDurationInOpenState}</td><td>60 s</td><td>how long an open breaker rejects
 *       calls before it admits probes</td></tr>
 *   <tr><td>{@code permittedNumberOfCallsInHalfOpenState}</td><td>10</td><td>probe calls admitted
 *       in the half-open state; their rates decide once {@code min(minimumNumberOfCalls, this)}
 *       have reported</td></tr>
 *   <tr><td>{@code maxWaitDurationInHalfOpenState}</td><td>0 (unbounded)</td><td>reopen if the
 *       probes have not all reported by then</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe; derive variants with {@link #toBuilder()}.
 */
public final class CircuitBreakerConfig {
  /** The largest count-based window and the largest number of half-open probes. */
  public static final int MAX_CALLS = 1 << 20;

  /** The longest time-based window, in seconds (one hour). */
  public static final int MAX_WINDOW_SECONDS = 3600;

  /** How the sliding window that rates are computed over is measured. */
  public enum SlidingWindowType {
    /** The last N calls. */
    COUNT_BASED,
    /** The calls of the last N seconds, kept in one-second buckets. */
    TIME_BASED
  }

  private static final CircuitBreakerConfig DEFAULTS = new Builder().build();

  private final float failureRateThreshold;
  private final float slowCallRateThreshold;
  private final long slowCallDurationThresholdNanos;
  private final SlidingWindowType slidingWindowType;
  private final int slidingWindowSize;
  private final int minimumNumberOfCalls;
  private final int consecutiveFailureThreshold;
  private final long waitDurationInOpenStateNanos;
  private final int permittedNumberOfCallsInHalfOpenState;
  private final long maxWaitDurationInHalfOpenStateNanos;

  private CircuitBreakerConfig(Builder b) {
    this.failureRateThreshold = b.failureRateThreshold;
    this.slowCallRateThreshold = b.slowCallRateThreshold;
    this.slowCallDurationThresholdNanos = b.slowCallDurationThresholdNanos;
    this.slidingWindowType = b.slidingWindowType;
    this.slidingWindowSize = b.slidingWindowSize;
    this.minimumNumberOfCalls = b.minimumNumberOfCalls;
    this.consecutiveFailureThreshold = b.consecutiveFailureThreshold;
    this.waitDurationInOpenStateNanos = b.waitDurationInOpenStateNanos;
    this.permittedNumberOfCallsInHalfOpenState = b.permittedNumberOfCallsInHalfOpenState;
    this.maxWaitDurationInHalfOpenStateNanos = b.maxWaitDurationInHalfOpenStateNanos;
  }

  /**
   * The configuration with every default.
   *
   * @return the shared default configuration
   */
  public static CircuitBreakerConfig ofDefaults() {
    return DEFAULTS;
  }

  /**
   * Returns a builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding this configuration's values.
   *
   * @return a new builder whose changes do not affect this configuration
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.failureRateThreshold = failureRateThreshold;
    b.slowCallRateThreshold = slowCallRateThreshold;
    b.slowCallDurationThresholdNanos = slowCallDurationThresholdNanos;
    b.slidingWindowType = slidingWindowType;
    b.slidingWindowSize = slidingWindowSize;
    b.minimumNumberOfCalls = minimumNumberOfCalls;
    b.consecutiveFailureThreshold = consecutiveFailureThreshold;
    b.waitDurationInOpenStateNanos = waitDurationInOpenStateNanos;
    b.permittedNumberOfCallsInHalfOpenState = permittedNumberOfCallsInHalfOpenState;
    b.maxWaitDurationInHalfOpenStateNanos = maxWaitDurationInHalfOpenStateNanos;
    return b;
  }

  /**
   * The failure rate, in percent, at or above which the breaker opens.
   *
   * @return a percentage in (0, 100]
   */
  public float failureRateThreshold() {
    return failureRateThreshold;
  }

  /**
   * The slow-call rate, in percent, at or above which the breaker opens.
   *
   * @return a percentage in (0, 100]
   */
  public float slowCallRateThreshold() {
    return slowCallRateThreshold;
  }

  /**
   * The duration beyond which a call counts as slow.
   *
   * @return a positive duration
   */
  public Duration slowCallDurationThreshold() {
    return Duration.ofNanos(slowCallDurationThresholdNanos);
  }

  long slowCallDurationThresholdNanos() {
    return slowCallDurationThresholdNanos;
  }

  /**
   * Whether the window counts calls or seconds.
   *
   * @return the window type
   */
  public SlidingWindowType slidingWindowType() {
    return slidingWindowType;
  }

  /**
   * The window's size: a number of calls, or of seconds.
   *
   * @return at least 1
   */
  public int slidingWindowSize() {
    return slidingWindowSize;
  }

  /**
   * The fewest calls a rate is judged on.
   *
   * @return at least 1
   */
  public int minimumNumberOfCalls() {
    return minimumNumberOfCalls;
  }

  /**
   * Failures in a row that open the breaker whatever the rate; 0 turns the rule off.
   *
   * @return 0 or more
   */
  public int consecutiveFailureThreshold() {
    return consecutiveFailureThreshold;
  }

  /**
   * How long an open breaker rejects calls before it admits probes.
   *
   * @return a positive duration
   */
  public Duration waitDurationInOpenState() {
    return Duration.ofNanos(waitDurationInOpenStateNanos);
  }

  long waitDurationInOpenStateNanos() {
    return waitDurationInOpenStateNanos;
  }

  /**
   * The number of probe calls a half-open breaker admits.
   *
   * @return at least 1
   */
  public int permittedNumberOfCallsInHalfOpenState() {
    return permittedNumberOfCallsInHalfOpenState;
  }

  /**
   * How long a half-open breaker waits for its probes' outcomes before it reopens; zero waits
   * forever.
   *
   * @return zero or a positive duration
   */
  public Duration maxWaitDurationInHalfOpenState() {
    return Duration.ofNanos(maxWaitDurationInHalfOpenStateNanos);
  }

  long maxWaitDurationInHalfOpenStateNanos() {
    return maxWaitDurationInHalfOpenStateNanos;
  }

  @Override
  public String toString() {
    return "CircuitBreakerConfig{failureRateThreshold="
        + failureRateThreshold
        + ", slowCallRateThreshold="
        + slowCallRateThreshold
        + ", slowCallDurationThreshold="
        + slowCallDurationThreshold()
        + ", slidingWindow="
        + slidingWindowType
        + " "
        + slidingWindowSize
        + ", minimumNumberOfCalls="
        + minimumNumberOfCalls
        + ", consecutiveFailureThreshold="
        + consecutiveFailureThreshold
        + ", waitDurationInOpenState="
        + waitDurationInOpenState()
        + ", permittedNumberOfCallsInHalfOpenState="
        + permittedNumberOfCallsInHalfOpenState
        + ", maxWaitDurationInHalfOpenState="
        + maxWaitDurationInHalfOpenState()
        + '}';
  }

  /**
   * Builds a {@link CircuitBreakerConfig}. Not thread-safe; every setter validates its argument at
   * once and names the option in its message.
   */
  public static final class Builder {
    private float failureRateThreshold = 50;
    private float slowCallRateThreshold = 100;
    private long slowCallDurationThresholdNanos = Duration.ofSeconds(60).toNanos();
    private SlidingWindowType slidingWindowType = SlidingWindowType.COUNT_BASED;
    private int slidingWindowSize = 100;
    private int minimumNumberOfCalls = 100;
    private int consecutiveFailureThreshold;
    private long waitDurationInOpenStateNanos = Duration.ofSeconds(60).toNanos();
    private int permittedNumberOfCallsInHalfOpenState = 10;
    private long maxWaitDurationInHalfOpenStateNanos;

    private Builder() {}

    /**
     * Sets the failure rate, in percent, at or above which the breaker opens. Default 50.
     *
     * @param percent a percentage in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is not in (0, 100]
     */
    public Builder failureRateThreshold(double percent) {
      this.failureRateThreshold = percentage("failureRateThreshold", percent);
      return this;
    }

    /**
     * Sets the slow-call rate, in percent, at or above which the breaker opens. Default 100.
     *
     * @param percent a percentage in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is not in (0, 100]
     */
    public Builder slowCallRateThreshold(double percent) {
      this.slowCallRateThreshold = percentage("slowCallRateThreshold", percent);
      return this;
    }

    /**
     * Sets the duration beyond which a call counts as slow. Default 60 s.
     *
     * @param threshold a positive duration
     * @return this builder
     * @throws NullPointerException if {@code threshold} is null
     * @throws IllegalArgumentException if {@code threshold} is not positive
     */
    public Builder slowCallDurationThreshold(@Nullable Duration threshold) {
      this.slowCallDurationThresholdNanos = positiveNanos("slowCallDurationThreshold", threshold);
      return this;
    }

    /**
     * Sets the sliding window: the last {@code size} calls ({@code COUNT_BASED}, at most {@link
     * #MAX_CALLS}) or the calls of the last {@code size} seconds ({@code TIME_BASED}, at most
     * {@link #MAX_WINDOW_SECONDS}). Default {@code COUNT_BASED}, 100.
     *
     * @param type how the window is measured
     * @param size the number of calls or seconds, at least 1
     * @return this builder
     * @throws NullPointerException if {@code type} is null
     * @throws IllegalArgumentException if {@code size} is out of range
     */
    public Builder slidingWindow(@Nullable SlidingWindowType type, int size) {
      SlidingWindowType t = checkNotNull(type, "slidingWindowType");
      int max = t == SlidingWindowType.COUNT_BASED ? MAX_CALLS : MAX_WINDOW_SECONDS;
      if (size < 1 || size > max) {
        throw new IllegalArgumentException(
            "slidingWindowSize must be in 1.." + max + " for " + t + " but was " + size);
      }
      this.slidingWindowType = t;
      this.slidingWindowSize = size;
      return this;
    }

    /**
     * Sets the fewest calls a rate is judged on. Default 100. With a count-based window, a minimum
     * above the window size acts as the window size.
     *
     * @param calls at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is less than 1
     */
    public Builder minimumNumberOfCalls(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException(
            "minimumNumberOfCalls must be at least 1 but was " + calls);
      }
      this.minimumNumberOfCalls = calls;
      return this;
    }

    /**
     * Opens the breaker after this many failures in a row, whatever the failure rate and the
     * minimum number of calls; 0, the default, turns the rule off.
     *
     * @param failures 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code failures} is negative
     */
    public Builder consecutiveFailureThreshold(int failures) {
      if (failures < 0) {
        throw new IllegalArgumentException(
            "consecutiveFailureThreshold must be 0 or more but was " + failures);
      }
      this.consecutiveFailureThreshold = failures;
      return this;
    }

    /**
     * Sets how long an open breaker rejects calls before it admits probes. Default 60 s.
     *
     * @param wait a positive duration
     * @return this builder
     * @throws NullPointerException if {@code wait} is null
     * @throws IllegalArgumentException if {@code wait} is not positive
     */
    public Builder waitDurationInOpenState(@Nullable Duration wait) {
      this.waitDurationInOpenStateNanos = positiveNanos("waitDurationInOpenState", wait);
      return this;
    }

    /**
     * Sets the number of probe calls a half-open breaker admits. Default 10. The probes' failure
     * and slow-call rates decide once {@code min(minimumNumberOfCalls, permitted)} of them have
     * reported, the minimum capped by a count-based window's size (resilience4j's rule): at or over
     * a threshold reopens, below closes.
     *
     * @param calls in 1..{@link #MAX_CALLS}
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public Builder permittedNumberOfCallsInHalfOpenState(int calls) {
      if (calls < 1 || calls > MAX_CALLS) {
        throw new IllegalArgumentException(
            "permittedNumberOfCallsInHalfOpenState must be in 1.."
                + MAX_CALLS
                + " but was "
                + calls);
      }
      this.permittedNumberOfCallsInHalfOpenState = calls;
      return this;
    }

    /**
     * Sets how long a half-open breaker waits for all its probes to report before it reopens, so
     * that a probe whose outcome is lost cannot hold the breaker half-open forever. Checked when
     * permission is next requested. Default zero: wait forever, as resilience4j does.
     *
     * @param wait zero or a positive duration
     * @return this builder
     * @throws NullPointerException if {@code wait} is null
     * @throws IllegalArgumentException if {@code wait} is negative
     */
    public Builder maxWaitDurationInHalfOpenState(@Nullable Duration wait) {
      Duration w = checkNotNull(wait, "maxWaitDurationInHalfOpenState");
      if (w.isNegative()) {
        throw new IllegalArgumentException(
            "maxWaitDurationInHalfOpenState must not be negative but was " + w);
      }
      this.maxWaitDurationInHalfOpenStateNanos = saturatedNanos(w);
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @return a new immutable configuration
     */
    public CircuitBreakerConfig build() {
      return new CircuitBreakerConfig(this);
    }

    private static float percentage(String option, double percent) {
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException(option + " must be in (0, 100] but was " + percent);
      }
      return (float) percent;
    }

    private static long positiveNanos(String option, @Nullable Duration d) {
      Duration v = checkNotNull(d, option);
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException(option + " must be positive but was " + v);
      }
      return saturatedNanos(v);
    }

    private static long saturatedNanos(Duration d) {
      try {
        return d.toNanos();
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE;
      }
    }
  }
}
