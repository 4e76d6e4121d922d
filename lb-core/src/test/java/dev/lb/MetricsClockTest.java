package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.testing.FakeTicker;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The cheap decay that completions use instead of {@code Math.exp}, bounded against it over a
 * seeded sweep, and the peak EWMA it feeds bounded against Finagle's formula computed exactly.
 */
class MetricsClockTest {
  private static final long TAU = 10_000_000_000L; // the default decay window, 10 s

  @Test
  void expNegative_withinOneHundredBillionthOfMathExp_relative() {
    SplittableRandom random = new SplittableRandom(0xe4b);
    double worst = 0;
    for (int i = 0; i < 2_000_000; i++) {
      // Half the draws in the series' range, weighted towards tiny values; the rest up to 50.
      double x =
          i % 2 == 0
              ? MetricsClock.SERIES_LIMIT * Math.pow(random.nextDouble(), 4)
              : random.nextDouble(0, 50);
      double exact = Math.exp(-x);
      worst = Math.max(worst, Math.abs(MetricsClock.expNegative(x) - exact) / exact);
    }
    assertThat(worst).isLessThan(1e-11);
    double below = Math.nextDown(MetricsClock.SERIES_LIMIT);
    assertThat(Math.abs(MetricsClock.expNegative(below) - Math.exp(-below)) / Math.exp(-below))
        .isLessThan(1e-11);
    assertThat(MetricsClock.expNegative(0.0)).isEqualTo(1.0);
  }

  @Test
  void decayFactor_neverAboveOne_andOneWhenTimeDidNotAdvance() {
    FakeTicker ticker = new FakeTicker();
    MetricsClock clock = new MetricsClock(ticker, TAU, true, false);
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      long elapsed = random.nextLong(0, 100 * TAU);
      double w = clock.decayFactor(0, elapsed);
      assertThat(w).isBetween(0.0, 1.0);
    }
    assertThat(clock.decayFactor(5, 5)).isEqualTo(1.0);
    assertThat(clock.decayFactor(5, 4)).isEqualTo(1.0);
  }

  /**
   * The estimator as Finagle defines it, computed with {@code Math.exp} and {@code Math.log}: a
   * sample above the cost replaces it, one below is blended in with weight {@code 1 - exp(-elapsed
   * / tau)}; its key is {@code ln(cost) + (stamp - epoch) / tau}.
   */
  private static final class ExactPeakEwma {
    double cost = Double.NaN;
    long stamp;

    void observe(double sample, long now) {
      if (Double.isNaN(cost) || sample > cost) {
        cost = sample;
      } else {
        double w = Math.exp(-Math.max(0, now - stamp) / (double) TAU);
        cost = cost * w + sample * (1.0 - w);
      }
      stamp = now;
    }

    double key(long epoch) {
      return Math.log(cost) + (stamp - epoch) / (double) TAU;
    }
  }

  @Test
  void peakEwma_tracksTheExactFormula_overSeededCallSequences() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      FakeTicker ticker = new FakeTicker();
      MetricsClock clock = new MetricsClock(ticker, TAU, true, false);
      EndpointState state =
          new EndpointState(Endpoint.builder("10.0.3.1", 8080).build(), clock, States.IGNORE);
      ExactPeakEwma exact = new ExactPeakEwma();
      double worstCost = 0;
      double worstKey = 0;
      for (int call = 0; call < 20_000; call++) {
        // Gaps from a microsecond to a minute (some beyond the series' range, so both paths run),
        // latencies log-uniform from 10 us to 10 s, with occasional spikes.
        ticker.advanceNanos((long) Math.pow(10, random.nextDouble(3, 10.8)));
        long latency = (long) Math.pow(10, random.nextDouble(4, 10));
        state.acquire();
        state.onSuccess(latency, 0);
        exact.observe((double) latency, ticker.read());
        double cost = state.peakEwmaNanos(ticker.read());
        double exactCost = exact.cost; // no time has passed since the sample: no decay
        worstCost = Math.max(worstCost, Math.abs(cost - exactCost) / exactCost);
        worstKey = Math.max(worstKey, Math.abs(state.peakEwmaKey() - exact.key(clock.epoch)));
      }
      // Errors do not accumulate: each step's relative error is about 1e-11, and the blend
      // shrinks what the earlier steps left.
      assertThat(worstCost).as("seed %s", seed).isLessThan(1e-9);
      assertThat(worstKey).as("seed %s", seed).isLessThan(1e-9);
    }
  }

  @Test
  void peakEwma_aSpikeReplacesTheEstimateAtOnce_andRecoveryFollowsTheExactDecay() {
    FakeTicker ticker = new FakeTicker();
    MetricsClock clock = new MetricsClock(ticker, TAU, true, false);
    EndpointState state =
        new EndpointState(Endpoint.builder("10.0.3.1", 8080).build(), clock, States.IGNORE);
    ExactPeakEwma exact = new ExactPeakEwma();
    for (int i = 0; i < 100; i++) {
      ticker.advanceMillis(1);
      state.acquire();
      state.onSuccess(1_000_000L, 0);
      exact.observe(1e6, ticker.read());
    }
    ticker.advanceMillis(1);
    state.acquire();
    state.onSuccess(500_000_000L, 0); // a 500 ms spike
    exact.observe(5e8, ticker.read());
    assertThat(state.peakEwmaNanos(ticker.read())).isEqualTo(5e8);
    for (int i = 0; i < 5_000; i++) {
      ticker.advanceMillis(2);
      state.acquire();
      state.onSuccess(1_000_000L, 0);
      exact.observe(1e6, ticker.read());
      assertThat(state.peakEwmaNanos(ticker.read()) / exact.cost).isCloseTo(1.0, within(1e-9));
    }
    // Ten seconds of 2 ms calls: one window, so the spike's excess has decayed by about e.
    assertThat(exact.cost).isBetween(1e6 + 4.99e8 / Math.E * 0.9, 1e6 + 4.99e8 / Math.E * 1.1);
  }

  @Test
  void ln_withinItsBoundOfMathLog_overEveryExponentAndEveryTableInterval() {
    SplittableRandom random = new SplittableRandom(0x1097);
    double worst = 0;
    for (int i = 0; i < 2_000_000; i++) {
      // Latencies and costs (1 ns to hours), decayed values far below 1, and the whole range.
      double x =
          switch (i % 3) {
            case 0 -> Math.pow(10, random.nextDouble(0, 13));
            case 1 -> Math.pow(10, random.nextDouble(-300, 0));
            default -> Math.scalb(1.0 + random.nextDouble(), random.nextInt(-1022, 1024));
          };
      worst = Math.max(worst, Math.abs(MetricsClock.ln(x) - Math.log(x)));
    }
    assertThat(worst).isLessThan(MetricsClock.LN_ERROR);
    // Each interval's ends, where the series is longest or the index changes.
    for (int interval = 0; interval <= 128; interval++) {
      double left = 1.0 + interval / 128.0;
      for (double x : new double[] {left, Math.nextDown(left), Math.nextUp(left), left * 1e6}) {
        assertThat(Math.abs(MetricsClock.ln(x) - Math.log(x))).isLessThan(MetricsClock.LN_ERROR);
      }
    }
    assertThat(MetricsClock.ln(1.0)).isEqualTo(0.0);
    assertThat(MetricsClock.ln(1024.0)).isEqualTo(10 * Math.log(2.0));
  }

  @Test
  void ln_outsideThePositiveNormalRange_isMathLogs() {
    for (double x :
        new double[] {
          0.0,
          -0.0,
          -1.0,
          Double.MIN_VALUE,
          Double.MIN_NORMAL / 3,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY,
          Double.NaN,
          Double.MAX_VALUE,
          Double.MIN_NORMAL
        }) {
      double exact = Math.log(x);
      if (Double.isFinite(exact)) {
        assertThat(MetricsClock.ln(x)).as("ln(%s)", x).isCloseTo(exact, within(1e-11));
      } else {
        assertThat(Double.compare(MetricsClock.ln(x), exact)).as("ln(%s)", x).isZero();
      }
    }
    assertThat(MetricsClock.ln(0.0)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(MetricsClock.ln(-1.0)).isNaN();
    assertThat(MetricsClock.ln(Double.NaN)).isNaN();
  }

  @Test
  void stampNow_readsAFakeTickerExactly_andTheSystemTickerThroughTheCoarseClock() {
    FakeTicker ticker = new FakeTicker();
    MetricsClock fake = new MetricsClock(ticker, TAU, true, false);
    ticker.advanceNanos(12_345);
    assertThat(fake.stampNow()).isEqualTo(ticker.read());

    MetricsClock system = new MetricsClock(Ticker.systemTicker(), TAU, true, false);
    long before = System.nanoTime();
    long stamp = system.stampNow();
    long after = System.nanoTime();
    // Never ahead of the clock; behind it by a tick while the clock thread runs on time (bounded
    // loosely here: a loaded machine may keep the thread from its CPU).
    assertThat(stamp).isLessThanOrEqualTo(after).isGreaterThan(before - 5_000_000_000L);

    // A short window reads the system ticker exactly: a tick would weigh too much in it.
    MetricsClock shortWindow =
        new MetricsClock(
            Ticker.systemTicker(), MetricsClock.COARSE_MIN_WINDOW_NANOS - 1, true, false);
    long exactBefore = System.nanoTime();
    assertThat(shortWindow.stampNow()).isGreaterThanOrEqualTo(exactBefore);
  }
}
