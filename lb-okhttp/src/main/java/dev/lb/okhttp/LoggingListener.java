package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A balancer listener that logs health events through SLF4J: a warning when an endpoint is ejected,
 * turns unhealthy, or its balancer enters panic; info when it comes back or panic ends. Pass it to
 * each balancer the interceptor uses.
 *
 * <pre>{@code
 * LoadBalancer.builder().name("users").listener(new LoggingListener())...
 * }</pre>
 *
 * <p>Stateless and thread-safe; one instance may serve every balancer. Logs under {@code
 * dev.lb.okhttp.LoggingListener}.
 */
public final class LoggingListener extends LoadBalancerListener {
  private static final Logger LOG = LoggerFactory.getLogger(LoggingListener.class);

  /** Creates a listener; it has no state, so one instance may serve every balancer. */
  public LoggingListener() {}

  @Override
  public void onEjected(
      LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
    LOG.warn(
        "{}: ejected {} for {} ms: {}",
        balancer.name(),
        endpoint.id(),
        ejectionTime.toMillis(),
        reason);
  }

  @Override
  public void onRestored(LoadBalancer balancer, Endpoint endpoint) {
    LOG.info("{}: {} takes calls again after its ejection", balancer.name(), endpoint.id());
  }

  @Override
  public void onHealthChanged(
      LoadBalancer balancer,
      Endpoint endpoint,
      HealthStatus from,
      HealthStatus to,
      HealthChangeCause cause,
      String reason) {
    if (to == HealthStatus.UNHEALTHY) {
      LOG.warn("{}: {} is {} ({})", balancer.name(), endpoint.id(), to, reason);
    } else {
      LOG.info("{}: {} is {} after {} ({})", balancer.name(), endpoint.id(), to, from, reason);
    }
  }

  @Override
  public void onPanicEntered(LoadBalancer balancer, int healthyPercent) {
    LOG.warn(
        "{}: panic, only {}% of endpoints healthy: balancing over all of them",
        balancer.name(), healthyPercent);
  }

  @Override
  public void onPanicLeft(LoadBalancer balancer, int healthyPercent) {
    LOG.info("{}: panic over, {}% of endpoints healthy", balancer.name(), healthyPercent);
  }
}
