package dev.lb.etcd;

import java.util.random.RandomGenerator;

/**
 * Retry delays: gRPC's connection backoff ("gRPC Connection Backoff Protocol": the initial delay,
 * times 1.6 per further attempt, capped at the maximum, each spread by ±20% jitter so that a fleet
 * that lost etcd together does not come back in lockstep). Immutable.
 */
record Backoff(long initialNanos, long maxNanos) {
  static final double MULTIPLIER = 1.6;
  static final double JITTER = 0.2;

  /**
   * The delay before attempt {@code attempt} (1 for the first retry).
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
