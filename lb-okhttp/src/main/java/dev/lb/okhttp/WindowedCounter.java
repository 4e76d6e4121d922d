package dev.lb.okhttp;

import dev.lb.Ticker;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts events over a sliding window of time, in {@code slots} buckets: the sum covers the last
 * {@code slots - 1} full buckets and the current one, so it spans between {@code window × (slots -
 * 1) / slots} and {@code window}.
 *
 * <p>Thread-safe and lock-free. Each bucket is an (epoch, count) pair; the first thread to see a
 * bucket of an old epoch claims it with a CAS on the epoch and resets the count, so an increment
 * racing with that reset may be lost. A retry budget tolerates that: it trades exactness for never
 * locking on the request path.
 */
final class WindowedCounter {
  private final Ticker ticker;
  private final long slotNanos;
  private final int slots;
  private final AtomicLongArray epochs;
  private final AtomicLongArray counts;

  WindowedCounter(Ticker ticker, long windowNanos, int slots) {
    this.ticker = ticker;
    this.slots = slots;
    this.slotNanos = Math.max(1, windowNanos / slots);
    this.epochs = new AtomicLongArray(slots);
    this.counts = new AtomicLongArray(slots);
    for (int i = 0; i < slots; i++) {
      epochs.set(i, Long.MIN_VALUE);
    }
  }

  void increment() {
    long epoch = Math.floorDiv(ticker.read(), slotNanos);
    int slot = (int) Math.floorMod(epoch, (long) slots);
    long seen = epochs.get(slot);
    if (seen != epoch && epochs.compareAndSet(slot, seen, epoch)) {
      counts.set(slot, 0);
    }
    counts.incrementAndGet(slot);
  }

  long sum() {
    long epoch = Math.floorDiv(ticker.read(), slotNanos);
    long sum = 0;
    for (int i = 0; i < slots; i++) {
      long e = epochs.get(i);
      if (e <= epoch && e > epoch - slots) {
        sum += counts.get(i);
      }
    }
    return sum;
  }
}
