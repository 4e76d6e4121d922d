package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The rules of the hedging budget, the adaptive delay's estimator and the policy's validation, on
 * fake time and seeded randomness.
 */
class HedgingPolicyTest {
  @Test
  void budget_hedgesNeverExceedTheShareOfFastCalls_overEveryWindow_overManySeeds() {
    for (long seed = 0; seed < 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      FakeTicker ticker = new FakeTicker();
      Hedging hedging = new Hedging(HedgingPolicy.builder().ticker(ticker).build());
      int fast = 0;
      int hedges = 0;
      for (int call = 0; call < 20_000; call++) {
        ticker.advance(Duration.ofMillis(1)); // 20 s: two budget windows
        if (random.nextDouble() < 0.9) {
          hedging.budget().deposit();
          fast++;
        } else if (hedging.budget().tryWithdraw()) {
          hedges++;
        }
      }
      assertThat(hedges).as("seed %s", seed).isLessThanOrEqualTo((int) (0.05 * fast));
      assertThat(hedges).as("seed %s: the budget is used", seed).isGreaterThan((int) (0.04 * fast));
    }
  }

  @Test
  void budget_everyEndpointSlow_nothingIsDeposited_soHedgingSwitchesOffOnceTheWindowPassed() {
    FakeTicker ticker = new FakeTicker();
    Hedging hedging =
        new Hedging(
            HedgingPolicy.builder().ticker(ticker).budgetWindow(Duration.ofSeconds(1)).build());
    for (int i = 0; i < 1000; i++) {
      hedging.budget().deposit(); // fast calls: 50 hedges' worth
    }
    int hedges = 0;
    for (int i = 0; i < 1000; i++) {
      ticker.advance(Duration.ofMillis(5)); // then every call is slow for 5 s: no deposit
      if (hedging.budget().tryWithdraw()) {
        hedges++;
      }
    }
    assertThat(hedges).isEqualTo(50);
    assertThat(hedging.budget().remaining()).isZero();
  }

  @Test
  void budget_aFloorPerSecond_letsAQuietClientHedge() {
    FakeTicker ticker = new FakeTicker();
    Hedging hedging =
        new Hedging(
            HedgingPolicy.builder()
                .ticker(ticker)
                .budgetMinPerSecond(2)
                .budgetWindow(Duration.ofSeconds(1))
                .build());
    assertThat(hedging.budget().tryWithdraw()).isTrue();
    assertThat(hedging.budget().tryWithdraw()).isTrue();
    assertThat(hedging.budget().tryWithdraw()).isFalse();
  }

  @Test
  void estimator_bucketsCoverEveryLatency_andAnEdgeIsAtMostAQuarterAboveItsValues() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 100_000; i++) {
      long nanos = (long) Math.exp(random.nextDouble() * Math.log(1e12));
      int b = LatencyEstimator.bucket(nanos);
      assertThat(b).isBetween(0, LatencyEstimator.BUCKETS - 1);
      long edge = LatencyEstimator.upperEdge(b);
      if (b < LatencyEstimator.BUCKETS - 1) {
        assertThat(edge).as("%s ns in bucket %s", nanos, b).isGreaterThan(nanos);
        if (nanos > 4096) {
          assertThat((double) edge).isLessThanOrEqualTo(nanos * 1.25 + 1);
        }
        if (b > 0) {
          assertThat(LatencyEstimator.upperEdge(b - 1)).isLessThanOrEqualTo(nanos);
        }
      }
    }
    assertThat(LatencyEstimator.bucket(-5)).isZero();
    assertThat(LatencyEstimator.bucket(Long.MAX_VALUE)).isEqualTo(LatencyEstimator.BUCKETS - 1);
  }

  @Test
  void estimator_publishesThePercentileOfTheWindowThatEnded() {
    FakeTicker ticker = new FakeTicker();
    LatencyEstimator e = new LatencyEstimator(ticker, 0.95, Duration.ofSeconds(1).toNanos());
    // 1,000 latencies: 1 ms to 100 ms, uniformly; p95 is 95 ms.
    for (int i = 1; i <= 1000; i++) {
      e.record(Duration.ofMillis(1).toNanos() * (1 + (i * 99L) / 1000));
    }
    assertThat(e.estimateNanos()).as("no window has ended yet").isEqualTo(-1);
    ticker.advance(Duration.ofSeconds(1));
    e.record(Duration.ofMillis(5).toNanos()); // the first record of the next window rotates
    long p95 = e.estimateNanos();
    assertThat(p95).isBetween(Duration.ofMillis(95).toNanos(), Duration.ofMillis(119).toNanos());
  }

  @Test
  void estimator_aWindowWithTooFewLatencies_keepsThePreviousEstimate() {
    FakeTicker ticker = new FakeTicker();
    LatencyEstimator e = new LatencyEstimator(ticker, 0.5, Duration.ofSeconds(1).toNanos());
    for (int i = 0; i < LatencyEstimator.MIN_SAMPLES; i++) {
      e.record(Duration.ofMillis(10).toNanos());
    }
    ticker.advance(Duration.ofSeconds(1));
    e.record(Duration.ofMillis(500).toNanos());
    long first = e.estimateNanos();
    assertThat(first).isBetween(Duration.ofMillis(10).toNanos(), Duration.ofMillis(13).toNanos());
    ticker.advance(Duration.ofSeconds(1)); // a window of one latency ends
    e.record(Duration.ofMillis(500).toNanos());
    assertThat(e.estimateNanos()).isEqualTo(first);
  }

  @Test
  void estimator_afterAQuietGap_oldLatenciesDoNotLinger() {
    FakeTicker ticker = new FakeTicker();
    LatencyEstimator e = new LatencyEstimator(ticker, 0.5, Duration.ofSeconds(1).toNanos());
    for (int i = 0; i < 200; i++) {
      e.record(Duration.ofMillis(10).toNanos());
    }
    ticker.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 200; i++) {
      e.record(Duration.ofMillis(200).toNanos());
    }
    ticker.advance(Duration.ofSeconds(1));
    e.record(1);
    assertThat(e.estimateNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
  }

  @Test
  void adaptiveDelay_isClampedToItsBounds_andIsTheFixedDelayUntilAWindowEnded() {
    FakeTicker ticker = new FakeTicker();
    HedgingPolicy policy =
        HedgingPolicy.builder()
            .delay(Duration.ofMillis(70))
            .adaptiveDelay(0.95, Duration.ofMillis(5), Duration.ofMillis(50))
            .window(Duration.ofSeconds(1))
            .ticker(ticker)
            .build();
    Hedging hedging = new Hedging(policy);
    assertThat(hedging.delayNanos()).isEqualTo(Duration.ofMillis(70).toNanos());
    for (int i = 0; i < 200; i++) {
      hedging.record(Duration.ofMillis(400).toNanos());
    }
    ticker.advance(Duration.ofSeconds(1));
    hedging.record(1);
    assertThat(hedging.delayNanos()).isEqualTo(Duration.ofMillis(50).toNanos());
    for (int i = 0; i < 200; i++) {
      hedging.record(100_000L);
    }
    ticker.advance(Duration.ofSeconds(1));
    hedging.record(1);
    assertThat(hedging.delayNanos()).isEqualTo(Duration.ofMillis(5).toNanos());
  }

  @Test
  void policy_defaultsAndValidation() {
    HedgingPolicy p = HedgingPolicy.fixedDelay(Duration.ofMillis(20));
    assertThat(p.isAdaptive()).isFalse();
    assertThat(p.delay()).isEqualTo(Duration.ofMillis(20));
    assertThat(p.maxAttempts()).isEqualTo(2);
    assertThat(p.budgetPercent()).isEqualTo(0.05);
    assertThat(p.budgetMinPerSecond()).isZero();
    assertThat(p.budgetWindow()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.toString()).contains("PT0.02S", "maxAttempts=2", "0.05 of PT10S");
    HedgingPolicy a = HedgingPolicy.builder().adaptiveDelay(0.9).build();
    assertThat(a.isAdaptive()).isTrue();
    assertThat(a.percentile()).isEqualTo(0.9);
    assertThat(a.minDelay()).isEqualTo(Duration.ofMillis(1));
    assertThat(a.maxDelay()).isEqualTo(Duration.ofSeconds(1));
    assertThat(a.window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(a.toString()).contains("p90");

    HedgingPolicy.Builder b = HedgingPolicy.builder();
    assertThatThrownBy(() -> b.maxAttempts(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hedging max attempts")
        .hasMessageContaining("1");
    assertThatThrownBy(() -> b.maxAttempts(6)).hasMessageContaining("6");
    assertThatThrownBy(() -> b.adaptiveDelay(1.0)).hasMessageContaining("percentile");
    assertThatThrownBy(() -> b.adaptiveDelay(0.9, Duration.ofMillis(5), Duration.ofMillis(1)))
        .hasMessageContaining("max hedge delay")
        .hasMessageContaining("PT0.001S");
    assertThatThrownBy(() -> b.delay(Duration.ZERO)).hasMessageContaining("hedge delay");
    assertThatThrownBy(() -> b.budgetPercent(1.5)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> b.budgetMinPerSecond(-1)).hasMessageContaining("-1");
    assertThatThrownBy(() -> b.budgetWindow(Duration.ofMillis(1500)))
        .hasMessageContaining("hedging budget window")
        .hasMessageContaining("PT1.5S");
    assertThatThrownBy(() -> b.window(Duration.ofSeconds(-1)))
        .hasMessageContaining("hedge latency window");
    assertThatThrownBy(() -> b.scheduler(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.ticker(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Service.builder("x").hedging(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("hedging policy");
  }
}
