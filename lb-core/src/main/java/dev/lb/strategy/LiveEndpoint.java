package dev.lb.strategy;

import dev.lb.Endpoint;
import dev.lb.LoadReport;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint together with the live statistics a strategy ranks it by: calls in flight, latency,
 * throughput. The balancer keeps one per endpoint id and hands the current ones to {@link
 * Strategy#newPicker} on every membership change; the same instance survives reweights and
 * rebuilds.
 *
 * <p>Every built-in strategy ranks endpoints through these methods only, so a custom implementation
 * (a simulator's, a test's) works with all of them. The methods with a default describe what a
 * minimal implementation that tracks nothing looks like: no ramp, no failure penalty, not yet
 * measured. The {@code ...Key()} methods exist so that a picker can compare time-decayed estimates
 * without reading the clock: each returns {@code ln(value) + t / tau} for a value last updated at
 * time {@code t} that decays as {@code exp(-elapsed / tau)}, and comparing two keys compares the
 * two values at any common instant. Keys of one balancer share {@code t}'s origin and {@code tau};
 * keys of different balancers must not be compared. The balancer's own keys take {@code ln} from a
 * table and a short series (within 1e-11 of {@code Math.log}), and on the system ticker {@code t}
 * from a coarse clock normally within a millisecond of it: orderings, not exact values.
 *
 * <p>Thread-safe: every method is a lock-free read of values that other threads keep updating, so
 * two reads are not a consistent snapshot. Every method must be fast and must not block: pickers
 * call them on every pick.
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
   * The share of its traffic an endpoint warming up under {@linkplain dev.lb.health.SlowStart slow
   * start} should get: 1 when it is not ramping. Strategies that ignore weights ({@code
   * round_robin}, {@code random}, {@code least_connections}) honour it: round robin and random pick
   * in proportion to it, least connections ranks by {@code in flight / rampFactor}. Weighted
   * strategies do not read it, because {@link #weight()} already includes the ramp. Pickers read it
   * when they are built; a balancer rebuilds them when it changes.
   *
   * @return a fraction in (0, 1]; 1 by default
   */
  default double rampFactor() {
    return 1.0;
  }

  /**
   * Returns true if {@link #failurePenalty} may be positive; a cheap read that lets a picker skip
   * reading the clock while no endpoint has failed recently.
   *
   * @return true if a failure was reported and its penalty has not yet decayed away; false by
   *     default
   */
  default boolean hasFailurePenalty() {
    return false;
  }

  /**
   * Recent failures, counted as extra calls in flight: every reported failure adds 1, which decays
   * exponentially over the balancer's {@linkplain dev.lb.LoadBalancer.Builder#decayWindow decay
   * window} (63% gone after one window) and is dropped once below 0.01. Every load-aware built-in
   * strategy adds it to the calls in flight it ranks by, so that an endpoint that fails fast, and
   * so keeps few calls in flight and reports little latency or few bytes, never looks better than
   * one that answers.
   *
   * @param nowNanos a reading of the balancer's {@link dev.lb.Ticker}
   * @return 0 or more; 0 by default
   */
  default double failurePenalty(long nowNanos) {
    return 0.0;
  }

  /**
   * Exponentially weighted moving average of reported latencies, in nanoseconds, or {@code NaN}
   * before the first report. Failures never lower it and never set the first value: a backend that
   * fails fast must not look fast. When the balancer time-stamps latency samples (see {@link
   * Strategy#usesResponseTime()}), a sample after a silence weighs more, as the old estimate has
   * gone stale: {@code 1 - 0.9 x exp(-silence / decay window)} instead of 0.1.
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
   * The {@link #peakEwmaNanos} estimate as a clock-free ordering key (see the class comment):
   * {@code ln(peak cost) + stamp / tau}. {@code peak_ewma} ranks by it.
   *
   * @return the key, or {@code NaN} if peak EWMA is not tracked or nothing was reported yet (the
   *     default: the endpoint counts as not yet measured and is probed one call at a time)
   */
  default double peakEwmaKey() {
    return Double.NaN;
  }

  /**
   * The {@link #latencyEwmaNanos} estimate as a clock-free ordering key (see the class comment):
   * {@code ln(latency EWMA) + stamp / tau}, where the stamp is the time of the last latency sample
   * when the balancer's strategy {@linkplain Strategy#usesResponseTime() asks for it} (and a fixed
   * origin otherwise). Ranking by it decays the estimate of an endpoint that gets no calls towards
   * zero, so an endpoint once slow is probed again. {@code least_response_time} ranks by it.
   *
   * @return the key, or {@code NaN} before the first latency report (the default)
   */
  default double responseTimeKey() {
    return Double.NaN;
  }

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

  /**
   * The {@link #throughputBytesPerSecond} estimate as a clock-free ordering key (see the class
   * comment): {@code ln(recent bytes) + stamp / tau}. {@code least_bandwidth} ranks by it.
   *
   * @return the key, or negative infinity if throughput is not tracked or no bytes were reported
   *     yet (the default: the endpoint counts as not yet measured and is probed one call at a time)
   */
  default double throughputKey() {
    return Double.NEGATIVE_INFINITY;
  }

  /**
   * The latest load report the endpoint's backend sent ({@link dev.lb.Lease#onLoadReport}, {@link
   * dev.lb.LoadBalancer#reportLoad}), stamped with the balancer's clock on receipt ({@link
   * LoadReport#receivedAtNanos()}), or null if none arrived yet. A lock-free read of an immutable
   * value; a report is replaced whole. Pickers that weight by reports read it when they {@linkplain
   * Picker#refresh refresh}, not on every pick.
   *
   * @return the latest report, or null (the default) if the backend has sent none
   */
  default @Nullable LoadReport loadReport() {
    return null;
  }
}
