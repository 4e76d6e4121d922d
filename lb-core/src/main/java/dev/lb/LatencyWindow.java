package dev.lb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One endpoint's recent latencies: a log-linear histogram per time slice, in a ring of slices, from
 * which {@link #percentiles} reads p50, p90 and p99 over the last window.
 *
 * <p><b>Buckets.</b> Latencies are kept in units of 1,024 ns (about a microsecond). Values below 8
 * units have a bucket each; above, every power of two is split into 8 equal sub-buckets, so a
 * bucket's midpoint is within 6.25% of any value in it (the error {@link #percentiles} can make).
 * {@value #BUCKETS} buckets reach 2^31 units (36 minutes); longer latencies count in the last one.
 * A bucket's index costs a leading-zero count and two shifts.
 *
 * <p><b>Slices.</b> The window is split into {@value #WINDOW_SLICES} slices, plus one spare kept
 * empty for the next slice: {@value #RING} slices of {@value #BUCKETS} counters in one array
 * ({@code RING × BUCKETS × 4} bytes, 4.8 KB per endpoint). A percentile reads the current slice and
 * the three before it, so it covers between three quarters of the window and the whole of it.
 *
 * <p><b>Recording</b> (a lease's completion, any thread) is one increment of a counter (a plain
 * read and write, not an atomic one: two completions racing on one endpoint's bucket may count as
 * one, as two racing samples of an EWMA keep one) and, when the bucket's count was a multiple of
 * {@value #CHECK_EVERY}, one clock read to see whether the slice is over ({@link
 * MetricsClock#stampNow}: on the system ticker the coarse clock, within a millisecond or so of the
 * ticker, against slices of seconds). The clock is read on that sample, on every failure (its
 * reading is there already) and by every {@link #percentiles} read, so a slice ends late only on an
 * endpoint that takes few calls while nobody reads its statistics: its samples then count in the
 * slice where the clock was next read. Nothing allocates, and nothing locks: the thread that wins a
 * compare-and-set on {@code rotating} clears the slices that are becoming current (nobody writes
 * them) and then publishes the new slice, so recorders never wait. A sample that races with a
 * rotation may be counted in the slice that just ended, or, after a silence of a whole window,
 * lost; like the EWMAs, this is a statistic, not an exact count.
 *
 * <p>Thread-safe.
 */
final class LatencyWindow {
  /** Values below {@code 1 << SUB_BITS} units get a bucket each; above, 8 per power of two. */
  private static final int SUB_BITS = 3;

  private static final int SUB_COUNT = 1 << SUB_BITS;

  /** Latencies are recorded in units of {@code 1 << UNIT_SHIFT} ns. */
  private static final int UNIT_SHIFT = 10;

  /** The highest power of two with its own buckets: 2^31 units, 36 minutes. */
  private static final int MAX_EXPONENT = 31;

  /** Buckets per slice. */
  static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT;

  /** Slices a percentile reads. */
  static final int WINDOW_SLICES = 4;

  /** Slices kept: the window's and the empty spare. */
  static final int RING = WINDOW_SLICES + 1;

  /**
   * A recorder reads the clock when its bucket's count was a multiple of this: bounded staleness
   * for a clock read on one completion in 64 at most (a power of two, so the test is a mask): at
   * 16, the clock reads alone cost 1.3 ns per report in {@code PickBenchmark.pickAndRelease}.
   */
  static final int CHECK_EVERY = 64;

  private static final VarHandle SLICE;
  private static final VarHandle ROTATING;
  private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(int[].class);

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      SLICE = l.findVarHandle(LatencyWindow.class, "slice", long.class);
      ROTATING = l.findVarHandle(LatencyWindow.class, "rotating", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final MetricsClock clock;
  private final long origin;
  private final long sliceNanos;

  /** Read and written with opaque accesses through {@link #COUNT}. */
  private final int[] counts = new int[RING * BUCKETS];

  /** The number of the current slice, counted from {@code origin}. */
  @SuppressWarnings("unused") // accessed through SLICE
  private volatile long slice;

  /** Where recorders write: {@code (slice % RING) * BUCKETS}. */
  private volatile int base;

  @SuppressWarnings("unused") // accessed through ROTATING
  private volatile int rotating;

  /**
   * @param clock the balancer's time base, whose {@link MetricsClock#latencyWindowNanos} is the
   *     window percentiles cover, at least {@value #WINDOW_SLICES} ns
   */
  LatencyWindow(MetricsClock clock) {
    this.clock = clock;
    this.origin = clock.epoch;
    this.sliceNanos = clock.latencyWindowNanos / WINDOW_SLICES;
    long now = sliceOf(clock.now());
    this.slice = now;
    this.base = (int) (now % RING) * BUCKETS;
  }

  /** The bucket of a latency in nanoseconds, {@code >= 0}. */
  static int bucket(long latencyNanos) {
    long units = latencyNanos >>> UNIT_SHIFT;
    if (units < SUB_COUNT) {
      return (int) units;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(units);
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (units >>> (exponent - SUB_BITS)) & (SUB_COUNT - 1);
    return (exponent - SUB_BITS + 1) * SUB_COUNT + sub;
  }

  /** The midpoint of a bucket, in nanoseconds: what a percentile landing in it reports. */
  static double midpointNanos(int bucket) {
    double units;
    if (bucket < SUB_COUNT) {
      units = bucket + 0.5;
    } else {
      int exponent = bucket / SUB_COUNT + SUB_BITS - 1;
      int sub = bucket % SUB_COUNT;
      double width = Math.scalb(1.0, exponent - SUB_BITS);
      units = Math.scalb(1.0, exponent) + (sub + 0.5) * width;
    }
    return units * (1 << UNIT_SHIFT);
  }

  /** Records one latency; {@code nowOrMinValue} is a clock reading already taken, if any. */
  void record(long latencyNanos, long nowOrMinValue) {
    int bucket = bucket(latencyNanos);
    if (nowOrMinValue != Long.MIN_VALUE) {
      advance(nowOrMinValue);
      increment(base + bucket);
      return;
    }
    int index = base + bucket;
    int previous = increment(index);
    if ((previous & (CHECK_EVERY - 1)) == 0) {
      int rotated = advance(clock.stampNow());
      if (rotated != NOT_ROTATED) {
        // This sample belongs to the slice that just began: move it there (unless the old
        // slice was cleared, and the sample with it).
        if (rotated == ROTATED_KEPT) {
          COUNT.setOpaque(counts, index, (int) COUNT.getOpaque(counts, index) - 1);
        }
        increment(base + bucket);
      }
    }
  }

  /**
   * Adds one to a counter and returns its previous value: a plain read and write, not an atomic
   * increment, since a lock-prefixed instruction would cost more than the rest of a lease's report
   * (see the class comment on racing samples).
   */
  private int increment(int index) {
    int previous = (int) COUNT.getOpaque(counts, index);
    COUNT.setOpaque(counts, index, previous + 1);
    return previous;
  }

  private long sliceOf(long now) {
    return Math.floorDiv(now - origin, sliceNanos);
  }

  private static final int NOT_ROTATED = 0;
  private static final int ROTATED_KEPT = 1;
  private static final int ROTATED_CLEARED = 2;

  /**
   * Moves to the slice of {@code now} if it has begun; at most {@value #RING} slices cleared.
   *
   * @return whether this call moved it, and if so whether it cleared the slice it left
   */
  private int advance(long now) {
    long target = sliceOf(now);
    long current = (long) SLICE.getAcquire(this);
    if (target <= current || !ROTATING.compareAndSet(this, 0, 1)) {
      return NOT_ROTATED;
    }
    try {
      current = (long) SLICE.getAcquire(this);
      if (target <= current) {
        return NOT_ROTATED;
      }
      int currentSlot = (int) (current % RING);
      // Clear the slices from the new one up to the spare after it, except the slot recorders
      // still write to, which is cleared once they have moved on (if it is itself too old).
      long clearTo = Math.min(target + 1, current + RING);
      for (long s = current + 1; s <= clearTo; s++) {
        int slot = (int) (s % RING);
        if (slot != currentSlot) {
          clear(slot);
        }
      }
      base = (int) (target % RING) * BUCKETS;
      SLICE.setRelease(this, target);
      if (target - current >= WINDOW_SLICES) {
        // The old slice is out of the window now; a sample that raced into it is dropped (or, if it
        // is also the new slice's slot, one recorded since the publish).
        clear(currentSlot);
        return ROTATED_CLEARED;
      }
      return ROTATED_KEPT;
    } finally {
      ROTATING.setRelease(this, 0);
    }
  }

  private void clear(int slot) {
    int from = slot * BUCKETS;
    for (int i = from; i < from + BUCKETS; i++) {
      COUNT.setOpaque(counts, i, 0);
    }
  }

  /**
   * Reads p50, p90 and p99 over the window into {@code into}, and returns how many samples that
   * window holds; {@code into} is left at NaN if it holds none.
   *
   * @param into three slots: p50, p90, p99, in nanoseconds
   */
  long percentiles(double[] into) {
    advance(clock.now());
    int spare = (int) (((long) SLICE.getAcquire(this) + 1) % RING);
    int[] merged = new int[BUCKETS];
    long total = 0;
    for (int slot = 0; slot < RING; slot++) {
      if (slot == spare) {
        continue;
      }
      int from = slot * BUCKETS;
      for (int i = 0; i < BUCKETS; i++) {
        int c = (int) COUNT.getOpaque(counts, from + i);
        merged[i] += c;
        total += c;
      }
    }
    into[0] = into[1] = into[2] = Double.NaN;
    if (total == 0) {
      return 0;
    }
    double[] quantiles = {0.50, 0.90, 0.99};
    long seen = 0;
    int q = 0;
    for (int i = 0; i < BUCKETS && q < quantiles.length; i++) {
      seen += merged[i];
      // The rank of quantile p is ceil(p × total): the smallest count covering that share.
      while (q < quantiles.length && seen > 0 && seen >= Math.ceil(quantiles[q] * total)) {
        into[q++] = midpointNanos(i);
      }
    }
    return total;
  }
}
