package dev.lb.xds;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: gRPC's connection backoff ("gRPC Connection Backoff Protocol": the initial
 * delay, times 1.6 per further attempt, capped at the maximum, each spread by ±20% jitter so that a
 * fleet that lost its control plane together does not come back in lockstep). Immutable.
 */
record Backoff(long initialNanos, long maxNanos) {
  static final double MULTIPLIER = 1.6;
  static final double JITTER = 0.2;

  /**
   * Checks the {@code reconnectBackoff} option of the builders that take one.
   *
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is below it
   */
  static void check(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial must not be null");
    Objects.requireNonNull(max, "max must not be null");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException(
          "reconnectBackoff initial must be positive but was " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "reconnectBackoff max must be at least initial (" + initial + ") but was " + max);
    }
  }

  /**
   * The delay before attempt {@code attempt} (1 for the first reconnect).
   *
   * @return nanoseconds, within ±20% of {@code min(max, initial × 1.6^(attempt − 1))}
   */
  long delayNanos(int attempt, RandomGenerator random) {
    double base =
        (double) initialNanos * Math.pow(MULTIPLIER, Math.max(0, Math.min(attempt, 64) - 1));
    double capped = Math.min(base, (double) maxNanos);
    double factor = 1 + JITTER * (2 * random.nextDouble() - 1);
    return Math.max(1, (long) (capped * factor));
  }
}
