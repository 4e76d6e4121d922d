package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import dev.lb.retry.RetryBudget;
import java.time.Duration;

/**
 * Told of every change in a balancer's endpoints and health: membership, health transitions,
 * ejections, drains, panic mode, slow start. Override the methods you care about; the others do
 * nothing, so new events never break existing listeners.
 *
 * <p>Events are delivered after the change took effect (the new routing is already published), by
 * the thread that made the change, never while the balancer holds a lock, so a listener may call
 * back into the balancer. Methods must be fast and must not block; an exception thrown by one is
 * logged through {@link System.Logger} and otherwise ignored. Events of one balancer are delivered
 * in the order the changes were made only when they come from one thread; a listener that needs a
 * total order should read {@link LoadBalancer#stats()}.
 *
 * <pre>{@code
 * LoadBalancer.builder()
 *     .listener(new LoadBalancerListener() {
 *       @Override public void onEjected(LoadBalancer lb, Endpoint e, String reason, Duration d) {
 *         log.warn("{} ejected from {} for {}: {}", e.id(), lb.name(), d, reason);
 *       }
 *     })
 * }</pre>
 */
public abstract class LoadBalancerListener {
  /** A listener that ignores every event. */
  public static final LoadBalancerListener NONE = new LoadBalancerListener() {};

  /** Creates a listener; subclasses override the events they need. */
  protected LoadBalancerListener() {}

  /**
   * An endpoint joined the membership.
   *
   * @param balancer the balancer
   * @param endpoint the new member
   */
  public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {}

  /**
   * An endpoint left the membership; it drains before its statistics go.
   *
   * @param balancer the balancer
   * @param endpoint the removed member
   */
  public void onEndpointRemoved(LoadBalancer balancer, Endpoint endpoint) {}

  /**
   * An endpoint's {@link HealthStatus} changed. By default this calls the older {@link
   * #onHealthChanged(LoadBalancer, Endpoint, HealthStatus, HealthStatus, String)} with the detail,
   * so listeners written against it keep working.
   *
   * @param balancer the balancer
   * @param endpoint the endpoint
   * @param from the status before
   * @param to the status now
   * @param cause why, as a value to switch on
   * @param detail why, for people, such as {@code "3 consecutive failed checks: HTTP 503"}
   */
  @SuppressWarnings("deprecation") // the default forwards to the method this one replaces
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      HealthChangeCause cause,
      String detail) {
    onHealthChanged(balancer, endpoint, from, to, detail);
  }

  /**
   * An endpoint's {@link HealthStatus} changed; called only by the default implementation of the
   * method with a {@link HealthChangeCause}.
   *
   * @param balancer the balancer
   * @param endpoint the endpoint
   * @param from the status before
   * @param to the status now
   * @param reason why, such as {@code "3 consecutive failed checks: HTTP 503"}
   * @deprecated override {@link #onHealthChanged(LoadBalancer, Endpoint, HealthStatus,
   *     HealthStatus, HealthChangeCause, String)}, which says why as a {@link HealthChangeCause}
   */
  @Deprecated
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      String reason) {}

  /**
   * Outlier detection ejected an endpoint.
   *
   * @param balancer the balancer
   * @param endpoint the ejected endpoint
   * @param reason which detector, such as {@code "5 consecutive failures"}
   * @param ejectionTime how long the ejection lasts at least
   */
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {}

  /**
   * An ejected endpoint takes calls again.
   *
   * @param balancer the balancer
   * @param endpoint the restored endpoint
   */
  public void onRestored(LoadBalancer balancer, Endpoint endpoint) {}

  /**
   * An endpoint started draining: it takes no new calls.
   *
   * @param balancer the balancer
   * @param endpoint the draining endpoint
   * @param inFlight its calls in flight when the drain began
   */
  public void onDrainStarted(LoadBalancer balancer, Endpoint endpoint, int inFlight) {}

  /**
   * A drain ended.
   *
   * @param balancer the balancer
   * @param endpoint the endpoint
   * @param result whether its calls finished, the timeout passed, or the drain was cancelled
   */
  public void onDrainFinished(LoadBalancer balancer, Endpoint endpoint, DrainResult result) {}

  /**
   * The balancer published new routing: where picks go may have changed (membership, a health
   * transition, an ejection or its end, a breaker opening or probing, a drain, a slow-start step,
   * panic). Sent once per published routing snapshot, after the other events of the same change.
   * Adapters that cache picks or hand a picker to a framework (gRPC) rebuild on it; a listener that
   * wants to know what changed reads the other events.
   *
   * @param balancer the balancer
   */
  @Experimental("new in 0.1; when it is sent may be narrowed to changes that move picks")
  public void onRoutingChanged(LoadBalancer balancer) {}

  /**
   * Panic was entered, from a settled state (see {@link LoadBalancer.Builder#panicThreshold}): some
   * priority level now spreads calls over all its endpoints, healthy or not, rather than overload
   * its few healthy ones. Not sent while a new balancer's endpoints are still connecting or
   * awaiting their first checks.
   *
   * @param balancer the balancer
   * @param healthyPercent the healthy share, 0 to 100
   */
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {}

  /**
   * The healthy share is back at or above the panic threshold.
   *
   * @param balancer the balancer
   * @param healthyPercent the healthy share, 0 to 100
   */
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {}

  /**
   * An endpoint's slow-start ramp is over: it has its full weight.
   *
   * @param balancer the balancer
   * @param endpoint the endpoint
   */
  public void onSlowStartFinished(LoadBalancer balancer, Endpoint endpoint) {}

  /**
   * An endpoint's circuit breaker changed state. An open breaker takes the endpoint out of picking.
   *
   * @param balancer the balancer
   * @param endpoint the endpoint
   * @param from the breaker's state before
   * @param to the breaker's state now
   */
  public void onBreakerStateChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      CircuitBreaker.State from,
      CircuitBreaker.State to) {}

  /**
   * The balancer's retry budget refused a retry: retries are at their allowance. Told once per
   * episode.
   *
   * @param balancer the balancer
   * @param budget its retry budget
   */
  public void onRetryBudgetExhausted(LoadBalancer balancer, RetryBudget budget) {}

  /**
   * The balancer's retry budget allows retries again after being exhausted.
   *
   * @param balancer the balancer
   * @param budget its retry budget
   */
  public void onRetryBudgetReplenished(LoadBalancer balancer, RetryBudget budget) {}

  /**
   * A pick or {@link LoadBalancer#choose choice} found no endpoint: {@link LoadBalancer#pick} is
   * about to throw {@link NoEndpointAvailableException}, or {@link LoadBalancer#tryPick} to return
   * null. Told on the picking thread, once per refused call, so it may come often under overload.
   *
   * @param balancer the balancer
   * @param reason why, as the exception would say
   */
  public void onNoEndpointAvailable(
      LoadBalancer balancer, NoEndpointAvailableException.Reason reason) {}
}
