package dev.lb.limit;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/** The shared argument checks, waiting loop and rejection counter of the rate limiters. */
abstract class AbstractRateLimiter implements RateLimiter {
  final Ticker ticker;
  final Sleeper sleeper;
  private final int maxPermits;
  private final LongAdder rejected = new LongAdder();

  AbstractRateLimiter(int maxPermits, Ticker ticker, Sleeper sleeper) {
    this.maxPermits = maxPermits;
    this.ticker = ticker;
    this.sleeper = sleeper;
  }

  /**
   * Takes {@code permits} if they are available at {@code now} and returns 0; otherwise takes
   * nothing and returns a positive estimate of the nanoseconds until they may be.
   */
  abstract long acquireOrWait(int permits, long now);

  @Override
  public final boolean tryAcquire(int permits) {
    checkPermits(permits);
    if (acquireOrWait(permits, ticker.read()) == 0) {
      return true;
    }
    rejected.increment();
    return false;
  }

  @Override
  public boolean tryAcquire(int permits, Duration timeout) throws InterruptedException {
    checkPermits(permits);
    long timeoutNanos = timeoutNanos(timeout);
    long start = ticker.read();
    while (true) {
      long now = ticker.read();
      long wait = acquireOrWait(permits, now);
      if (wait == 0) {
        return true;
      }
      if (wait > timeoutNanos - (now - start)) {
        rejected.increment();
        return false;
      }
      sleeper.sleep(wait);
    }
  }

  final void recordRejection() {
    rejected.increment();
  }

  final void checkPermits(int permits) {
    if (permits < 1 || permits > maxPermits) {
      throw new IllegalArgumentException(
          "permits must be in 1.." + maxPermits + " but was " + permits);
    }
  }

  static long timeoutNanos(@Nullable Duration timeout) {
    Duration t = checkNotNull(timeout, "timeout");
    if (t.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative but was " + t);
    }
    try {
      return t.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Nanoseconds per permit at {@code permits} per {@code periodNanos}, rounded up. */
  static long interval(int permits, long periodNanos) {
    return (periodNanos + permits - 1) / permits;
  }

  @Override
  public final int maxPermits() {
    return maxPermits;
  }

  @Override
  public final long rejectedCount() {
    return rejected.sum();
  }

  @Override
  public String toString() {
    return algorithm() + "{maxPermits=" + maxPermits + ", rejected=" + rejectedCount() + '}';
  }
}
