package dev.lb.limit;

import dev.lb.Ticker;

/**
 * A gradient limit after Netflix's {@code Gradient2Limit}: the limit moves by the ratio of a
 * long-term latency average to the latest latency.
 *
 * <p>Design note. Gradient2 keeps an exponential moving average of latency over a long window of
 * samples ({@code longWindow}, 600 by default; the first 10 samples are averaged plainly as a
 * warm-up) and, for each sample {@code rtt} with limit {@code L},
 *
 * <ul>
 *   <li>if the long average exceeds twice the sample, shrinks the average by 10% (latency is back
 *       to normal after a long overload: do not wait for the average to follow);
 *   <li>while fewer than half the limit are in flight, changes nothing (application-limited);
 *   <li>otherwise sets {@code gradient = clamp(long / rtt, 0.5, 1)}, {@code L' = L × gradient +
 *       queueSize}, smoothed {@code L ← (1 − s)·L + s·L'} and clamped.
 * </ul>
 *
 * <p>A gradient of 1 (no queueing seen) grows the limit by {@code queueSize} (times the smoothing)
 * per sample; a sample twice the average halves it at most. Drops are not read, as in Gradient2: a
 * timeout's latency is what lowers the limit.
 *
 * <p>What differs: the long average is bounded by {@code tolerance} times the mean latency of the
 * last low-load probe ({@link AdaptiveConcurrencyLimit}). Without the bound, a load that keeps
 * latency rising slowly drags the average along, the gradient stays near 1 and the limit climbs for
 * as long as the load lasts; with it, the latency the limit tolerates is at most {@code tolerance}
 * times the probed one. The idle rule restarts the warm-up.
 */
final class GradientConcurrencyLimit extends AdaptiveConcurrencyLimit {
  private static final int WARMUP = 10;

  private final double smoothing;
  private final double queueSize;
  private final double tolerance;
  private final double alpha;

  private double longRtt;
  private int warmup;
  private double probedMean = Double.NaN;

  GradientConcurrencyLimit(ConcurrencyLimits.GradientBuilder b, Ticker ticker) {
    super(b, ticker);
    this.smoothing = b.smoothing;
    this.queueSize = b.queueSize;
    this.tolerance = b.tolerance;
    this.alpha = 2.0 / (b.longWindow + 1);
  }

  @Override
  double update(long latencyNanos, int inFlight, boolean dropped) {
    double limit = estimate;
    if (latencyNanos < 0) {
      return limit;
    }
    double rtt = Math.max(1.0, (double) latencyNanos);
    if (warmup < WARMUP) {
      warmup++;
      longRtt += (rtt - longRtt) / warmup;
    } else {
      longRtt += alpha * (rtt - longRtt);
    }
    if (longRtt / rtt > 2) {
      longRtt *= 0.9;
    }
    if (!Double.isNaN(probedMean)) {
      longRtt = Math.min(longRtt, tolerance * probedMean);
    }
    if (inFlight < limit / 2) {
      return limit; // application-limited
    }
    double gradient = Math.max(0.5, Math.min(1.0, longRtt / rtt));
    double next = limit * gradient + queueSize;
    return clamp((1 - smoothing) * limit + smoothing * next);
  }

  @Override
  double onDropWhileProbing(double limit) {
    return limit;
  }

  @Override
  void onProbe(double minNanos, double meanNanos) {
    probedMean = Math.max(1.0, meanNanos);
  }

  @Override
  void forgetBaseline() {
    longRtt = 0;
    warmup = 0;
    probedMean = Double.NaN;
  }

  @Override
  public ConcurrencyLimits.Algorithm algorithm() {
    return ConcurrencyLimits.Algorithm.GRADIENT;
  }

  @Override
  public String toString() {
    return "GradientConcurrencyLimit{limit=" + limit() + "}";
  }
}
