package dev.lb.limit;

import dev.lb.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * At most {@code limit} permits in any {@code period}, estimated by the sliding-window counter.
 *
 * <p>Design note. The sliding-window counter (described by Cloudflare, "How we built rate limiting
 * capable of scaling to millions of domains", 2017) keeps two fixed windows' counts and estimates
 * the requests of the last period as {@code previous · (period − elapsed) / period + current},
 * assuming the previous window's requests were spread evenly. At the start of a window the whole
 * previous count still weighs, so the fixed window's boundary burst (a full limit at the end of one
 * window, another at the start of the next) is refused; the previous window's share is released
 * gradually as the period slides past it. A sliding log would be exact but costs memory per
 * admitted request; the counter costs two numbers. The carried share is rounded up, so rounding
 * never admits more. The estimate is an approximation: it stops the boundary burst, but traffic
 * crowded at the end of both windows can still pass up to nearly {@code 2 · limit} within some span
 * of one period; a sliding log would be needed to rule that out.
 *
 * <p>Each window is a small object holding its index, the previous window's final count and its own
 * count. Counting is a compare-and-set on the count. To move on, a thread first <em>seals</em> the
 * current count (sets its sign bit by compare-and-set, after which no one can count in it), then
 * installs the successor built from the sealed count; any thread that finds a sealed window
 * installs a successor itself, so no thread waits on another. Admission is thus exact under
 * contention, and the only allocation is one window object per period.
 */
final class SlidingWindow extends AbstractRateLimiter {
  private final int limit;
  private final long period;
  private final long origin;
  private static final VarHandle CURRENT;

  static {
    try {
      CURRENT = MethodHandles.lookup().findVarHandle(SlidingWindow.class, "current", Window.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // read directly, swapped through CURRENT
  private volatile Window current;

  SlidingWindow(int limit, long periodNanos, Ticker ticker, Sleeper sleeper) {
    super(limit, ticker, sleeper);
    this.limit = limit;
    this.period = periodNanos;
    this.origin = ticker.read();
    this.current = new Window(0, 0);
  }

  @Override
  long acquireOrWait(int permits, long now) {
    long index = Math.floorDiv(now - origin, period);
    while (true) {
      Window w = current;
      long count = w.count();
      if (count < 0) { // sealed: help install its successor
        CURRENT.compareAndSet(
            this, w, w.successor(count & Long.MAX_VALUE, Math.max(index, w.index + 1)));
        continue;
      }
      if (index > w.index) {
        if (w.seal(count)) {
          CURRENT.compareAndSet(this, w, w.successor(count, index));
        }
        continue;
      }
      // A caller whose reading is older than the window counts in it as if at its very start.
      long elapsed = Math.min(period, Math.max(0, now - origin - w.index * period));
      long carried = carried(w.previous, period - elapsed);
      if (count + permits + carried > limit) {
        return waitNanos(w, count + permits, elapsed, now);
      }
      if (w.add(count, permits)) {
        return 0;
      }
    }
  }

  /** The previous window's weight over the {@code remaining} nanoseconds, rounded up. */
  private long carried(long previous, long remaining) {
    if (previous == 0 || remaining == 0) {
      return 0;
    }
    long product = previous * remaining;
    if (Math.multiplyHigh(previous, remaining) == 0 && product >= 0) {
      return -Math.floorDiv(-product, period);
    }
    return (long) Math.ceil(previous * (double) remaining / period);
  }

  /** A lower bound on the wait until {@code needed} permits fit; the caller checks again. */
  private long waitNanos(Window w, long needed, long elapsed, long now) {
    long room = limit - needed;
    if (room < 0) {
      return Math.max(1, origin + (w.index + 1) * period - now);
    }
    long target = period - (long) Math.floor((double) room * period / w.previous);
    return Math.max(1, target - elapsed);
  }

  @Override
  public RateLimiters.Algorithm algorithm() {
    return RateLimiters.Algorithm.SLIDING_WINDOW;
  }

  /** One fixed window: its index, the previous window's final count, and its own count. */
  private static final class Window {
    private static final long SEALED = Long.MIN_VALUE;
    private static final VarHandle COUNT;

    static {
      try {
        COUNT = MethodHandles.lookup().findVarHandle(Window.class, "count", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final long index;
    final long previous;

    @SuppressWarnings("unused") // read and written through COUNT
    private volatile long count;

    Window(long index, long previous) {
      this.index = index;
      this.previous = previous;
    }

    long count() {
      return count;
    }

    boolean add(long expected, int permits) {
      return COUNT.compareAndSet(this, expected, expected + permits);
    }

    boolean seal(long expected) {
      return COUNT.compareAndSet(this, expected, expected | SEALED);
    }

    Window successor(long finalCount, long nextIndex) {
      return new Window(nextIndex, nextIndex == index + 1 ? finalCount : 0);
    }
  }
}
