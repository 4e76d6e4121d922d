package dev.lb.strategy;

import dev.lb.internal.EndpointState;

/**
 * The load measures the load-aware strategies rank endpoints by. Lower is better. Every measure is
 * read lock-free from the endpoint's live state and needs no clock (see {@link EndpointState} for
 * how time-decayed values are compared without one).
 */
enum Load {
  /** Calls in flight, divided by weight when weighted. */
  IN_FLIGHT {
    @Override
    double score(EndpointState e, double weight) {
      return e.inFlight() / weight;
    }
  },

  /**
   * Latency EWMA times (in flight + 1), divided by weight. An endpoint without a latency yet scores
   * 0 while idle, so it gets probed, and {@link #PENALTY} while its probe is in flight, so it is
   * not flooded before the first answer says how fast it is (Finagle's rule).
   */
  RESPONSE_TIME {
    @Override
    double score(EndpointState e, double weight) {
      int inFlight = e.inFlight();
      double latency = e.latencyEwmaNanos();
      if (Double.isNaN(latency)) {
        return inFlight == 0 ? 0.0 : PENALTY + inFlight;
      }
      return latency * (inFlight + 1) / weight;
    }
  },

  /**
   * Recent response throughput x (in flight + 1), divided by weight, as a log-domain key: {@code
   * ln(bytes recently) + stamp / tau + ln(in flight + 1) - ln(weight)}. Bytes are counted when a
   * response completes, so the in-flight factor is what keeps a backlogged endpoint, which delivers
   * little, from looking idle. An endpoint that reported no bytes yet scores negative infinity
   * while idle and positive infinity while busy: probed one call at a time.
   */
  BANDWIDTH {
    @Override
    double score(EndpointState e, double logWeight) {
      int inFlight = e.inFlight();
      double key = e.throughputKey();
      if (key == Double.NEGATIVE_INFINITY) {
        return inFlight == 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      return key + logOnePlus(inFlight) - logWeight;
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

  /** Finagle's penalty for an endpoint with calls in flight but no latency measured yet. */
  static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

  /**
   * The endpoint's score; {@code weightTerm} is {@link #weightTerm} of its weight, computed once
   * per picker.
   */
  abstract double score(EndpointState e, double weightTerm);

  /** What {@link #score} takes for a weight: the weight itself unless the score is a logarithm. */
  double weightTerm(int weight) {
    return weight;
  }

  static EndpointState[] states(java.util.List<LiveEndpoint> endpoints, String strategy) {
    EndpointState[] states = new EndpointState[endpoints.size()];
    for (int i = 0; i < states.length; i++) {
      LiveEndpoint e = endpoints.get(i);
      if (!(e instanceof EndpointState state)) {
        throw new IllegalArgumentException(
            "strategy "
                + strategy
                + " ranks endpoints by a LoadBalancer's live statistics; "
                + "it cannot pick among "
                + e.getClass().getName());
      }
      states[i] = state;
    }
    return states;
  }
}
