package dev.lb.okhttp;

import dev.lb.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A recent percentile of a service's attempt latencies, for the adaptive hedge delay: lock-free,
 * allocation-free on {@link #record}, and cheap to read ({@link #estimateNanos()} is one volatile
 * read).
 *
 * <p>Design note. Latencies go into a log-linear histogram (HdrHistogram's layout at two
 * significant bits: four buckets per power of two, so a bucket's upper edge is at most 25 % above
 * any value in it; 1 µs to about 35 minutes in 120 buckets). Two histograms alternate: the current
 * one fills for one {@code window}; the first thread to record after the window ended swaps them
 * (one compare-and-set on the window's number), computes the percentile of the one that ended, if
 * it holds at least {@link #MIN_SAMPLES} latencies, publishes it, and clears the other for the next
 * window. The estimate is a bucket's upper edge, so it errs up (fewer hedges), never down by more
 * than the rounding. A latency recorded concurrently with the swap may land in the window that is
 * being summed or cleared: an estimator may lose a few samples at a window's edge, which moves the
 * percentile by less than one sample in {@link #MIN_SAMPLES}.
 *
 * <p>Thread-safe.
 */
final class LatencyEstimator {
  static final int MIN_SAMPLES = 100;
  private static final int SUB_BITS = 2;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MIN_SHIFT = 10; // 1024 ns: everything under ~1 µs shares bucket 0
  static final int BUCKETS = 120;

  private final Ticker ticker;
  private final double percentile;
  private final long windowNanos;
  private final AtomicLongArray[] windows = {
    new AtomicLongArray(BUCKETS), new AtomicLongArray(BUCKETS)
  };
  private final AtomicLong window;
  private volatile long estimateNanos = -1;

  LatencyEstimator(Ticker ticker, double percentile, long windowNanos) {
    this.ticker = ticker;
    this.percentile = percentile;
    this.windowNanos = windowNanos;
    this.window = new AtomicLong(Math.floorDiv(ticker.read(), windowNanos));
  }

  /** Records one latency. */
  void record(long nanos) {
    long now = Math.floorDiv(ticker.read(), windowNanos);
    long w = window.get();
    if (now != w && window.compareAndSet(w, now)) {
      long p = percentileOf(windows[(int) (w & 1)]);
      if (p >= 0) {
        estimateNanos = p;
      }
      // The new window starts empty: its array held the window before the one that ended (or,
      // after a quiet gap, the one that ended itself, already summed).
      clear(windows[(int) (now & 1)]);
    }
    windows[(int) (now & 1)].incrementAndGet(bucket(nanos));
  }

  /** The latest estimate in nanoseconds, or -1 before a window of enough latencies ended. */
  long estimateNanos() {
    return estimateNanos;
  }

  private long percentileOf(AtomicLongArray h) {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += h.get(i);
    }
    if (total < MIN_SAMPLES) {
      return -1;
    }
    long rank = (long) Math.ceil(percentile * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += h.get(i);
      if (seen >= rank) {
        return upperEdge(i);
      }
    }
    return upperEdge(BUCKETS - 1);
  }

  private static void clear(AtomicLongArray h) {
    for (int i = 0; i < BUCKETS; i++) {
      h.set(i, 0);
    }
  }

  /** The bucket of a latency: its power of two, then its next two bits. */
  static int bucket(long nanos) {
    long v = Math.max(nanos, 0) >>> MIN_SHIFT;
    if (v < SUB) {
      return (int) v;
    }
    int log = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
    int sub = (int) (v >>> (log - SUB_BITS)) & (SUB - 1);
    int index = (log - SUB_BITS + 1) * SUB + sub;
    return Math.min(index, BUCKETS - 1);
  }

  /** The greatest latency a bucket holds (exclusive upper edge, in nanoseconds). */
  static long upperEdge(int bucket) {
    if (bucket < SUB) {
      return (long) (bucket + 1) << MIN_SHIFT;
    }
    int log = bucket / SUB + SUB_BITS - 1;
    int sub = bucket % SUB;
    long lower = ((long) (SUB + sub)) << (log - SUB_BITS);
    long width = 1L << (log - SUB_BITS);
    return (lower + width) << MIN_SHIFT;
  }
}
