package dev.lb.strategy;

import dev.lb.Ticker;

/**
 * The load measures the load-aware strategies rank endpoints by. Lower is better. Every measure is
 * read lock-free through {@link LiveEndpoint} and needs no clock, except while an endpoint carries
 * a {@linkplain LiveEndpoint#failurePenalty failure penalty}: time-decayed estimates are compared
 * as log-domain keys (see {@link LiveEndpoint}), and the clock is read only to decay a penalty.
 *
 * <p><b>Failures.</b> Every measure counts an endpoint's recent failures as extra calls in flight
 * ({@link #load}): a backend that fails fast completes its calls quickly, reports little latency
 * and few bytes, and would otherwise look like the best endpoint of all.
 */
enum Load {
  /** Calls in flight plus the failure penalty, divided by weight when weighted. */
  IN_FLIGHT {
    @Override
    double score(LiveEndpoint e, double weight, Ticker ticker) {
      return load(e, e.inFlight(), ticker) / weight;
    }
  },

  /**
   * Latency EWMA x (load + 1) / weight, as a log-domain key: {@code responseTimeKey + ln(load + 1)
   * - ln(weight)}. The key decays with the time since the endpoint's last latency sample (when the
   * balancer time-stamps them), so an endpoint that was slow once and then got no calls is probed
   * again. An endpoint without a latency yet scores negative infinity while idle, so it gets
   * probed, and a large penalty while its probe is in flight or a failure penalty is pending, so it
   * is not flooded before an answer says how fast it is (Finagle's rule).
   */
  RESPONSE_TIME {
    @Override
    double score(LiveEndpoint e, double logWeight, Ticker ticker) {
      int inFlight = e.inFlight();
      double key = e.responseTimeKey();
      if (!e.hasFailurePenalty()) {
        if (Double.isNaN(key)) {
          return inFlight == 0 ? Double.NEGATIVE_INFINITY : UNMEASURED_BUSY + inFlight;
        }
        return key + logOnePlus(inFlight) - logWeight;
      }
      double load = load(e, inFlight, ticker);
      if (Double.isNaN(key)) {
        return load == 0 ? Double.NEGATIVE_INFINITY : UNMEASURED_BUSY + load;
      }
      return key + Math.log1p(load) - logWeight;
    }

    @Override
    double weightTerm(int weight) {
      return Math.log(weight);
    }
  },

  /**
   * Recent response throughput x (load + 1), divided by weight, as a log-domain key: {@code
   * ln(bytes recently) + stamp / tau + ln(load + 1) - ln(weight)}. Bytes are counted when a
   * response completes, so the in-flight factor is what keeps a backlogged endpoint, which delivers
   * little, from looking idle, and the failure penalty what keeps one that fails fast, which
   * delivers nothing, from looking idle. An endpoint that reported no bytes yet scores negative
   * infinity while idle and positive infinity while busy or penalized: probed one call at a time.
   */
  BANDWIDTH {
    @Override
    double score(LiveEndpoint e, double logWeight, Ticker ticker) {
      int inFlight = e.inFlight();
      double key = e.throughputKey();
      double load = e.hasFailurePenalty() ? load(e, inFlight, ticker) : inFlight;
      if (key == Double.NEGATIVE_INFINITY) {
        return load == 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      return key + (load == inFlight ? logOnePlus(inFlight) : Math.log1p(load)) - logWeight;
    }

    @Override
    double weightTerm(int weight) {
      return Math.log(weight);
    }
  };

  private static final double[] LOG_ONE_PLUS = new double[1024];

  static {
    for (int i = 0; i < LOG_ONE_PLUS.length; i++) {
      LOG_ONE_PLUS[i] = Math.log(i + 1.0);
    }
  }

  /** {@code ln(n + 1)}, from a table for the usual small counts. */
  static double logOnePlus(int n) {
    return n < LOG_ONE_PLUS.length ? LOG_ONE_PLUS[n] : Math.log(n + 1.0);
  }

  /**
   * The log-domain score of an endpoint with calls in flight but no latency measured yet: above any
   * measured one (Finagle's penalty, in the log domain), ordered by load among themselves.
   */
  static final double UNMEASURED_BUSY = 1e15;

  /**
   * The calls in flight plus the failure penalty; reads the clock only if the endpoint has a
   * penalty.
   */
  static double load(LiveEndpoint e, int inFlight, Ticker ticker) {
    return e.hasFailurePenalty() ? inFlight + e.failurePenalty(ticker.read()) : inFlight;
  }

  /**
   * The endpoint's score; {@code weightTerm} is {@link #weightTerm} of its weight, computed once
   * per picker.
   */
  abstract double score(LiveEndpoint e, double weightTerm, Ticker ticker);

  /** What {@link #score} takes for a weight: the weight itself unless the score is a logarithm. */
  double weightTerm(int weight) {
    return weight;
  }
}
