package dev.lb.breaker;

import dev.lb.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The outcomes of the last N seconds, in N one-second buckets of the ticker's time, with running
 * totals; the same bucketing as resilience4j's time-based window when the ticker counts from a
 * whole second.
 *
 * <p>The thread that first sees a new second advances {@code latestSecond} by compare-and-set and
 * empties the buckets of the seconds it skipped (at most N), subtracting what it swapped out from
 * the totals; every record then adds to its own second's bucket and to the totals. Totals therefore
 * always converge to the sum of the buckets. An outcome recorded by a thread that raced the step
 * into a new second may be emptied with its bucket (lost): at most one per such thread, only at a
 * second's boundary. An outcome stamped older than the window is dropped.
 */
final class TimeWindow extends OutcomeWindow {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int CALLS = 0;
  private static final int FAILURES = 1;
  private static final int SLOW_CALLS = 2;

  private final Ticker ticker;
  private final int seconds;
  private final int minimumCalls;
  private final AtomicLongArray buckets;
  private final AtomicLongArray totals = new AtomicLongArray(3);
  private final AtomicLong latestSecond;

  TimeWindow(int seconds, int minimumCalls, Ticker ticker) {
    this.ticker = ticker;
    this.seconds = seconds;
    this.minimumCalls = minimumCalls;
    this.buckets = new AtomicLongArray(3 * seconds);
    this.latestSecond = new AtomicLong(second(ticker.read()));
  }

  @Override
  void record(int outcome) {
    long second = second(ticker.read());
    long latest = advanceTo(second);
    if (second <= latest - seconds) {
      return; // older than the window
    }
    int b = 3 * (int) Math.floorMod(second, (long) seconds);
    add(b, CALLS, 1);
    if ((outcome & FAILED) != 0) {
      add(b, FAILURES, 1);
    }
    if ((outcome & SLOW) != 0) {
      add(b, SLOW_CALLS, 1);
    }
  }

  @Override
  void expire() {
    advanceTo(second(ticker.read()));
  }

  @Override
  int calls() {
    return (int) totals.get(CALLS);
  }

  @Override
  int failures() {
    return (int) totals.get(FAILURES);
  }

  @Override
  int slowCalls() {
    return (int) totals.get(SLOW_CALLS);
  }

  @Override
  int minimumCalls() {
    return minimumCalls;
  }

  private void add(int bucket, int field, long delta) {
    buckets.getAndAdd(bucket + field, delta);
    totals.getAndAdd(field, delta);
  }

  /** Moves the window's head to {@code second} if it is newer; returns the head afterwards. */
  private long advanceTo(long second) {
    long latest = latestSecond.get();
    while (second > latest) {
      if (latestSecond.compareAndSet(latest, second)) {
        long from = Math.max(latest + 1, second - seconds + 1);
        for (long s = from; s <= second; s++) {
          int b = 3 * (int) Math.floorMod(s, (long) seconds);
          for (int field = 0; field < 3; field++) {
            long old = buckets.getAndSet(b + field, 0);
            if (old != 0) {
              totals.getAndAdd(field, -old);
            }
          }
        }
        return second;
      }
      latest = latestSecond.get();
    }
    return latest;
  }

  private static long second(long nanos) {
    return Math.floorDiv(nanos, NANOS_PER_SECOND);
  }
}
