package dev.lb.spring;

import static java.util.Objects.requireNonNull;

import dev.lb.BalancerStats;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.HealthStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code lb} health component: {@code UP} when every lb service has at least one healthy
 * endpoint, {@code DOWN} when one has none (all ejected, unhealthy, draining, or no members yet),
 * with each service's counts as details: {@code endpoints}, {@code healthy}, {@code inFlight},
 * {@code panic}.
 *
 * <p>It reports the services this application calls, not the application itself: keep it out of the
 * liveness group (Spring Boot leaves it out by default), or a backend's outage restarts its
 * callers. Thread-safe; each call reads fresh statistics.
 */
public final class LoadBalancersHealthIndicator implements HealthIndicator {
  private final LoadBalancers balancers;

  /**
   * An indicator over the given balancers.
   *
   * @param balancers the balancers
   * @throws NullPointerException if {@code balancers} is null
   */
  public LoadBalancersHealthIndicator(LoadBalancers balancers) {
    this.balancers = requireNonNull(balancers, "balancers");
  }

  @Override
  public Health health() {
    boolean up = true;
    Map<String, Object> details = new LinkedHashMap<>();
    for (Map.Entry<String, LoadBalancer> service : balancers.asMap().entrySet()) {
      BalancerStats stats = service.getValue().stats();
      int healthy = 0;
      for (EndpointStats endpoint : stats.endpoints()) {
        if (endpoint.health() == HealthStatus.HEALTHY) {
          healthy++;
        }
      }
      up &= healthy > 0;
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("status", healthy > 0 ? "UP" : "DOWN");
      detail.put("endpoints", stats.endpoints().size());
      detail.put("healthy", healthy);
      detail.put("inFlight", stats.inFlight());
      detail.put("panic", stats.panic());
      details.put(service.getKey(), detail);
    }
    return (up ? Health.up() : Health.down()).withDetails(details).build();
  }
}
