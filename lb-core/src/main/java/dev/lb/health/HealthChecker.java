package dev.lb.health;

import dev.lb.Endpoint;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Actively probes one endpoint: opens a connection, asks {@code /health}, calls the gRPC health
 * service. A balancer configured with a checker runs it per endpoint on its {@link
 * dev.lb.Scheduler}, never on a caller's thread, and feeds the results into the endpoint's health
 * state machine with its rise and fall thresholds.
 *
 * <p>{@link #check} must not block: it starts the probe and returns a stage that the probe
 * completes later, on any thread. The balancer also enforces {@code timeout} itself, counting a
 * stage that has not completed by then as a failure, so a checker that ignores the timeout cannot
 * stall checking; a checker should still pass it on to its transport (connect and read timeouts) so
 * that abandoned probes release their resources. A stage completed exceptionally counts as a
 * failure whose reason is the exception.
 *
 * <p>Implementations must be thread-safe: the balancer probes different endpoints concurrently.
 */
@FunctionalInterface
public interface HealthChecker {
  /**
   * Starts one probe of {@code endpoint}.
   *
   * @param endpoint the endpoint to probe, as currently configured
   * @param timeout how long the probe may take before it counts as failed; positive
   * @return a stage completed with the probe's result, or exceptionally if the probe failed
   */
  CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout);
}
