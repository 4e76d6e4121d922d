package dev.lb;

import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthCheckResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a balancer carries over from the one it replaces ({@link LoadBalancer.Builder#inheritFrom}),
 * for every initial endpoint the replaced balancer had (same id), applied on the new balancer's
 * serialized path before its first snapshot is published. Health (status bits, ejection timing, the
 * checks' counts) is captured under the replaced balancer's lock; counters and estimators, which
 * leases update without a lock, are read from the old endpoint state moments later, as the new
 * balancer starts (each value exact, together not a single instant).
 *
 * <p>Carried: outcome counters, last failure, failure streak, load estimators and failure penalty
 * (decayed as they were); the ejection count and multiplier, an ejection under way (for what was
 * left of it, or waiting for checks, as outlier detection here allows), and the active checks'
 * verdict (failing endpoints stay out until they pass here). Not carried: calls in flight (their
 * leases report to the replaced balancer), the recent latency window, breakers, rate and
 * concurrency limits (made by the new balancer's factories), a slow-start ramp under way (initial
 * members start at full weight), a strategy's own per-endpoint state (orca_weighted_round_robin's
 * blackout starts again; the latest load report is carried), and what the balancer's owner applies
 * itself (drains, disabled endpoints, transport mark-downs).
 */
final class Inheritance {
  /** One endpoint's history, as it stood when captured. */
  private record Carried(
      EndpointState state,
      int status,
      long ejections,
      int ejectionMultiplier,
      long ejectionLeftNanos,
      boolean awaitingChecks,
      @Nullable HealthCheckResult lastCheck,
      int checkPasses,
      int checkFailures) {}

  private final Map<String, Carried> byId;
  private final long capturedAt;

  private Inheritance(Map<String, Carried> byId, long capturedAt) {
    this.byId = byId;
    this.capturedAt = capturedAt;
  }

  /** Captures the members of {@code members} (under their balancer's lock) at {@code now}. */
  static Inheritance capture(List<Member> members, long now) {
    Map<String, Carried> byId = new HashMap<>();
    for (Member m : members) {
      if (m.removed) {
        continue;
      }
      int status = m.state.status();
      byId.put(
          m.id(),
          new Carried(
              m.state,
              status,
              m.ejections,
              m.ejectionMultiplier,
              (status & EndpointState.EJECTED) != 0 ? Math.max(0, m.ejectionEndsAt - now) : 0,
              m.awaitingChecks,
              m.lastCheck,
              m.checkPasses,
              m.checkFailures));
    }
    return new Inheritance(byId, now);
  }

  /** Nothing to carry: a balancer built without {@code inheritFrom}. */
  static Inheritance none() {
    return new Inheritance(Map.of(), 0);
  }

  /** Starts {@code fresh}'s counters and estimators from its predecessor's, if it had one. */
  void intoState(EndpointState fresh) {
    Carried c = byId.get(fresh.endpoint().id());
    if (c != null) {
      fresh.inheritFrom(c.state, capturedAt);
    }
  }

  /**
   * Gives {@code m} (registered, not yet checked) its predecessor's health: the checks' verdict if
   * checks run here, an ejection under way if outlier detection allows it here.
   */
  void intoMember(
      Member m,
      StatusTransitions status,
      ActiveHealthChecks checks,
      OutlierEjection outliers,
      long now) {
    Carried c = byId.get(m.id());
    if (c == null) {
      return;
    }
    m.ejections = c.ejections;
    m.ejectionMultiplier = c.ejectionMultiplier;
    // Without checks here, a failing verdict would never be lifted: nothing would check it.
    if (checks.enabled()) {
      m.lastCheck = c.lastCheck;
      m.checkPasses = c.checkPasses;
      m.checkFailures = c.checkFailures;
      if ((c.status & EndpointState.UNHEALTHY) != 0) {
        status.set(
            m,
            EndpointState.UNHEALTHY,
            HealthChangeCause.CHECKS_FAILED,
            "failing its checks in the balancer this one replaced");
      }
    }
    if ((c.status & EndpointState.EJECTED) != 0) {
      long elapsed = Math.max(0, now - capturedAt);
      outliers.resume(
          m,
          Math.max(0, c.ejectionLeftNanos - elapsed),
          c.awaitingChecks,
          "ejected in the balancer this one replaced");
    }
  }
}
