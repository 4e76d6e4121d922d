package dev.lb;

import static dev.lb.internal.Checks.checkArgument;

import dev.lb.strategy.Strategy;
import org.jspecify.annotations.Nullable;

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
   * The shortest decay window over which completions stamp estimators with the {@link CoarseClock}
   * rather than an exact read: 1,024 ticks (1.02 s), so that a lag of one tick is at most 1/1024 of
   * the window (shorter windows read the ticker exactly).
   */
  static final long COARSE_MIN_WINDOW_NANOS = 1024 * CoarseClock.TICK_NANOS;

  /**
   * Where completions read the time they stamp estimators with: the process's coarse clock when the
   * ticker is the {@linkplain Ticker#systemTicker() system ticker} (the same source, read for a
   * volatile load instead of a call into the vDSO) and the window is long enough; null otherwise (a
   * fake or custom ticker is read exactly, so tests see the time they set).
   */
  private final @Nullable CoarseClock coarse;

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
    this.coarse =
        Ticker.systemTicker().equals(ticker) && decayWindowNanos >= COARSE_MIN_WINDOW_NANOS
            ? CoarseClock.SYSTEM
            : null;
  }

  /** The ticker, read exactly. */
  long now() {
    return ticker.read();
  }

  /**
   * The time a success stamps its estimators with (peak EWMA, throughput, the response-time key):
   * the {@link CoarseClock} where {@link #coarse} is set, at most a tick behind the ticker (see
   * there), and the ticker itself otherwise.
   */
  long stampNow() {
    CoarseClock c = coarse;
    return c == null ? ticker.read() : c.read();
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
   * that the logarithm's precision is not lost. The logarithm is {@link #ln}'s, within {@value
   * #LN_ERROR} of {@code Math.log}'s.
   */
  double logKey(double value, long stamp) {
    return ln(value) + (stamp - epoch) * perTauNanos;
  }

  /** The bound on {@code |ln(x) - Math.log(x)|} that {@code MetricsClockTest} checks. */
  static final double LN_ERROR = 1e-11;

  /** Mantissa bits that index {@link #LN_TABLE}: 128 intervals of [1, 2). */
  private static final int LN_INDEX_BITS = 7;

  /**
   * Per interval {@code i} of the mantissa, {@code [1 + i/128, 1 + (i+1)/128)}: at {@code 2i} the
   * reciprocal of its left end {@code c}, at {@code 2i + 1} {@code -ln} of that reciprocal (so that
   * the two cancel exactly where {@code m = c}: {@code ln(1) = 0}, {@code ln(2^k) = k ln 2}).
   * Interleaved, so that one lookup touches one line.
   */
  private static final double[] LN_TABLE = new double[2 << LN_INDEX_BITS];

  static {
    for (int i = 0; i < 1 << LN_INDEX_BITS; i++) {
      double reciprocal = 1.0 / (1.0 + (double) i / (1 << LN_INDEX_BITS));
      LN_TABLE[2 * i] = reciprocal;
      LN_TABLE[2 * i + 1] = -Math.log(reciprocal);
    }
  }

  private static final double LN_2 = Math.log(2.0);

  /**
   * The natural logarithm, within {@value #LN_ERROR} (absolute) of {@code Math.log}, for the
   * ranking keys a completion writes: {@code x = 2^e m} with {@code m} in [1, 2) is {@code e ln 2 +
   * ln(c) + ln(m / c)}, where {@code c} is the left end of {@code m}'s 1/128-wide interval ({@code
   * ln(c)} from a table) and {@code r = m / c - 1} is in [0, 1/128), whose {@code ln(1 + r)} four
   * terms of the series give to within {@code r^5 / 5 < 6e-12}. About a dozen instructions and one
   * cache line, where {@code Math.log}'s stub (631 bytes of code) cost a third of the rest of a
   * peak-EWMA completion in {@code PickBenchmark}. Zero, negative, subnormal, infinite and NaN
   * arguments take {@code Math.log}.
   */
  static double ln(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int biased = (int) (bits >>> 52); // sign and exponent: 1..2046 for positive normal numbers
    if (biased <= 0 || biased >= 0x7FF) {
      return Math.log(x);
    }
    int i = (int) (bits >>> (52 - LN_INDEX_BITS)) & ((1 << LN_INDEX_BITS) - 1);
    double m = Double.longBitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
    double r = m * LN_TABLE[2 * i] - 1.0;
    double series = r * (1.0 - r * (0.5 - r * (1.0 / 3 - r * 0.25)));
    return (biased - 1023) * LN_2 + LN_TABLE[2 * i + 1] + series;
  }

  /** The inverse of {@link #logKey}: the value whose key is {@code key}, decayed to {@code now}. */
  double valueOfKey(double key, long now) {
    return Math.exp(key - (now - epoch) * perTauNanos);
  }
}
