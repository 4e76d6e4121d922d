package dev.lb.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last N outcomes, in a ring of N one-byte slots.
 *
 * <p>Each record takes the next sequence number, swaps its outcome into slot {@code sequence mod N}
 * with an atomic get-and-set, and applies the difference between the new and the replaced outcome
 * to the totals. Because every slot change is one atomic swap whose difference is applied exactly
 * once, the totals always converge to the sum of the slots. When every recorded outcome replaces an
 * equal one (a healthy endpoint: success after success), no total changes and the record costs two
 * atomic operations.
 *
 * <p>Under races a slot may briefly hold an outcome older than the last N, if a thread that took a
 * sequence number is overtaken by one that took the same slot a lap later; this needs as many
 * concurrent recorders as the window has slots, and never makes the totals disagree with the slots.
 */
final class CountWindow extends OutcomeWindow {
  private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(byte[].class);

  private final byte[] slots;
  private final int minimumCalls;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger slowCalls = new AtomicInteger();

  CountWindow(int size, int minimumCalls) {
    this.slots = new byte[size];
    this.minimumCalls = Math.min(size, minimumCalls);
  }

  @Override
  void record(int outcome) {
    int slot = (int) (sequence.getAndIncrement() % slots.length);
    int old = (byte) SLOTS.getAndSet(slots, slot, (byte) outcome);
    if (old == outcome) {
      return;
    }
    int dCalls = (outcome & RECORDED) - (old & RECORDED);
    int dFailures = ((outcome & FAILED) - (old & FAILED)) >> 1;
    int dSlow = ((outcome & SLOW) - (old & SLOW)) >> 2;
    if (dCalls != 0) {
      calls.addAndGet(dCalls);
    }
    if (dFailures != 0) {
      failures.addAndGet(dFailures);
    }
    if (dSlow != 0) {
      slowCalls.addAndGet(dSlow);
    }
  }

  @Override
  int calls() {
    return calls.get();
  }

  @Override
  int failures() {
    return failures.get();
  }

  @Override
  int slowCalls() {
    return slowCalls.get();
  }

  @Override
  int minimumCalls() {
    return minimumCalls;
  }
}
