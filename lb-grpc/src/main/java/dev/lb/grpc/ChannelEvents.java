package dev.lb.grpc;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import dev.lb.retry.RetryBudget;
import io.grpc.ChannelLogger;
import io.grpc.ChannelLogger.ChannelLogLevel;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The listener a policy gives each balancer it builds: logs the balancer's events on the channel's
 * {@link ChannelLogger} and hands them on to the listeners registered for the channel's target with
 * {@link LbChannels#addListener}.
 *
 * <p>What needs attention is logged at WARNING: an ejection, an endpoint losing its health for a
 * reason other than its connection (a failed health check; a subchannel that is not READY only logs
 * at INFO, as gRPC logs the subchannel's state itself), a breaker opening, panic mode entered.
 * Recoveries and panic left are INFO; membership, drains, slow start and the retry budget are DEBUG
 * (which gRPC sends to {@code java.util.logging} only).
 *
 * <p>lb-core calls it on the channel's synchronization context (the policy's balancer runs every
 * state change there), never under its lock. A registered listener that throws is logged and
 * skipped; the others are still told.
 */
final class ChannelEvents extends LoadBalancerListener {
  /** How {@link LbPolicy} marks an endpoint whose subchannel is not READY down. */
  static final String CONNECTIVITY_REASON_PREFIX = "subchannel ";

  private final ChannelLogger logger;
  private final String target;

  ChannelEvents(ChannelLogger logger, String target) {
    this.logger = logger;
    this.target = target;
  }

  private void forward(Consumer<LoadBalancerListener> event) {
    for (LoadBalancerListener l : LbChannels.listeners(target)) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        logger.log(ChannelLogLevel.WARNING, "lb: listener {0} threw {1}", l, e);
      }
    }
  }

  @Override
  public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {
    logger.log(ChannelLogLevel.DEBUG, "lb: {0} added", endpoint.id());
    forward(l -> l.onEndpointAdded(balancer, endpoint));
  }

  @Override
  public void onEndpointRemoved(LoadBalancer balancer, Endpoint endpoint) {
    logger.log(ChannelLogLevel.DEBUG, "lb: {0} removed", endpoint.id());
    forward(l -> l.onEndpointRemoved(balancer, endpoint));
  }

  @Override
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      HealthChangeCause cause,
      String reason) {
    // The policy marks an endpoint down for its subchannel's connectivity only: that is INFO.
    boolean worse = to != HealthStatus.HEALTHY && cause != HealthChangeCause.MARKED_DOWN;
    logger.log(
        worse ? ChannelLogLevel.WARNING : ChannelLogLevel.INFO,
        "lb: {0} {1} -> {2}: {3}",
        endpoint.id(),
        from,
        to,
        reason);
    forward(l -> l.onHealthChanged(balancer, endpoint, from, to, cause, reason));
  }

  @Override
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
    logger.log(
        ChannelLogLevel.WARNING,
        "lb: {0} ejected for {1}: {2}",
        endpoint.id(),
        ejectionTime,
        reason);
    forward(l -> l.onEjected(balancer, endpoint, reason, ejectionTime));
  }

  @Override
  public void onRestored(LoadBalancer balancer, Endpoint endpoint) {
    logger.log(ChannelLogLevel.INFO, "lb: {0} restored after its ejection", endpoint.id());
    forward(l -> l.onRestored(balancer, endpoint));
  }

  @Override
  public void onDrainStarted(LoadBalancer balancer, Endpoint endpoint, int inFlight) {
    logger.log(
        ChannelLogLevel.DEBUG, "lb: {0} draining, {1} calls in flight", endpoint.id(), inFlight);
    forward(l -> l.onDrainStarted(balancer, endpoint, inFlight));
  }

  @Override
  public void onDrainFinished(LoadBalancer balancer, Endpoint endpoint, DrainResult result) {
    logger.log(ChannelLogLevel.DEBUG, "lb: {0} drain finished: {1}", endpoint.id(), result);
    forward(l -> l.onDrainFinished(balancer, endpoint, result));
  }

  /** Not logged (it follows every other change, and each slow-start step): only forwarded. */
  @Override
  public void onRoutingChanged(LoadBalancer balancer) {
    forward(l -> l.onRoutingChanged(balancer));
  }

  @Override
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {
    logger.log(
        ChannelLogLevel.WARNING,
        "lb: panic mode entered: {0}% of endpoints healthy; calls go to unhealthy ones too",
        healthyPercent);
    forward(l -> l.onPanicEntered(balancer, healthyPercent));
  }

  @Override
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {
    logger.log(
        ChannelLogLevel.INFO, "lb: panic mode left: {0}% of endpoints healthy", healthyPercent);
    forward(l -> l.onPanicLeft(balancer, healthyPercent));
  }

  @Override
  public void onSlowStartFinished(LoadBalancer balancer, Endpoint endpoint) {
    logger.log(ChannelLogLevel.DEBUG, "lb: {0} slow start finished", endpoint.id());
    forward(l -> l.onSlowStartFinished(balancer, endpoint));
  }

  @Override
  public void onBreakerStateChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      CircuitBreaker.State from,
      CircuitBreaker.State to) {
    // An open breaker takes its endpoint out of picking, as an ejection does.
    logger.log(
        to == CircuitBreaker.State.OPEN ? ChannelLogLevel.WARNING : ChannelLogLevel.DEBUG,
        "lb: {0} circuit breaker {1} -> {2}",
        endpoint.id(),
        from,
        to);
    forward(l -> l.onBreakerStateChanged(balancer, endpoint, from, to));
  }

  @Override
  public void onRetryBudgetExhausted(LoadBalancer balancer, RetryBudget budget) {
    logger.log(ChannelLogLevel.DEBUG, "lb: retry budget exhausted");
    forward(l -> l.onRetryBudgetExhausted(balancer, budget));
  }

  @Override
  public void onRetryBudgetReplenished(LoadBalancer balancer, RetryBudget budget) {
    logger.log(ChannelLogLevel.DEBUG, "lb: retry budget replenished");
    forward(l -> l.onRetryBudgetReplenished(balancer, budget));
  }

  @Override
  public String toString() {
    return "ChannelEvents{" + target + "}";
  }
}
