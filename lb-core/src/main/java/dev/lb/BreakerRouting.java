package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.HealthChangeCause;

/**
 * Circuit breakers in routing: an open breaker takes its endpoint out of picking (not only failing
 * the calls picked onto it); when its wait is over the endpoint comes back into the pool so that
 * the first pick moves the breaker to half-open and probes it. Transitions are told by the thread
 * that won them and applied here on the serialized path.
 */
final class BreakerRouting {
  private final LoadBalancer balancer;
  private final UpdatePath updates;
  private final StatusTransitions status;

  // Guarded by the update lock.
  private boolean closed;

  BreakerRouting(LoadBalancer balancer, UpdatePath updates, StatusTransitions status) {
    this.balancer = balancer;
    this.updates = updates;
    this.status = status;
  }

  void close() {
    closed = true;
  }

  void changed(
      Member m, CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
    Endpoint e = m.endpoint();
    updates.emit(l -> l.onBreakerStateChanged(balancer, e, from, to));
    UpdatePath.cancel(m.breakerTask);
    m.breakerTask = null;
    // Every transition changes what a pick may be admitted to, even one that flips no status bit
    // (half-open to closed ends the probe limit): publish, so that adapters holding picks back
    // until the routing changes (gRPC's buffered wait-for-ready calls) hear onRoutingChanged.
    updates.markDirty();
    if (to.admitsCalls()) {
      status.clear(
          m, EndpointState.BREAKER_OPEN, HealthChangeCause.BREAKER_CLOSED, "circuit breaker " + to);
      return;
    }
    status.set(
        m, EndpointState.BREAKER_OPEN, HealthChangeCause.BREAKER_OPENED, "circuit breaker " + to);
    if (to == CircuitBreaker.State.OPEN && !closed && !m.removed) {
      m.breakerTask =
          updates
              .timers()
              .schedule(
                  () ->
                      updates.run(
                          () -> {
                            m.breakerTask = null;
                            if (breaker.state() != CircuitBreaker.State.FORCED_OPEN) {
                              status.clear(
                                  m,
                                  EndpointState.BREAKER_OPEN,
                                  HealthChangeCause.BREAKER_PROBING,
                                  "circuit breaker probing");
                            }
                          }),
                  // The breaker's wait ends strictly after its duration; one nanosecond later it
                  // probes.
                  breaker.waitDurationInOpenState().toNanos() + 1);
    }
  }
}
