package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time copy of one endpoint's live statistics, from {@link LoadBalancer#stats()}.
 *
 * <p>Each number was read atomically, but the numbers were not read at the same instant, so they
 * may disagree by the calls that completed while they were read. Immutable and thread-safe.
 *
 * @param endpoint the endpoint as configured
 * @param inFlight calls picked and not yet reported
 * @param successes calls reported as successes
 * @param failures calls reported as failures
 * @param cancellations calls reported as cancelled
 * @param latencyEwmaNanos latency EWMA in nanoseconds; {@code NaN} before the first report
 * @param peakEwmaNanos peak-EWMA latency decayed to now, in nanoseconds; {@code NaN} if not tracked
 *     by the strategy or not yet measured
 * @param responseBytes total response bytes reported
 * @param throughputBytesPerSecond recent response throughput, decayed to now; {@code NaN} if not
 *     tracked by the strategy
 * @param lastFailure the most recent failure cause reported, or null
 * @param health where the endpoint stands in its health lifecycle
 * @param effectiveWeightPercent its effective weight as a percentage of its configured weight:
 *     below 100 while it ramps up under slow start
 * @param ejections how many times outlier detection ejected it
 * @param lastCheck the result of its latest active health check, or null if none ran
 * @param breakerState its circuit breaker's state, or null if the balancer has no breakers
 * @param limiterRejections calls its rate limiter refused (the pick moved on to another endpoint)
 */
public record EndpointStats(
    Endpoint endpoint,
    int inFlight,
    long successes,
    long failures,
    long cancellations,
    double latencyEwmaNanos,
    double peakEwmaNanos,
    long responseBytes,
    double throughputBytesPerSecond,
    @Nullable Throwable lastFailure,
    HealthStatus health,
    int effectiveWeightPercent,
    long ejections,
    @Nullable HealthCheckResult lastCheck,
    CircuitBreaker.@Nullable State breakerState,
    long limiterRejections) {

  /**
   * Every call ever picked onto this endpoint: the reported ones plus those in flight.
   *
   * @return {@code successes + failures + cancellations + inFlight}
   */
  public long picks() {
    return successes + failures + cancellations + inFlight;
  }

  /**
   * The latency EWMA rounded to the nanosecond, or null before the first report.
   *
   * @return {@link #latencyEwmaNanos()} as a duration rounded to the nearest nanosecond, or null if
   *     it is {@code NaN}
   */
  public @Nullable Duration latencyEwma() {
    return Double.isNaN(latencyEwmaNanos) ? null : Duration.ofNanos(Math.round(latencyEwmaNanos));
  }
}
