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
}
