package dev.lb.okhttp;

import dev.lb.retry.RetryBudget;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.jspecify.annotations.Nullable;

/**
 * A service's hedging state: its {@link HedgingPolicy}, its budget and, for an adaptive delay, its
 * latency estimator. One per {@link Service}; thread-safe (its parts are).
 */
final class Hedging {
  private final HedgingPolicy policy;
  private final RetryBudget budget;
  private final @Nullable LatencyEstimator estimator;
  private final @Nullable HedgeTimer sharedTimer;

  Hedging(HedgingPolicy policy) {
    this.policy = policy;
    this.budget =
        RetryBudget.builder()
            .percentCanRetry(policy.budgetPercent())
            .minRetriesPerSecond(policy.budgetMinPerSecond())
            .ttl(policy.budgetWindow())
            .ticker(policy.ticker())
            .build();
    this.estimator =
        policy.isAdaptive()
            ? new LatencyEstimator(policy.ticker(), policy.percentile(), policy.windowNanos())
            : null;
    this.sharedTimer = policy.hasDefaultScheduler() ? HedgeTimer.SHARED : null;
  }

  /**
   * The allocation-free shared timer when the policy has the default scheduler; null when the user
   * gave one (then each hedge timer is that scheduler's task).
   */
  @Nullable HedgeTimer sharedTimer() {
    return sharedTimer;
  }

  HedgingPolicy policy() {
    return policy;
  }

  RetryBudget budget() {
    return budget;
  }

  /** The hedge delay now: fixed, or the latest percentile estimate within the policy's bounds. */
  long delayNanos() {
    LatencyEstimator e = estimator;
    if (e == null) {
      return policy.fixedDelayNanos();
    }
    long estimate = e.estimateNanos();
    if (estimate < 0) {
      return policy.fixedDelayNanos();
    }
    return Math.max(policy.minDelayNanos(), Math.min(policy.maxDelayNanos(), estimate));
  }

  /** Whether the delay adapts to the latencies {@link #record}ed (else recording does nothing). */
  boolean adaptive() {
    return estimator != null;
  }

  /** Records an attempt's latency, for an adaptive delay. */
  void record(long nanos) {
    LatencyEstimator e = estimator;
    if (e != null) {
      e.record(nanos);
    }
  }

  /**
   * Whether a request may be hedged at all: an idempotent method or the service's idempotency key,
   * and a body that can be written more than once, concurrently (not one-shot, not duplex).
   */
  static boolean hedgeable(Service service, Request request) {
    if (!BalancedCall.isIdempotent(request.method()) && !service.hasIdempotencyKey(request)) {
      return false;
    }
    RequestBody body = request.body();
    return body == null || (!body.isOneShot() && !body.isDuplex());
  }
}
