package dev.lb.discovery;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits, bounded, for something a real server makes happen (a DNS answer reaching the balancer).
 * Integration tests only; unit tests advance fake time instead.
 */
final class Await {
  private Await() {}

  /** Polls {@code condition} every 5 ms until it holds; fails after {@code timeout}. */
  static Duration until(Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + timeout + "; state: " + state.get());
      }
      LockSupport.parkNanos(5_000_000L);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
