package dev.lb.strategy;

import dev.lb.PickContext;
import dev.lb.Ticker;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: draw two distinct endpoints at random (in proportion to weight), send the
 * call to the less loaded one. Mitzenmacher showed that two random choices already cut the maximum
 * load from O(log n / log log n) to O(log log n); the pick stays O(1) and needs no global view.
 *
 * <p>Two load measures:
 *
 * <ul>
 *   <li><b>least request</b>: calls in flight / weight (Envoy's LEAST_REQUEST with choice count 2);
 *   <li><b>peak EWMA</b> (Finagle, linkerd): {@code cost x (in flight + 1) / weight}, where cost is
 *       a peak-sensitive latency EWMA: a slower sample replaces it at once, faster ones blend in
 *       over the decay window, and it decays towards zero while the endpoint gets no traffic, so an
 *       endpoint that was slow is retried in time. An endpoint with no latency yet costs 0 while
 *       idle and a large penalty while its first call is in flight: one probe at a time until the
 *       first answer sets its cost.
 * </ul>
 *
 * <p>Peak-EWMA costs decay with time, yet comparing two candidates needs no clock read: each stores
 * {@code ln(cost) + stamp / tau}, and the difference of two keys gives the ratio of their costs at
 * any common instant.
 *
 * <p>Failures: both measures add the candidates' {@linkplain LiveEndpoint#failurePenalty failure
 * penalties} to their calls in flight, so a backend that fails fast, and so never has calls in
 * flight, does not win every draw. The clock is read only when a candidate has a penalty.
 */
final class PowerOfTwoChoicesStrategy implements Strategy {
  static final PowerOfTwoChoicesStrategy LEAST_REQUEST = new PowerOfTwoChoicesStrategy(false);
  static final PowerOfTwoChoicesStrategy PEAK_EWMA = new PowerOfTwoChoicesStrategy(true);

  private final boolean peakEwma;

  private PowerOfTwoChoicesStrategy(boolean peakEwma) {
    this.peakEwma = peakEwma;
  }

  @Override
  public String name() {
    return peakEwma ? "peak_ewma" : "p2c";
  }

  @Override
  public boolean usesPeakEwma() {
    return peakEwma;
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] states = StrategyArguments.endpoints(endpoints, context, name());
    if (states.length == 1) {
      LiveEndpoint only = states[0];
      return (PickContext ignored) -> only;
    }
    int[] weights = Weights.of(states);
    RandomGenerator random = context.random();
    Ticker ticker = context.ticker();
    AliasTable table = AliasTable.allEqual(weights) ? null : new AliasTable(weights);
    int n = states.length;
    boolean peak = peakEwma;
    // ln(weight) per endpoint, for the peak-EWMA comparison only.
    double[] logWeights = new double[peak ? n : 0];
    for (int i = 0; i < logWeights.length; i++) {
      logWeights[i] = Math.log(weights[i]);
    }
    if (table == null && !peak) {
      // Equal weights, least request: the common case, with no weight arithmetic at all.
      return (PickContext ignored) -> {
        long r = random.nextLong();
        int a = index((int) (r >>> 32), n);
        LiveEndpoint x = states[a];
        LiveEndpoint y = states[other((int) r, n, a)];
        if (x.hasFailurePenalty() || y.hasFailurePenalty()) {
          return Load.load(y, y.inFlight(), ticker) < Load.load(x, x.inFlight(), ticker) ? y : x;
        }
        return y.inFlight() < x.inFlight() ? y : x;
      };
    }
    return (PickContext ignored) -> {
      long r = random.nextLong(); // one draw, two candidates
      int a;
      int b;
      if (table == null) {
        a = index((int) (r >>> 32), n);
        b = other((int) r, n, a);
      } else {
        a = table.sample((int) r);
        b = table.sample((int) (r >>> 32));
        if (b == a) {
          // A heavy endpoint is often drawn twice; fall back to a uniform other one.
          b = other((int) random.nextLong(), n, a);
        }
      }
      LiveEndpoint x = states[a];
      LiveEndpoint y = states[b];
      boolean yWins;
      if (peak) {
        yWins = peakLess(y, logWeights[b], x, logWeights[a], ticker);
      } else if (x.hasFailurePenalty() || y.hasFailurePenalty()) {
        yWins =
            Load.load(y, y.inFlight(), ticker) * weights[a]
                < Load.load(x, x.inFlight(), ticker) * weights[b];
      } else {
        yWins = (long) y.inFlight() * weights[a] < (long) x.inFlight() * weights[b];
      }
      return yWins ? y : x;
    };
  }

  /**
   * A uniform index in {@code [0, n)} from 32 random bits, by multiply-shift (Lemire) rather than a
   * bounded draw, which costs a division; the bias is below {@code n / 2^32}.
   */
  static int index(int bits, int n) {
    return (int) (((bits & 0xFFFF_FFFFL) * n) >>> 32);
  }

  /** A uniform index in {@code [0, n)} other than {@code a}, from 32 random bits. */
  static int other(int bits, int n, int a) {
    int b = index(bits, n - 1);
    return b + (~(b - a) >>> 31); // skip a: b + 1 when b >= a, without a branch
  }

  /**
   * Returns true if x's peak-EWMA load is strictly lower than y's; {@code lwx} and {@code lwy} are
   * the logarithms of their weights.
   */
  static boolean peakLess(LiveEndpoint x, double lwx, LiveEndpoint y, double lwy, Ticker ticker) {
    int ox = x.inFlight();
    int oy = y.inFlight();
    double kx = x.peakEwmaKey();
    double ky = y.peakEwmaKey();
    if (x.hasFailurePenalty() || y.hasFailurePenalty()) {
      return peakLessPenalized(
          kx, Load.load(x, ox, ticker), lwx, ky, Load.load(y, oy, ticker), lwy);
    }
    int cx = costClass(kx, ox);
    int cy = costClass(ky, oy);
    if (cx != cy) {
      return cx < cy;
    }
    if (cx == UNMEASURED_BUSY) {
      return ox < oy;
    }
    if (cx == UNMEASURED_IDLE) {
      return false;
    }
    // Compared as logarithms: ln(cost x (in flight + 1) / weight) is the key (ln(cost) + stamp /
    // tau, the same offset for both) + ln(in flight + 1), from a table, - ln(weight), precomputed.
    // No exp or log per pick.
    return kx + Load.logOnePlus(ox) - lwx < ky + Load.logOnePlus(oy) - lwy;
  }

  /**
   * {@link #peakLess} when a candidate has a failure penalty: the same rule over fractional loads
   * (calls in flight + penalty), so a penalized endpoint with no latency yet counts as busy.
   */
  private static boolean peakLessPenalized(
      double kx, double lx, double lwx, double ky, double ly, double lwy) {
    int cx = costClass(kx, lx);
    int cy = costClass(ky, ly);
    if (cx != cy) {
      return cx < cy;
    }
    if (cx == UNMEASURED_BUSY) {
      return lx < ly;
    }
    if (cx == UNMEASURED_IDLE) {
      return false;
    }
    return kx + Math.log1p(lx) - lwx < ky + Math.log1p(ly) - lwy;
  }

  private static final int UNMEASURED_IDLE = 0;
  private static final int MEASURED = 1;
  private static final int UNMEASURED_BUSY = 2;

  private static int costClass(double key, double load) {
    if (!Double.isNaN(key)) {
      return MEASURED;
    }
    return load == 0 ? UNMEASURED_IDLE : UNMEASURED_BUSY;
  }

  @Override
  public String toString() {
    return name();
  }
}
