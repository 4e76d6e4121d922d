package dev.lb.limit;

import dev.lb.Ticker;

/**
 * TCP Vegas's congestion avoidance applied to a concurrency limit, after Netflix's {@code
 * VegasLimit}.
 *
 * <p>Design note. Vegas (Brakmo and Peterson, "TCP Vegas: End to End Congestion Avoidance on a
 * Global Internet", IEEE JSAC 1995) estimates the packets queued in the network as {@code window ×
 * (1 − baseRTT / RTT)} and keeps that queue between two thresholds, alpha and beta. Netflix's
 * concurrency-limits carries it over to calls: with limit {@code L}, no-load latency {@code
 * rtt_noload} and a sample {@code rtt}, the estimated queue is {@code ceil(L × (1 − rtt_noload /
 * rtt))}; with {@code lg = max(1, log10 L)} the thresholds are {@code lg}, {@code 3·lg} (alpha) and
 * {@code 6·lg} (beta), and each sample
 *
 * <ul>
 *   <li>that failed (a drop) decreases the limit by {@code lg};
 *   <li>while fewer than half the limit are in flight changes nothing (the caller, not the backend,
 *       limits the load: such samples say nothing about capacity);
 *   <li>with a queue of at most {@code lg} increases it by beta; below alpha by {@code lg}; above
 *       beta decreases it by {@code lg}; between alpha and beta leaves it.
 * </ul>
 *
 * <p>The result is clamped to the minimum and maximum, then smoothed: {@code L ← (1 − s)·L + s·L'}.
 * {@code rtt_noload} is the smallest latency seen since the baseline was last learned; what differs
 * from Netflix's is how it is refreshed: by the low-load probe and the idle rule of {@link
 * AdaptiveConcurrencyLimit} (the probe's minimum becomes the new {@code rtt_noload}) rather than by
 * taking one sample as it comes.
 */
final class VegasConcurrencyLimit extends AdaptiveConcurrencyLimit {
  private final double smoothing;
  private double noLoad = Double.NaN;

  VegasConcurrencyLimit(ConcurrencyLimits.VegasBuilder b, Ticker ticker) {
    super(b, ticker);
    this.smoothing = b.smoothing;
  }

  @Override
  double update(long latencyNanos, int inFlight, boolean dropped) {
    double limit = estimate;
    double next;
    if (latencyNanos < 0) {
      if (!dropped) {
        return limit;
      }
      next = decrease(limit);
    } else {
      double rtt = Math.max(1.0, latencyNanos);
      if (Double.isNaN(noLoad) || rtt < noLoad) {
        noLoad = rtt;
        if (!dropped) {
          return limit; // a new minimum: no queue to speak of
        }
      }
      if (dropped) {
        next = decrease(limit);
      } else if (inFlight * 2.0 < limit) {
        return limit; // application-limited
      } else {
        double lg = log(limit);
        double queue = Math.ceil(limit * (1 - noLoad / rtt));
        if (queue <= lg) {
          next = limit + 6 * lg;
        } else if (queue < 3 * lg) {
          next = limit + lg;
        } else if (queue > 6 * lg) {
          next = decrease(limit);
        } else {
          return limit;
        }
      }
    }
    next = clamp(next);
    return (1 - smoothing) * limit + smoothing * next;
  }

  @Override
  double onDropWhileProbing(double limit) {
    return (1 - smoothing) * limit + smoothing * clamp(decrease(limit));
  }

  @Override
  void onProbe(double minNanos, double meanNanos) {
    noLoad = Math.max(1.0, minNanos);
  }

  @Override
  void forgetBaseline() {
    noLoad = Double.NaN;
  }

  /** The no-load latency in use, NaN before the first sample; for tests. */
  double noLoadNanos() {
    return noLoad;
  }

  private static double decrease(double limit) {
    return limit - log(limit);
  }

  private static double log(double limit) {
    return Math.max(1.0, Math.log10(limit));
  }

  @Override
  public ConcurrencyLimits.Algorithm algorithm() {
    return ConcurrencyLimits.Algorithm.VEGAS;
  }

  @Override
  public String toString() {
    return "VegasConcurrencyLimit{limit=" + limit() + "}";
  }
}
