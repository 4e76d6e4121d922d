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

  /** {@code exp(-(now - stamp) / tau)}, 1 if {@code now} is not after {@code stamp}. */
  double decayFactor(long stamp, long now) {
    long elapsed = now - stamp;
    return elapsed <= 0 ? 1.0 : Math.exp(-elapsed / tauNanos);
  }

  /** {@code value} stored at {@code stamp}, decayed to {@code now}. */
  double decay(double value, long stamp, long now) {
    return value == 0.0 ? 0.0 : value * decayFactor(stamp, now);
  }

  /**
   * {@code ln(value) + (stamp - epoch) / tau}: for values that decay exponentially, comparing keys
   * compares the values at any common instant. Relative to the epoch to keep the sum small enough
   * that the logarithm's precision is not lost.
   */
  double logKey(double value, long stamp) {
    return Math.log(value) + (stamp - epoch) / tauNanos;
  }

  /** The inverse of {@link #logKey}: the value whose key is {@code key}, decayed to {@code now}. */
  double valueOfKey(double key, long now) {
    return Math.exp(key - (now - epoch) / tauNanos);
  }
}
