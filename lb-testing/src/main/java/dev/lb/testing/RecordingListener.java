package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import dev.lb.retry.RetryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LoadBalancerListener} that records every event as one short line, in the order it was
 * told, so a test can assert on what a balancer announced. The lines, by event:
 *
 * <table>
 *   <caption>The line recorded for each event</caption>
 *   <tr><th>event</th><th>line</th></tr>
 *   <tr><td>{@code onEndpointAdded}</td><td>{@code added e1}</td></tr>
 *   <tr><td>{@code onEndpointRemoved}</td><td>{@code removed e1}</td></tr>
 *   <tr><td>{@code onHealthChanged}</td><td>{@code e1 HEALTHY->UNHEALTHY}</td></tr>
 *   <tr><td>{@code onEjected}</td><td>{@code ejected e1 30s} (whole seconds)</td></tr>
 *   <tr><td>{@code onRestored}</td><td>{@code restored e1}</td></tr>
 *   <tr><td>{@code onDrainStarted}</td><td>{@code drain started e1 3} (calls in flight)</td></tr>
 *   <tr><td>{@code onDrainFinished}</td><td>{@code drain finished e1 DRAINED}</td></tr>
 *   <tr><td>{@code onPanicEntered}</td><td>{@code panic entered 40} (healthy percent)</td></tr>
 *   <tr><td>{@code onPanicLeft}</td><td>{@code panic left 100}</td></tr>
 *   <tr><td>{@code onSlowStartFinished}</td><td>{@code slow start finished e1}</td></tr>
 *   <tr><td>{@code onBreakerStateChanged}</td><td>{@code breaker e1 CLOSED->OPEN}</td></tr>
 *   <tr><td>{@code onRetryBudgetExhausted}</td><td>{@code retry budget exhausted}</td></tr>
 *   <tr><td>{@code onRetryBudgetReplenished}</td><td>{@code retry budget replenished}</td></tr>
 * </table>
 *
 * <p>{@code e1} stands for the endpoint's {@link Endpoint#id()}. The balancer, the health-change
 * cause and detail, and the ejection reason are not recorded. A listener may be shared by several
 * balancers; their events interleave.
 *
 * <p>Thread-safe: events may arrive on any thread while the test reads them.
 *
 * <pre>{@code
 * RecordingListener events = new RecordingListener();
 * LoadBalancer lb = LoadBalancer.builder().endpoints(endpoints).listener(events).build();
 * lb.removeEndpoint("e1");
 * assertThat(events.events()).contains("removed e1");
 * }</pre>
 */
public final class RecordingListener extends LoadBalancerListener {
  // Guarded by this.
  private final List<String> events = new ArrayList<>();
  private int routingChanges;

  /** Creates a listener that has recorded nothing. */
  public RecordingListener() {}

  /**
   * Returns the events recorded so far, oldest first.
   *
   * @return an immutable copy of the recorded lines
   */
  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  /**
   * How many {@code onRoutingChanged} events arrived; they are counted, not recorded as lines, so
   * that the lines read as the changes that caused them.
   *
   * @return the count since creation or the last {@link #clear()}
   */
  public synchronized int routingChanges() {
    return routingChanges;
  }

  /** Forgets every event recorded so far. */
  public synchronized void clear() {
    events.clear();
    routingChanges = 0;
  }

  /** Counts the event; see {@link #routingChanges()}. */
  @Override
  public synchronized void onRoutingChanged(LoadBalancer balancer) {
    routingChanges++;
  }

  private synchronized void add(String event) {
    events.add(event);
  }

  /** Records {@code added <id>}. */
  @Override
  public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {
    add("added " + endpoint.id());
  }

  /** Records {@code removed <id>}. */
  @Override
  public void onEndpointRemoved(LoadBalancer balancer, Endpoint endpoint) {
    add("removed " + endpoint.id());
  }

  /** Records {@code <id> <from>-><to>}; the cause and detail are not recorded. */
  @Override
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      HealthChangeCause cause,
      String detail) {
    add(endpoint.id() + " " + from + "->" + to);
  }

  /** Records {@code ejected <id> <whole seconds>s}; the reason is not recorded. */
  @Override
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
    add("ejected " + endpoint.id() + " " + ejectionTime.toSeconds() + "s");
  }

  /** Records {@code restored <id>}. */
  @Override
  public void onRestored(LoadBalancer balancer, Endpoint endpoint) {
    add("restored " + endpoint.id());
  }

  /** Records {@code drain started <id> <in flight>}. */
  @Override
  public void onDrainStarted(LoadBalancer balancer, Endpoint endpoint, int inFlight) {
    add("drain started " + endpoint.id() + " " + inFlight);
  }

  /** Records {@code drain finished <id> <result>}. */
  @Override
  public void onDrainFinished(LoadBalancer balancer, Endpoint endpoint, DrainResult result) {
    add("drain finished " + endpoint.id() + " " + result);
  }

  /** Records {@code panic entered <healthy percent>}. */
  @Override
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {
    add("panic entered " + healthyPercent);
  }

  /** Records {@code panic left <healthy percent>}. */
  @Override
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {
    add("panic left " + healthyPercent);
  }

  /** Records {@code slow start finished <id>}. */
  @Override
  public void onSlowStartFinished(LoadBalancer balancer, Endpoint endpoint) {
    add("slow start finished " + endpoint.id());
  }

  /** Records {@code breaker <id> <from>-><to>}. */
  @Override
  public void onBreakerStateChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      CircuitBreaker.State from,
      CircuitBreaker.State to) {
    add("breaker " + endpoint.id() + " " + from + "->" + to);
  }

  /** Records {@code retry budget exhausted}. */
  @Override
  public void onRetryBudgetExhausted(LoadBalancer balancer, RetryBudget budget) {
    add("retry budget exhausted");
  }

  /** Records {@code retry budget replenished}. */
  @Override
  public void onRetryBudgetReplenished(LoadBalancer balancer, RetryBudget budget) {
    add("retry budget replenished");
  }

  @Override
  public synchronized String toString() {
    return "RecordingListener" + events;
  }
}
