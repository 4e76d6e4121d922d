package dev.lb;

import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Drains: a draining endpoint takes no new calls, and its drain ends when its last call in flight
 * finishes ({@link DrainResult#DRAINED}), when its timeout passes ({@link DrainResult#TIMED_OUT}),
 * or when it is enabled or added back ({@link DrainResult#CANCELLED}), or the balancer closes.
 * Removed endpoints drain before their statistics go. Runs on the serialized path; the lease path
 * signals the last call through {@link #onDrained}.
 */
final class Drains {
  private final LoadBalancer balancer;
  private final UpdatePath updates;
  private final StatusTransitions status;
  private final Consumer<Member> forget;

  Drains(
      LoadBalancer balancer,
      UpdatePath updates,
      StatusTransitions status,
      Consumer<Member> forget) {
    this.balancer = balancer;
    this.updates = updates;
    this.status = status;
    this.forget = forget;
  }

  /** Starts draining {@code m}; the future completes when the drain ends. */
  CompletableFuture<DrainResult> start(Member m, long timeoutNanos) {
    CompletableFuture<DrainResult> future = new CompletableFuture<>();
    m.drain = future;
    int inFlight = m.state.inFlight();
    if (m.removed) {
      status.set(m, EndpointState.DRAINING, HealthChangeCause.REMOVED, "removed");
    } else {
      status.set(m, EndpointState.DRAINING, HealthChangeCause.DRAIN_STARTED, "drain requested");
    }
    Endpoint e = m.endpoint();
    updates.emit(l -> l.onDrainStarted(balancer, e, inFlight));
    if (m.state.inFlight() == 0) {
      finish(m, DrainResult.DRAINED);
    } else {
      m.drainTimeout =
          updates
              .timers()
              .schedule(() -> updates.run(() -> finish(m, DrainResult.TIMED_OUT)), timeoutNanos);
      // The lease path signals when the last call finishes; a call may have finished just before
      // the draining bit was visible to it, so look once more.
      if (m.state.inFlight() == 0) {
        finish(m, DrainResult.DRAINED);
      }
    }
    return future;
  }

  /** The lease path saw the last call of a draining endpoint finish. */
  void onDrained(Member m) {
    if (m.drain != null && m.state.inFlight() == 0) {
      finish(m, DrainResult.DRAINED);
    }
  }

  /** Ends the member's drain, if it has one; returns true if it did. */
  boolean finish(Member m, DrainResult result) {
    CompletableFuture<DrainResult> future = m.drain;
    if (future == null) {
      return false;
    }
    m.drain = null;
    UpdatePath.cancel(m.drainTimeout);
    m.drainTimeout = null;
    Endpoint e = m.endpoint();
    updates.emit(l -> l.onDrainFinished(balancer, e, result));
    updates.afterUnlock(() -> future.complete(result));
    if (m.removed && result != DrainResult.CANCELLED) {
      forget.accept(m);
    }
    return true;
  }
}
