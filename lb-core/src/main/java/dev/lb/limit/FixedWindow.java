package dev.lb.limit;

import dev.lb.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code limit} permits per window of {@code period} nanoseconds, windows aligned to the
 * limiter's creation.
 *
 * <p>Design note. The window's index and its count share one long (index in the high 40 bits, count
 * in the low 24), so moving to a new window and counting in it are one compare-and-set each and can
 * never over-admit under contention. A caller whose clock reading is older than the current window
 * counts against the current window. The index wraps after 2<sup>39</sup> periods (17 years of 1 ms
 * windows). The known weakness of the algorithm (the seeds' caveat): a burst at the end of one
 * window and another at the start of the next admit up to {@code 2 · limit} within a span much
 * shorter than one period. {@link SlidingWindow} smooths it.
 */
final class FixedWindow extends AbstractRateLimiter {
  private static final int COUNT_BITS = 24;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

  private final int limit;
  private final long period;
  private final long origin;
  private final AtomicLong state = new AtomicLong();

  FixedWindow(int limit, long periodNanos, Ticker ticker, Sleeper sleeper) {
    super(limit, ticker, sleeper);
    this.limit = limit;
    this.period = periodNanos;
    this.origin = ticker.read();
  }

  @Override
  long acquireOrWait(int permits, long now) {
    long window = Math.floorDiv(now - origin, period);
    while (true) {
      long s = state.get();
      long index = s >> COUNT_BITS;
      if (window > index) {
        if (state.compareAndSet(s, (window << COUNT_BITS) | permits)) {
          return 0;
        }
        continue;
      }
      long count = s & COUNT_MASK;
      if (count + permits > limit) {
        return Math.max(1, origin + (index + 1) * period - now);
      }
      if (state.compareAndSet(s, s + permits)) {
        return 0;
      }
    }
  }

  @Override
  public RateLimiters.Algorithm algorithm() {
    return RateLimiters.Algorithm.FIXED_WINDOW;
  }
}
