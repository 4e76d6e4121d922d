package dev.lb.limit;

import dev.lb.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket of capacity {@code burst}, refilled with one token every {@code interval}
 * nanoseconds, kept as the generic cell rate algorithm's single number.
 *
 * <p>Design note. The generic cell rate algorithm (ITU-T I.371, the "virtual scheduling" form)
 * stores only the theoretical arrival time {@code tat}: the instant at which the bucket would be
 * full again. A request for {@code n} permits at {@code now} moves it to {@code max(tat, now) + n ·
 * interval} and is admitted if that is at most {@code burst · interval} ahead of {@code now}. This
 * admits exactly what a token bucket of capacity {@code burst} refilled every {@code interval}
 * admits, with one compare-and-set on one long and no refill bookkeeping. The interval is {@code
 * period / permits} rounded up to a whole nanosecond, so the limiter never exceeds its rate (it may
 * lag it by under a nanosecond per permit).
 */
final class TokenBucket extends AbstractRateLimiter {
  private final long interval;
  private final long capacityNanos;
  private final AtomicLong theoreticalArrival;

  TokenBucket(int permits, long periodNanos, int burst, Ticker ticker, Sleeper sleeper) {
    super(burst, ticker, sleeper);
    this.interval = interval(permits, periodNanos);
    this.capacityNanos = Math.multiplyExact(interval, (long) burst);
    this.theoreticalArrival = new AtomicLong(ticker.read()); // starts full
  }

  @Override
  long acquireOrWait(int permits, long now) {
    while (true) {
      long tat = theoreticalArrival.get();
      long next = (tat - now > 0 ? tat : now) + permits * interval;
      long excess = next - now - capacityNanos;
      if (excess > 0) {
        return excess;
      }
      if (theoreticalArrival.compareAndSet(tat, next)) {
        return 0;
      }
    }
  }

  @Override
  public RateLimiters.Algorithm algorithm() {
    return RateLimiters.Algorithm.TOKEN_BUCKET;
  }
}
