package dev.lb.strategy;

import dev.lb.Endpoint;

/**
 * An endpoint together with the live statistics a strategy ranks it by: calls in flight, latency,
 * throughput. The balancer keeps one per endpoint id and hands the current ones to {@link
 * Strategy#newPicker} on every membership change; the same instance survives reweights and
 * rebuilds.
 *
 * <p>Thread-safe: every method is a lock-free read of values that other threads keep updating, so
 * two reads are not a consistent snapshot. Implementations are provided by the balancer only.
 */
public interface LiveEndpoint {
  /**
   * The endpoint as currently configured.
   *
   * @return the endpoint's latest configuration, which changes when the member is updated or
   *     reweighted; never null
   */
  Endpoint endpoint();

  /**
   * The weight strategies should use now: the configured weight, or less while the endpoint warms
   * up. At least 1.
   *
   * @return the effective relative weight, from 1 up to {@link Endpoint#weight()}
   */
  int weight();

  /**
   * Calls picked onto this endpoint whose outcome has not been reported yet.
   *
   * @return the number of leases on this endpoint not yet reported, 0 or more
   */
  int inFlight();

  /**
   * Exponentially weighted moving average of reported latencies, in nanoseconds, or {@code NaN}
   * before the first report. Failures never lower it: a backend that fails fast must not look fast.
   *
   * @return the latency EWMA in nanoseconds, 0 or more, or {@code NaN} before the first report
   */
  double latencyEwmaNanos();

  /**
   * The peak-sensitive latency estimate (Finagle's peak EWMA) decayed to {@code nowNanos}, in
   * nanoseconds, or {@code NaN} if it is not tracked by the balancer's strategy or nothing was
   * reported yet.
   *
   * @param nowNanos a reading of the balancer's {@link dev.lb.Ticker}
   * @return the peak EWMA latency in nanoseconds, 0 or more, or {@code NaN} if not tracked or not
   *     yet measured
   */
  double peakEwmaNanos(long nowNanos);

  /**
   * Recent response throughput in bytes per second, from the byte counts reported through leases,
   * decayed to {@code nowNanos}, or {@code NaN} if it is not tracked by the balancer's strategy.
   *
   * @param nowNanos a reading of the balancer's {@link dev.lb.Ticker}
   * @return the decayed throughput in bytes per second, 0 or more, or {@code NaN} if not tracked
   */
  double throughputBytesPerSecond(long nowNanos);

  /**
   * Whether this endpoint is healthy and in rotation right now (not unhealthy, ejected, draining,
   * disabled, marked down or behind an open breaker). A lock-free read; true by default.
   *
   * @return true if the endpoint may take calls now
   */
  default boolean available() {
    return true;
  }
}
