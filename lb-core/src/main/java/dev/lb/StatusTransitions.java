package dev.lb;

import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;

/**
 * The one writer of endpoints' status bits. Every rule that takes an endpoint out of rotation or
 * brings it back (checks, ejection, drains, breakers, mark-down, disable) sets and clears bits
 * here, on the serialized path; this raises the health event when the visible {@link HealthStatus}
 * changed, marks the routing dirty, and tells slow start when an endpoint left or re-entered
 * rotation.
 */
final class StatusTransitions {
  /** The bits that mean "not healthy": leaving all of them is a recovery that starts a ramp. */
  static final int HEALTH_BITS =
      EndpointState.UNHEALTHY
          | EndpointState.EJECTED
          | EndpointState.MARKED_DOWN
          | EndpointState.BREAKER_OPEN;

  private final LoadBalancer balancer;
  private final UpdatePath updates;
  private final SlowStartRamps ramps;
  private boolean recovered;

  StatusTransitions(LoadBalancer balancer, UpdatePath updates, SlowStartRamps ramps) {
    this.balancer = balancer;
    this.updates = updates;
    this.ramps = ramps;
  }

  /**
   * Sets and clears status bits of {@code m}.
   *
   * @return true if any bit changed
   */
  boolean change(Member m, int set, int clear, HealthChangeCause cause, String detail) {
    int old = m.state.status();
    int now = (old | set) & ~clear;
    if (now == old) {
      return false;
    }
    m.state.status(now);
    updates.markDirty();
    HealthStatus from = Member.healthOf(old);
    HealthStatus to = Member.healthOf(now);
    if (from != to) {
      Endpoint e = m.endpoint();
      updates.emit(l -> l.onHealthChanged(balancer, e, from, to, cause, detail));
    }
    if ((old & HEALTH_BITS) != 0 && (now & HEALTH_BITS) == 0) {
      recovered = true;
      ramps.begin(m); // recovered: ramp up from the start
    } else if ((old & HEALTH_BITS) == 0 && (now & HEALTH_BITS) != 0) {
      ramps.stop(m); // out of rotation: a ramp under way stops, and restarts on recovery
    }
    return true;
  }

  /**
   * Whether any endpoint ever came back into rotation (a mark-up, passed checks, an ejection end).
   */
  boolean anyRecovery() {
    return recovered;
  }

  boolean set(Member m, int bits, HealthChangeCause cause, String detail) {
    return change(m, bits, 0, cause, detail);
  }

  boolean clear(Member m, int bits, HealthChangeCause cause, String detail) {
    return change(m, 0, bits, cause, detail);
  }
}
