package dev.lb.limit;

import dev.lb.Ticker;

/**
 * TCP Vegas's congestion avoidance applied to a concurrency limit, after Netflix's {@code
 * VegasLimit}.
 *
 * <p>Design note. Vegas (Brakmo and Peterson, "TCP Vegas: End to End Congestion Avoidance on a
 * Global Internet", IEEE JSAC 1995) estimates, once per round trip, the packets queued in the
 * network as {@code window × (1 − BaseRTT / RTT)}, where RTT is the average over that round trip,
 * and keeps that queue between two thresholds, alpha and beta. Netflix's concurrency-limits carries
 * it over to calls: with limit {@code L}, no-load latency {@code rtt_noload} and a latency {@code
 * rtt}, the estimated queue is {@code ceil(L × (1 − rtt_noload / rtt))}; with {@code lg = max(1,
 * log10 L)} the thresholds are {@code lg}, {@code 3·lg} (alpha) and {@code 6·lg} (beta), and an
 * update
 *
 * <ul>
 *   <li>after a failure (a drop) decreases the limit by {@code lg};
 *   <li>while fewer than half the limit were in flight changes nothing (the caller, not the
 *       backend, limits the load: such samples say nothing about capacity);
 *   <li>with a queue of at most {@code lg} increases it by beta; below alpha by {@code lg}; above
 *       beta decreases it by {@code lg}; between alpha and beta leaves it.
 * </ul>
 *
 * <p>The result is clamped to the minimum and maximum, then smoothed: {@code L ← (1 − s)·L + s·L'}.
 *
 * <p>What differs from Netflix's per-sample VegasLimit, and why. Updates are made once per window
 * of {@code max(10, L)} reports (about one round trip, as in TCP Vegas), from the window's mean
 * latency, its highest in-flight count and whether any call in it failed. And {@code rtt_noload} is
 * the mean latency measured by the low-load probe of {@link AdaptiveConcurrencyLimit} (or the first
 * window's mean before the first probe), refreshed at every probe, not the smallest single latency
 * ever seen. With service times that vary (a log-normal with sigma 0.5 has its minimum over a few
 * thousand calls at a fifth of its mean), a minimum of single samples reads most of the variance as
 * a queue and holds the limit near its minimum while the backend idles; a mean against a mean does
 * not. The cost: Vegas adapts once per window rather than per call.
 */
final class VegasConcurrencyLimit extends AdaptiveConcurrencyLimit {
  private static final int MIN_WINDOW = 10;

  private final double smoothing;
  private double noLoad = Double.NaN;
  private int windowReports;
  private int windowTimed;
  private double windowSum;
  private int windowMaxInFlight;
  private boolean windowDropped;

  VegasConcurrencyLimit(ConcurrencyLimits.VegasBuilder b, Ticker ticker) {
    super(b, ticker);
    this.smoothing = b.smoothing;
  }

  @Override
  double update(long latencyNanos, int inFlight, boolean dropped) {
    double limit = estimate;
    windowReports++;
    if (latencyNanos >= 0) {
      windowTimed++;
      windowSum += Math.max(1.0, (double) latencyNanos);
    }
    windowMaxInFlight = Math.max(windowMaxInFlight, inFlight);
    windowDropped |= dropped;
    if (windowReports < Math.max(MIN_WINDOW, Math.ceil(limit))) {
      return limit;
    }
    double rtt = windowTimed == 0 ? Double.NaN : windowSum / windowTimed;
    int maxInFlight = windowMaxInFlight;
    boolean drop = windowDropped;
    resetWindow();
    double next;
    if (drop) {
      next = decrease(limit);
    } else if (Double.isNaN(rtt)) {
      return limit;
    } else if (Double.isNaN(noLoad)) {
      noLoad = rtt; // no probe yet: the first window stands in
      return limit;
    } else if (maxInFlight * 2.0 < limit) {
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
    next = clamp(next);
    return (1 - smoothing) * limit + smoothing * next;
  }

  private void resetWindow() {
    windowReports = 0;
    windowTimed = 0;
    windowSum = 0;
    windowMaxInFlight = 0;
    windowDropped = false;
  }

  @Override
  double onDropWhileProbing(double limit) {
    return (1 - smoothing) * limit + smoothing * clamp(decrease(limit));
  }

  @Override
  void onProbe(double minNanos, double meanNanos) {
    noLoad = Math.max(1.0, meanNanos);
    resetWindow(); // its samples were taken under the old baseline
  }

  @Override
  void forgetBaseline() {
    noLoad = Double.NaN;
    resetWindow();
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
