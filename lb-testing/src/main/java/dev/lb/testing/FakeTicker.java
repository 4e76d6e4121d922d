package dev.lb.testing;

import dev.lb.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test advances it, so time-based behaviour (ejection
 * times, slow-start ramps, rate-limit windows, latency estimates) can be tested without sleeping.
 * Pass it to {@link dev.lb.LoadBalancer.Builder#ticker} and, through a {@link FakeScheduler}, to
 * {@link dev.lb.LoadBalancer.Builder#scheduler} so that timers fire when the test moves time.
 *
 * <p>Like every {@link Ticker}, it never goes backwards: advancing by a negative amount is
 * rejected. Advancing the ticker directly runs no scheduled task; advance the {@link FakeScheduler}
 * built on it for that.
 *
 * <p>Thread-safe: any thread may read or advance it; each advance is atomic.
 *
 * <pre>{@code
 * FakeTicker ticker = new FakeTicker();
 * long start = ticker.read();
 * ticker.advance(Duration.ofMillis(250));
 * assert ticker.read() - start == 250_000_000L;
 * }</pre>
 */
public final class FakeTicker implements Ticker {
  /**
   * The first reading of a ticker made with {@link #FakeTicker()}: one second, not zero, so that
   * code which wrongly treats a reading of 0 as "never" is caught.
   */
  public static final long DEFAULT_START_NANOS = 1_000_000_000L;

  private final AtomicLong nanos;

  /** Creates a ticker whose first reading is {@link #DEFAULT_START_NANOS}. */
  public FakeTicker() {
    this(DEFAULT_START_NANOS);
  }

  /**
   * Creates a ticker whose first reading is {@code startNanos}. Only differences between readings
   * mean anything, but a chosen start helps a test line its readings up with another clock, or
   * start near {@link Long#MAX_VALUE} to test overflow-safe comparisons.
   *
   * @param startNanos the first reading, in nanoseconds; any value
   */
  public FakeTicker(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  /**
   * Returns the current reading: the start plus every advance so far. It wraps around silently past
   * {@link Long#MAX_VALUE}, as {@link System#nanoTime()} may.
   *
   * @return the current reading, in nanoseconds
   */
  @Override
  public long read() {
    return nanos.get();
  }

  /**
   * Moves time forward by {@code duration}.
   *
   * @param duration how far to move; zero or positive
   * @return this ticker
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is negative
   * @throws ArithmeticException if {@code duration} does not fit in a {@code long} of nanoseconds
   */
  public FakeTicker advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException(
          "duration must not be negative (time never goes backwards) but was " + duration);
    }
    return advanceNanos(duration.toNanos());
  }

  /**
   * Moves time forward by {@code millis} milliseconds.
   *
   * @param millis how far to move, in milliseconds; zero or positive
   * @return this ticker
   * @throws IllegalArgumentException if {@code millis} is negative
   */
  public FakeTicker advanceMillis(long millis) {
    checkNotNegative(millis, "millis");
    return advanceNanos(Math.multiplyExact(millis, 1_000_000L));
  }

  /**
   * Moves time forward by {@code nanos} nanoseconds.
   *
   * @param nanos how far to move, in nanoseconds; zero or positive
   * @return this ticker
   * @throws IllegalArgumentException if {@code nanos} is negative
   */
  public FakeTicker advanceNanos(long nanos) {
    checkNotNegative(nanos, "nanos");
    this.nanos.addAndGet(nanos);
    return this;
  }

  @Override
  public String toString() {
    return "FakeTicker{" + read() + " ns}";
  }

  static void checkNotNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(
          name + " must not be negative (time never goes backwards) but was " + value);
    }
  }
}
