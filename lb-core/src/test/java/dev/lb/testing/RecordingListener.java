package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Records every balancer event as a short line, such as {@code ejected e1 30s}. Thread-safe. */
public final class RecordingListener extends LoadBalancerListener {
  private final List<String> events = new ArrayList<>();

  public synchronized List<String> events() {
    return List.copyOf(events);
  }

  public synchronized void clear() {
    events.clear();
  }

  private synchronized void add(String event) {
    events.add(event);
  }

  @Override
  public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {
    add("added " + endpoint.id());
  }

  @Override
  public void onEndpointRemoved(LoadBalancer balancer, Endpoint endpoint) {
    add("removed " + endpoint.id());
  }

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

  @Override
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
    add("ejected " + endpoint.id() + " " + ejectionTime.toSeconds() + "s");
  }

  @Override
  public void onRestored(LoadBalancer balancer, Endpoint endpoint) {
    add("restored " + endpoint.id());
  }

  @Override
  public void onDrainStarted(LoadBalancer balancer, Endpoint endpoint, int inFlight) {
    add("drain started " + endpoint.id() + " " + inFlight);
  }

  @Override
  public void onDrainFinished(LoadBalancer balancer, Endpoint endpoint, DrainResult result) {
    add("drain finished " + endpoint.id() + " " + result);
  }

  @Override
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {
    add("panic entered " + healthyPercent);
  }

  @Override
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {
    add("panic left " + healthyPercent);
  }

  @Override
  public void onSlowStartFinished(LoadBalancer balancer, Endpoint endpoint) {
    add("slow start finished " + endpoint.id());
  }
}
