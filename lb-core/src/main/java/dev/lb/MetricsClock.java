package dev.lb;

import static dev.lb.internal.Checks.checkArgument;

import dev.lb.strategy.Strategy;

/**
 * The time base shared by every {@link EndpointState} of one balancer: its ticker, the decay window
 * {@code tau} of time-decayed estimators, and which of them are tracked (each costs a clock read
 * per reported outcome, so only those the strategy ranks by). The failure penalty is always
 * tracked: it costs a clock read per failure only.
 *
 * <p>Immutable and thread-safe.
 */
final class MetricsClock {
  private final Ticker ticker;
  final long epoch;
  private final double tauNanos;

  /**
   * {@code 1 / tau}: completions multiply by it rather than divide by {@code tau}, a division
   * costing several times a multiplication on the completion's critical path (the two differ by at
   * most one ulp).
   */
  private final double perTauNanos;

  final boolean trackPeakEwma;
  final boolean trackResponseTime;
  final boolean trackThroughput;

  /** The window of the per-endpoint latency percentiles ({@link LatencyWindow}); 0 for none. */
  final long latencyWindowNanos;

  /**
   * The clock for a balancer using {@code strategy}: tracks exactly the estimators the strategy
   * declares it ranks by ({@link Strategy#usesPeakEwma()}, {@link Strategy#usesResponseTime()},
   * {@link Strategy#usesThroughput()}).
   *
   * @param decayWindowNanos the time constant of exponential decay, positive
   */
  public static MetricsClock forStrategy(Ticker ticker, long decayWindowNanos, Strategy strategy) {
    return forStrategy(ticker, decayWindowNanos, strategy, 0);
  }

  /**
   * Like {@link #forStrategy(Ticker, long, Strategy)}, with latency percentiles over a window.
   *
   * @param latencyWindowNanos the window of each endpoint's latency percentiles; 0 for none
   */
  public static MetricsClock forStrategy(
      Ticker ticker, long decayWindowNanos, Strategy strategy, long latencyWindowNanos) {
    return new MetricsClock(
        ticker,
        decayWindowNanos,
        strategy.usesPeakEwma(),
        strategy.usesResponseTime(),
        strategy.usesThroughput(),
        latencyWindowNanos);
  }

  /**
   * @param decayWindowNanos the time constant of exponential decay: a value loses 63% of its weight
   *     after one window
   * @param trackPeakEwma whether outcomes feed the peak-EWMA estimator
   * @param trackThroughput whether outcomes with bytes feed the throughput estimator
   */
  public MetricsClock(
      Ticker ticker, long decayWindowNanos, boolean trackPeakEwma, boolean trackThroughput) {
    this(ticker, decayWindowNanos, trackPeakEwma, false, trackThroughput);
  }

  /**
   * @param decayWindowNanos the time constant of exponential decay: a value loses 63% of its weight
   *     after one window
   * @param trackPeakEwma whether outcomes feed the peak-EWMA estimator
   * @param trackResponseTime whether latency samples are time-stamped, so that {@link
   *     EndpointState#responseTimeKey()} decays with time
   * @param trackThroughput whether outcomes with bytes feed the throughput estimator
   */
  public MetricsClock(
      Ticker ticker,
      long decayWindowNanos,
      boolean trackPeakEwma,
      boolean trackResponseTime,
      boolean trackThroughput) {
    this(ticker, decayWindowNanos, trackPeakEwma, trackResponseTime, trackThroughput, 0);
  }

  private MetricsClock(
      Ticker ticker,
      long decayWindowNanos,
      boolean trackPeakEwma,
      boolean trackResponseTime,
      boolean trackThroughput,
      long latencyWindowNanos) {
    checkArgument(
        decayWindowNanos > 0, "decayWindow must be positive but was %sns", decayWindowNanos);
    this.ticker = ticker;
    this.epoch = ticker.read();
    this.tauNanos = decayWindowNanos;
    this.perTauNanos = 1.0 / decayWindowNanos;
    this.trackPeakEwma = trackPeakEwma;
    this.trackResponseTime = trackResponseTime;
    this.trackThroughput = trackThroughput;
    this.latencyWindowNanos = latencyWindowNanos;
  }

  long now() {
    return ticker.read();
  }

  double tauSeconds() {
    return tauNanos / 1e9;
  }

  /**
   * {@code exp(-(now - stamp) / tau)}, 1 if {@code now} is not after {@code stamp}. Within 1e-11
   * (relative) of the exact value; see {@link #expNegative}.
   */
  double decayFactor(long stamp, long now) {
    long elapsed = now - stamp;
    return elapsed <= 0 ? 1.0 : expNegative(elapsed * perTauNanos);
  }

  /**
   * Below this, {@link #expNegative} sums five terms of the Taylor series rather than calling
   * {@code Math.exp}: the first omitted term, {@code x^5 / 120}, is then below {@code 8e-12} while
   * {@code exp(-x)} is above 0.98, so the relative error stays under 1e-11. A completion on an
   * endpoint that took a call within the last {@code tau / 64} (156 ms at the default 10 s window)
   * is in this range; an idle one pays for the exact {@code exp}.
   */
  static final double SERIES_LIMIT = 1.0 / 64;

  /**
   * {@code exp(-x)} for {@code x >= 0}: a polynomial for small {@code x} (the usual case: the time
   * since an endpoint's previous completion is a tiny fraction of the decay window), {@code
   * Math.exp} otherwise. The polynomial costs a few multiplications where {@code Math.exp} costs
   * about as much as the rest of a completion.
   */
  static double expNegative(double x) {
    if (x < SERIES_LIMIT) {
      // 1 - x + x^2/2 - x^3/6 + x^4/24, in Horner form.
      return 1.0 - x * (1.0 - x * (0.5 - x * (1.0 / 6 - x * (1.0 / 24))));
    }
    return Math.exp(-x);
  }

  /** {@code value} stored at {@code stamp}, decayed to {@code now}. */
  double decay(double value, long stamp, long now) {
    return value == 0.0 ? 0.0 : value * decayFactor(stamp, now);
  }

  /**
   * {@code ln(value) + (stamp - epoch) / tau}: for values that decay exponentially, comparing keys
   * compares the values at any common instant. Relative to the epoch to keep the sum small enough
   * that the logarithm's precision is not lost.
   *
   * <p>{@code Math.log} is a HotSpot intrinsic about as fast as a table lookup with a correcting
   * polynomial (measured in a standalone loop: 8-10 ns against 12-14 ns per call for a 256-entry
   * table and a three-term series), so unlike {@link #expNegative} it is not replaced.
   */
  double logKey(double value, long stamp) {
    return Math.log(value) + (stamp - epoch) * perTauNanos;
  }

  /** The inverse of {@link #logKey}: the value whose key is {@code key}, decayed to {@code now}. */
  double valueOfKey(double key, long now) {
    return Math.exp(key - (now - epoch) * perTauNanos);
  }
}
