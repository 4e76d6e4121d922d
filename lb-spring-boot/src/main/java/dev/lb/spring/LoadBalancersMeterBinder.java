package dev.lb.spring;

import static java.util.Objects.requireNonNull;

import dev.lb.LoadBalancer;
import dev.lb.micrometer.LoadBalancerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;

/**
 * The Micrometer meters of every lb service: a {@link MeterBinder} that Spring Boot binds to each
 * of the application's meter registries, binding one {@link LoadBalancerMetrics} per balancer and
 * registry (the {@code lb.*} meters, tagged with the balancer's name).
 *
 * <p>Closing it (Spring does, with the context) unbinds every one: the balancers' listeners and
 * every meter registered are removed. Thread-safe.
 */
public final class LoadBalancersMeterBinder implements MeterBinder, AutoCloseable {
  private final LoadBalancers balancers;
  private final List<LoadBalancerMetrics> bound = new ArrayList<>();
  private boolean closed;

  /**
   * A binder for the balancers of {@code balancers}.
   *
   * @param balancers the services' balancers
   * @throws NullPointerException if {@code balancers} is null
   */
  public LoadBalancersMeterBinder(LoadBalancers balancers) {
    this.balancers = requireNonNull(balancers, "balancers");
  }

  /**
   * Binds every balancer's meters to {@code registry}.
   *
   * @param registry where the meters go
   * @throws NullPointerException if {@code registry} is null
   * @throws IllegalStateException if this binder is closed
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    if (closed) {
      throw new IllegalStateException("the lb meter binder is closed");
    }
    for (LoadBalancer balancer : balancers.asMap().values()) {
      bound.add(LoadBalancerMetrics.monitor(registry, balancer));
    }
  }

  /** Unbinds every balancer from every registry it was bound to. */
  @Override
  public synchronized void close() {
    closed = true;
    for (LoadBalancerMetrics metrics : bound) {
      metrics.close();
    }
    bound.clear();
  }

  @Override
  public String toString() {
    return "LoadBalancersMeterBinder" + balancers.names();
  }
}
