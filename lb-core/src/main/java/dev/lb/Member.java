package dev.lb;

import dev.lb.health.DrainResult;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthStatus;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A balancer's bookkeeping for one endpoint, beside its {@link EndpointState}: health-check
 * counters, ejection history, slow start, drain. Every field is guarded by the balancer's update
 * lock, except the few that stats read, which are volatile.
 */
final class Member {
  final EndpointState state;

  // Active checks.
  int checkPasses;
  int checkFailures;
  volatile @Nullable HealthCheckResult lastCheck;
  Scheduler.@Nullable Cancellable checkTask;

  /** Ejection time is over but active checks must pass (rise) before the endpoint returns. */
  boolean awaitingChecks;

  // Outlier detection.
  int ejectionMultiplier;
  volatile long ejections;
  Scheduler.@Nullable Cancellable restoreTask;

  /** When the current ejection's time is over, in ticker nanoseconds; meaningful while ejected. */
  long ejectionEndsAt;

  long sweptSuccesses;
  long sweptFailures;

  /** Ticker reading when the last ejection ended; the multiplier shrinks only after an interval. */
  long restoredAt = Long.MIN_VALUE / 2;

  /** Re-admits the endpoint for probing when its open breaker's wait is over. */
  Scheduler.@Nullable Cancellable breakerTask;

  /** Ticker reading when the slow-start ramp began, or -1 if not ramping. */
  long slowStartBegin = -1;

  // Draining.
  @Nullable CompletableFuture<DrainResult> drain;
  Scheduler.@Nullable Cancellable drainTimeout;

  /** Removed from the membership; kept only while it drains. */
  boolean removed;

  /**
   * This client's share of the member under subsetting ({@link SubsetFilter}): 1 for a full member
   * of the subset (and always without subsetting), a fraction at an aperture's edge, 0 outside the
   * subset (a member routing never sees). Volatile for stats.
   */
  volatile double subsetShare = 1.0;

  @SuppressWarnings("NonAtomicVolatileUpdate") // written under the balancer's lock only
  void countEjection() {
    ejections++;
  }

  Member(EndpointState state) {
    this.state = state;
    this.sweptSuccesses = state.successes();
    this.sweptFailures = state.failures();
  }

  Endpoint endpoint() {
    return state.endpoint();
  }

  String id() {
    return state.endpoint().id();
  }

  HealthStatus health() {
    return healthOf(state.status());
  }

  static HealthStatus healthOf(int status) {
    if ((status & EndpointState.DISABLED) != 0) {
      return HealthStatus.DISABLED;
    }
    if ((status & EndpointState.DRAINING) != 0) {
      return HealthStatus.DRAINING;
    }
    if ((status & EndpointState.EJECTED) != 0) {
      return HealthStatus.EJECTED;
    }
    if (status != 0) {
      return HealthStatus.UNHEALTHY;
    }
    return HealthStatus.HEALTHY;
  }

  void cancelTimers() {
    if (checkTask != null) {
      checkTask.cancel();
      checkTask = null;
    }
    if (restoreTask != null) {
      restoreTask.cancel();
      restoreTask = null;
    }
    if (breakerTask != null) {
      breakerTask.cancel();
      breakerTask = null;
    }
  }
}
