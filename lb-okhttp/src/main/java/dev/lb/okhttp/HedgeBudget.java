package dev.lb.okhttp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The hedging budget of one service: a token bucket in thousandths of a hedge. A call answered
 * within its hedge delay {@link #deposit()}s {@code budgetPercent} of a hedge, up to the burst; a
 * hedge must {@link #tryWithdraw()} a whole one first, and gives it back with {@link #refund()} if
 * it could not be sent after all (no endpoint left). It starts full.
 *
 * <p>Why deposits come only from calls answered in time: hedges are then at most {@code
 * budgetPercent} of those calls plus the burst, so at most that share of all calls; and when every
 * endpoint is slow, no call fills the bucket and hedging stops after at most the burst, since a
 * hedge to another slow endpoint only adds load (see {@link HedgingPolicy}).
 *
 * <p>Thread-safe and lock-free: one compare-and-set per change, so concurrent hedges never overdraw
 * it.
 */
final class HedgeBudget {
  static final long HEDGE = 1000;

  private final long deposit;
  private final long capacity;
  private final AtomicLong balance;

  HedgeBudget(double percent, int burst) {
    this.deposit = Math.round(percent * HEDGE);
    this.capacity = burst * HEDGE;
    this.balance = new AtomicLong(capacity);
  }

  void deposit() {
    if (deposit == 0) {
      return;
    }
    while (true) {
      long b = balance.get();
      if (b >= capacity || balance.compareAndSet(b, Math.min(capacity, b + deposit))) {
        return;
      }
    }
  }

  boolean tryWithdraw() {
    while (true) {
      long b = balance.get();
      if (b < HEDGE) {
        return false;
      }
      if (balance.compareAndSet(b, b - HEDGE)) {
        return true;
      }
    }
  }

  void refund() {
    while (true) {
      long b = balance.get();
      if (balance.compareAndSet(b, Math.min(capacity, b + HEDGE))) {
        return;
      }
    }
  }

  /** Whole hedges left. */
  long remaining() {
    return balance.get() / HEDGE;
  }

  @Override
  public String toString() {
    return "HedgeBudget{" + balance.get() / (double) HEDGE + " of " + capacity / HEDGE + "}";
  }
}
