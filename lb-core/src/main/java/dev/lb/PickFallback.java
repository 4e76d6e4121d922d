package dev.lb;

import static java.util.Objects.requireNonNull;

import dev.lb.limit.ConcurrencyLimit;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * What a pick does once its first try found nothing: try the snapshots published meanwhile, then
 * fail as closed or explain the refusal from the state that refused the call, and tell listeners.
 * Off the hot path: {@link LoadBalancer} calls it only after a miss.
 */
final class PickFallback {
  /**
   * Each retry follows a change that was published meanwhile; a few suffice, and the bound keeps a
   * pick from chasing a balancer that changes without pause.
   */
  private static final int SNAPSHOT_RETRIES = 4;

  private final LoadBalancer balancer;
  private final UpdatePath updates;
  private final RandomGenerator random;
  private final int maxInFlight;
  private final int panicThreshold;

  PickFallback(
      LoadBalancer balancer,
      UpdatePath updates,
      RandomGenerator random,
      int maxInFlight,
      int panicThreshold) {
    this.balancer = balancer;
    this.updates = updates;
    this.random = random;
    this.maxInFlight = maxInFlight;
    this.panicThreshold = panicThreshold;
  }

  /**
   * The slow path of a pick that found nothing: a change may have published a newer snapshot while
   * the pick read the old one (it tested live status against the old pool), so try the newer ones;
   * then fail as closed, or explain from the state that refused the call.
   *
   * @param admit whether to take a slot (a pick) or only compare (a {@code choose})
   * @param fail whether to throw rather than return null
   * @param emit whether to tell listeners of the refusal
   * @return the chosen endpoint, or null if there is none and {@code fail} is false
   */
  @Nullable EndpointState retry(PickContext context, boolean admit, boolean fail, boolean emit) {
    Snapshot s = balancer.snapshot();
    for (int i = 0; i < SNAPSHOT_RETRIES; i++) {
      EndpointState chosen = s.choose(context, maxInFlight, random, admit);
      if (chosen != null) {
        return chosen;
      }
      Snapshot now = balancer.snapshot();
      if (now == s) {
        break;
      }
      s = now;
    }
    failIfClosed(s);
    boolean tell = emit && updates.hasListeners();
    if (!fail && !tell) {
      return null;
    }
    NoEndpointAvailableException e =
        Diagnosis.noEndpoint(
            balancer.name(), balancer.strategy().name(), s, context, maxInFlight, panicThreshold);
    refuse(e, fail, tell);
    return null;
  }

  /** A pick the balancer-wide concurrency limit refused. */
  @Nullable Lease atBalancerLimit(boolean fail, boolean emit) {
    Snapshot s = balancer.snapshot();
    failIfClosed(s);
    boolean tell = emit && updates.hasListeners();
    if (!fail && !tell) {
      return null;
    }
    Admission admission = balancer.admission();
    ConcurrencyLimit l = requireNonNull(admission.limit());
    refuse(Diagnosis.atBalancerLimit(balancer.name(), s, l, admission.inFlight()), fail, tell);
    return null;
  }

  /** The traffic policy dropped the call: refuse it, without asking any endpoint. */
  @Nullable Lease dropped(TrafficPolicy.Drop drop, boolean fail, boolean emit) {
    Snapshot s = balancer.snapshot();
    failIfClosed(s);
    boolean tell = emit && updates.hasListeners();
    if (fail || tell) {
      refuse(Diagnosis.dropped(balancer.name(), s, drop), fail, tell);
    }
    return null;
  }

  private void failIfClosed(Snapshot s) {
    if (s.closed) {
      throw new IllegalStateException("balancer '" + balancer.name() + "' is closed");
    }
  }

  /** Tells listeners of the refusal (if {@code tell}), then throws it (if {@code fail}). */
  private void refuse(NoEndpointAvailableException e, boolean fail, boolean tell) {
    NoEndpointAvailableException.Reason reason = e.reason();
    if (tell) {
      updates.deliverNow(l -> l.onNoEndpointAvailable(balancer, reason));
    }
    if (fail) {
      throw e;
    }
  }

  /**
   * Blocks on a waiting pick's stage: its lease, or its refusal rethrown as it was. Interrupted, it
   * gives back a lease completed at the same moment, so the caller holds none.
   */
  static Lease await(CompletableFuture<Lease> future) throws InterruptedException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      if (!future.cancel(false)) {
        Lease lease = future.getNow(null);
        if (lease != null) {
          lease.onCancel();
        }
      }
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    } catch (CancellationException e) {
      throw new IllegalStateException("pick cancelled", e);
    }
  }
}
