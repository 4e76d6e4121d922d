package dev.lb.limit;

import java.util.concurrent.TimeUnit;

/**
 * Waits for a while on the calling thread: how a rate limiter's {@link RateLimiter#tryAcquire(int,
 * java.time.Duration)} waits for permits. Tests substitute a sleeper that advances a fake {@link
 * dev.lb.Ticker} instead of sleeping.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Sleeper {
  /**
   * Blocks the calling thread for about {@code nanos} nanoseconds (longer is allowed; the limiter
   * checks its ticker again afterwards).
   *
   * @param nanos how long to wait, positive
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void sleep(long nanos) throws InterruptedException;

  /**
   * The sleeper that really sleeps, with {@link TimeUnit#sleep}; pair it with {@link
   * dev.lb.Ticker#systemTicker()}.
   *
   * @return the shared system sleeper
   */
  static Sleeper system() {
    return TimeUnit.NANOSECONDS::sleep;
  }
}
