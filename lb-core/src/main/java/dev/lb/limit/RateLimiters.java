package dev.lb.limit;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Builds the four rate limiters. Each admits {@code permits} per {@code period}; they differ in how
 * they treat bursts:
 *
 * <ul>
 *   <li>{@link #tokenBucket token bucket}: a bucket of {@code burst} tokens refilled steadily at
 *       the rate; idle time banks up to {@code burst} tokens that may be spent at once.
 *   <li>{@link #leakyBucket leaky bucket} (a queue, or shaper): requests leave at the steady rate,
 *       one every {@code period / permits}; nothing is banked, so there are no bursts. A caller
 *       willing to wait takes the next free slot, up to {@code burst} permits behind the head.
 *   <li>{@link #fixedWindow fixed window}: at most {@code permits} per aligned period; cheap and
 *       easy to explain, but up to twice the limit can pass around a window boundary.
 *   <li>{@link #slidingWindow sliding window}: the sliding-window-counter approximation, which
 *       weighs the previous window's count by how much of it still overlaps the last period,
 *       smoothing the fixed window's boundary burst.
 * </ul>
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiters.tokenBucket(100, Duration.ofSeconds(1))
 *     .burst(20)
 *     .ticker(balancer.ticker())
 *     .build();
 * }</pre>
 *
 * <p>Windows are aligned to the limiter's creation: the first window starts when {@link
 * Builder#build()} reads the ticker, and both buckets start full (the leaky bucket empty of queued
 * requests).
 */
public final class RateLimiters {
  /** The most permits a window may hold or a bucket may have as capacity. */
  public static final int MAX_PERMITS = (1 << 24) - 1;

  private RateLimiters() {}

  /** The rate-limiting algorithms. */
  public enum Algorithm {
    /** Refilled bucket of tokens; allows bursts up to its capacity. */
    TOKEN_BUCKET,
    /** Constant-rate queue (shaper); no bursts. */
    LEAKY_BUCKET,
    /** Counter per aligned period; up to twice the limit around a boundary. */
    FIXED_WINDOW,
    /** Sliding-window counter; smooths the fixed window's boundary burst. */
    SLIDING_WINDOW
  }

  /**
   * A token bucket: capacity {@code burst} (default {@code permits}), refilled with {@code permits}
   * tokens per {@code period}.
   *
   * @param permits tokens added per period, 1..{@link #MAX_PERMITS}
   * @param period the refill period, from 1 ms to 1 day
   * @return a builder
   * @throws NullPointerException if {@code period} is null
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static Builder tokenBucket(int permits, Duration period) {
    return new Builder(Algorithm.TOKEN_BUCKET, permits, period);
  }

  /**
   * A leaky bucket run as a queue: one permit leaves every {@code period / permits}; a waiting
   * caller may queue behind at most {@code burst} permits (default {@code permits}).
   *
   * @param permits permits leaving per period, 1..{@link #MAX_PERMITS}
   * @param period the period, from 1 ms to 1 day
   * @return a builder
   * @throws NullPointerException if {@code period} is null
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static Builder leakyBucket(int permits, Duration period) {
    return new Builder(Algorithm.LEAKY_BUCKET, permits, period);
  }

  /**
   * A fixed window: at most {@code permits} per period, periods aligned to the limiter's creation.
   *
   * @param permits permits per window, 1..{@link #MAX_PERMITS}
   * @param period the window's length, from 1 ms to 1 day
   * @return a builder
   * @throws NullPointerException if {@code period} is null
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static Builder fixedWindow(int permits, Duration period) {
    return new Builder(Algorithm.FIXED_WINDOW, permits, period);
  }

  /**
   * A sliding-window counter: at most {@code permits} in any period, estimated from the current and
   * the previous fixed window.
   *
   * @param permits permits per period, 1..{@link #MAX_PERMITS}
   * @param period the window's length, from 1 ms to 1 day
   * @return a builder
   * @throws NullPointerException if {@code period} is null
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static Builder slidingWindow(int permits, Duration period) {
    return new Builder(Algorithm.SLIDING_WINDOW, permits, period);
  }

  /**
   * Builds one rate limiter. Not thread-safe; every setter validates its argument at once and names
   * the option in its message.
   */
  public static final class Builder {
    private static final long MIN_PERIOD_NANOS = Duration.ofMillis(1).toNanos();
    private static final long MAX_PERIOD_NANOS = Duration.ofDays(1).toNanos();

    private final Algorithm algorithm;
    private final int permits;
    private final long periodNanos;
    private int burst;
    private Ticker ticker = Ticker.systemTicker();
    private Sleeper sleeper = Sleeper.system();

    private Builder(Algorithm algorithm, int permits, @Nullable Duration period) {
      if (permits < 1 || permits > MAX_PERMITS) {
        throw new IllegalArgumentException(
            "permits must be in 1.." + MAX_PERMITS + " but was " + permits);
      }
      Duration p = checkNotNull(period, "period");
      if (p.compareTo(Duration.ofNanos(MIN_PERIOD_NANOS)) < 0
          || p.compareTo(Duration.ofNanos(MAX_PERIOD_NANOS)) > 0) {
        throw new IllegalArgumentException("period must be from 1ms to 1d but was " + p);
      }
      this.algorithm = algorithm;
      this.permits = permits;
      this.periodNanos = p.toNanos();
      this.burst = permits;
    }

    /**
     * Sets the token bucket's capacity, or the leaky bucket's queue length, in permits; defaults to
     * {@code permits}. Windows have no burst setting.
     *
     * @param burst 1..{@link #MAX_PERMITS}
     * @return this builder
     * @throws IllegalArgumentException if {@code burst} is out of range or the algorithm is a
     *     window
     */
    public Builder burst(int burst) {
      if (algorithm == Algorithm.FIXED_WINDOW || algorithm == Algorithm.SLIDING_WINDOW) {
        throw new IllegalArgumentException(
            "burst applies to the token and leaky buckets, not to " + algorithm);
      }
      if (burst < 1 || burst > MAX_PERMITS) {
        throw new IllegalArgumentException(
            "burst must be in 1.." + MAX_PERMITS + " but was " + burst);
      }
      this.burst = burst;
      return this;
    }

    /**
     * Sets the clock; defaults to {@link Ticker#systemTicker()}.
     *
     * @param ticker the clock the limiter tells time by
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public Builder ticker(@Nullable Ticker ticker) {
      this.ticker = checkNotNull(ticker, "ticker");
      return this;
    }

    /**
     * Sets how waiting acquisitions wait; defaults to {@link Sleeper#system()}.
     *
     * @param sleeper the sleeper; with a fake ticker, one that advances it
     * @return this builder
     * @throws NullPointerException if {@code sleeper} is null
     */
    public Builder sleeper(@Nullable Sleeper sleeper) {
      this.sleeper = checkNotNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Returns the limiter; its first window starts now, by its ticker.
     *
     * @return a new limiter
     * @throws IllegalArgumentException if {@code burst} permits would take longer than 73 years to
     *     refill
     */
    public RateLimiter build() {
      if (Math.multiplyHigh(AbstractRateLimiter.interval(permits, periodNanos), burst) != 0
          || AbstractRateLimiter.interval(permits, periodNanos) * burst > Long.MAX_VALUE / 4) {
        throw new IllegalArgumentException(
            "burst "
                + burst
                + " at "
                + permits
                + " permits per "
                + Duration.ofNanos(periodNanos)
                + " spans more than 73 years");
      }
      return switch (algorithm) {
        case TOKEN_BUCKET -> new TokenBucket(permits, periodNanos, burst, ticker, sleeper);
        case LEAKY_BUCKET -> new LeakyBucket(permits, periodNanos, burst, ticker, sleeper);
        case FIXED_WINDOW -> new FixedWindow(permits, periodNanos, ticker, sleeper);
        case SLIDING_WINDOW -> new SlidingWindow(permits, periodNanos, ticker, sleeper);
      };
    }
  }
}
