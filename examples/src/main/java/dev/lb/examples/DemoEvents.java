package dev.lb.examples;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.Ticker;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * The demo's event log: what the balancer reported through its {@link LoadBalancerListener} (health
 * changes, ejections, the end of slow start, panic) and what the demo did to its backends, each
 * stamped with the time since the run began.
 *
 * <p>Thread-safe: the balancer's threads add events; the demo's director thread takes them in order
 * with {@link #drain()} and prints them.
 */
final class DemoEvents extends LoadBalancerListener {
  /** What kind of thing happened. */
  enum Kind {
    /** The demo changed a backend: started failing, killed, restarted. */
    SCENARIO,
    /** The balancer changed an endpoint's health status. */
    HEALTH,
    /** An endpoint's slow-start ramp ended: it has its full weight again. */
    FULL_WEIGHT,
    /** The balancer entered or left panic mode. */
    PANIC
  }

  /**
   * One entry of the log.
   *
   * @param atNanos when, in nanoseconds since the run began
   * @param kind what kind of event
   * @param endpointId the endpoint it concerns, or null for balancer-wide events
   * @param to the endpoint's new status for {@link Kind#HEALTH} events, else null
   * @param text the line to print
   */
  record Event(
      long atNanos,
      Kind kind,
      @Nullable String endpointId,
      @Nullable HealthStatus to,
      String text) {

    /** Renders the event as one line: seconds since the start, then the text. */
    String line() {
      return String.format(Locale.ROOT, "%6.1f s  %s", atNanos / 1e9, text);
    }
  }

  private final Ticker ticker;
  private final long startNanos;
  private final ConcurrentLinkedQueue<Event> pending = new ConcurrentLinkedQueue<>();
  private final List<Event> all = new ArrayList<>(); // guarded by itself

  DemoEvents(Ticker ticker, long startNanos) {
    this.ticker = ticker;
    this.startNanos = startNanos;
  }

  /** Records something the demo did to a backend. */
  void scenario(String endpointId, String text) {
    add(Kind.SCENARIO, endpointId, null, text);
  }

  /** Returns the events added since the last call, oldest first. */
  List<Event> drain() {
    List<Event> out = new ArrayList<>();
    for (Event e; (e = pending.poll()) != null; ) {
      out.add(e);
    }
    return out;
  }

  /** Returns every event so far, oldest first. */
  List<Event> all() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  @Override
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      HealthChangeCause cause,
      String reason) {
    if (to == HealthStatus.EJECTED) {
      return; // onEjected tells the same with the ejection's length
    }
    add(Kind.HEALTH, endpoint.id(), to, endpoint.id() + " " + from + " -> " + to + ": " + reason);
  }

  @Override
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
    add(
        Kind.HEALTH,
        endpoint.id(),
        HealthStatus.EJECTED,
        String.format(
            Locale.ROOT,
            "%s EJECTED for %.1f s: %s",
            endpoint.id(),
            ejectionTime.toMillis() / 1e3,
            reason));
  }

  @Override
  public void onSlowStartFinished(LoadBalancer balancer, Endpoint endpoint) {
    // A ramp that began when the endpoint recovered runs on if it is ejected again; say so, rather
    // than announce full weight for an endpoint that takes no calls.
    HealthStatus now = balancer.health(endpoint.id());
    add(
        Kind.FULL_WEIGHT,
        endpoint.id(),
        null,
        now == null || now == HealthStatus.HEALTHY
            ? endpoint.id() + " has its full weight again: slow start is over"
            : endpoint.id() + "'s slow-start ramp ended while it was " + now);
  }

  @Override
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {
    add(Kind.PANIC, null, null, "PANIC: only " + healthyPercent + "% healthy, calls go anywhere");
  }

  @Override
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {
    add(Kind.PANIC, null, null, "panic over: " + healthyPercent + "% healthy");
  }

  private void add(Kind kind, @Nullable String endpointId, @Nullable HealthStatus to, String text) {
    Event e = new Event(ticker.read() - startNanos, kind, endpointId, to, text);
    synchronized (all) {
      all.add(e);
      pending.add(e); // under the same lock, so drain() order matches all()
    }
  }
}
