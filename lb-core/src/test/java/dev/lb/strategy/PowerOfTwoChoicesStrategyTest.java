package dev.lb.strategy;

import static dev.lb.strategy.LeastLoadedStrategyTest.inFlight;
import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.Fixtures.spread;
import static dev.lb.testing.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesStrategyTest {
  @Test
  void p2c_busyEndpointNeverWinsAgainstIdleOnes() {
    for (long seed = 1; seed <= 20; seed++) {
      LoadBalancer lb = balancer(Strategies.powerOfTwoChoices(), endpoints(5), seed);
      // One call held on e0 (every other endpoint excluded); every other call ends at once.
      PickContext.Builder onlyE0 = PickContext.builder();
      for (int i = 1; i < 5; i++) {
        onlyE0.exclude("e" + i);
      }
      assertThat(lb.pick(onlyE0.build()).endpoint().id()).isEqualTo("e0");
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 1_000; i++) {
        Lease lease = lb.pick();
        counts.merge(lease.endpoint().id(), 1, Integer::sum);
        lease.onSuccess(1);
      }
      assertThat(counts).as("seed %d", seed).doesNotContainKey("e0").hasSize(4);
    }
  }

  @Test
  void p2c_candidatesAreDistinct_twoEndpointsAlwaysPickTheIdleOne() {
    LoadBalancer lb = balancer(Strategies.powerOfTwoChoices(), endpoints(2), 9);
    Lease busy = lb.pick();
    for (int i = 0; i < 100; i++) {
      Lease l = lb.pick();
      assertThat(l.endpoint()).isNotEqualTo(busy.endpoint());
      l.onSuccess(1);
    }
  }

  @Test
  void p2c_heldCalls_balanceInFlightByWeight() {
    LoadBalancer lb = balancer(Strategies.powerOfTwoChoices(), weighted(1, 3), 4);
    for (int i = 0; i < 400; i++) {
      lb.pick();
    }
    assertThat(inFlight(lb).get("e1") / 400.0).isCloseTo(0.75, within(0.02));
  }

  @Test
  void p2c_idle_sharesByWeight() {
    Map<String, Integer> counts =
        spread(balancer(Strategies.powerOfTwoChoices(), weighted(1, 3), 4), 40_000);
    assertThat(counts.get("e1") / 40_000.0).isCloseTo(0.75, within(0.015));
  }

  @Test
  void p2c_singleEndpoint_alwaysPicked() {
    LoadBalancer lb = balancer(Strategies.powerOfTwoChoices(), endpoints(1), 4);
    assertThat(spread(lb, 10)).containsEntry("e0", 10);
  }

  @Test
  void peakEwma_steersAwayFromSlowEndpoint() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.peakEwma(), endpoints(4), 1, ticker);
    Map<String, Integer> counts = runTraffic(lb, ticker, 4_000, "e0", 200);
    assertThat(counts.getOrDefault("e0", 0) / 4_000.0).isLessThan(0.02);
  }

  @Test
  void peakEwma_reactsToASpikeAtOnce() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.peakEwma(), endpoints(2), 1, ticker);
    runTraffic(lb, ticker, 200, "none", 10);
    // One slow answer from e0: its cost jumps to the peak, not a tenth of the way.
    Lease lease;
    do {
      lease = lb.pick();
      if (!lease.endpoint().id().equals("e0")) {
        lease.onSuccess(10_000_000L);
      }
    } while (!lease.endpoint().id().equals("e0"));
    lease.onSuccess(500_000_000L);
    assertThat(lb.stats().endpoints().get(0).peakEwmaNanos()).isCloseTo(5e8, within(1e6));
    Map<String, Integer> next = runTraffic(lb, ticker, 100, "none", 10);
    assertThat(next.getOrDefault("e0", 0)).isZero();
  }

  @Test
  void peakEwma_idleCostDecaysByOneWindowConstant() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.peakEwma(), endpoints(1), 3, ticker);
    lb.pick().onSuccess(1_000_000_000L);
    ticker.advance(Duration.ofSeconds(10)); // the default decay window
    assertThat(lb.stats().endpoints().get(0).peakEwmaNanos()).isCloseTo(1e9 / Math.E, within(1e3));
  }

  @Test
  void peakEwma_slowEndpointTakesOverflowOnceFastOneIsLoaded() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.peakEwma(), endpoints(2), 3, ticker);
    runTraffic(lb, ticker, 500, "e0", 1_000);
    // e0 costs ~100x e1: it gets a call again only once e1 holds ~100 calls in flight.
    Map<String, Integer> held = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      held.merge(lb.pick().endpoint().id(), 1, Integer::sum);
    }
    assertThat(held.get("e1")).isBetween(80, 299);
    assertThat(held.get("e0")).isPositive();
  }

  @Test
  void peakEwma_newEndpointIsProbedOneCallAtATime() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.peakEwma(), endpoints(3), 5, ticker);
    runTraffic(lb, ticker, 300, "none", 10);
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("e9").build());
    Lease probe = null;
    for (int i = 0; i < 200 && probe == null; i++) {
      Lease l = lb.pick();
      if (l.endpoint().id().equals("e9")) {
        probe = l;
      } else {
        l.onSuccess(10_000_000L);
      }
    }
    assertThat(probe).as("the unmeasured endpoint is probed").isNotNull();
    for (int i = 0; i < 200; i++) {
      Lease l = lb.pick();
      assertThat(l.endpoint().id()).isNotEqualTo("e9");
      l.onSuccess(10_000_000L);
    }
    probe.onSuccess(5_000_000L);
    Map<String, Integer> after = runTraffic(lb, ticker, 1_000, "none", 10);
    assertThat(after.get("e9")).isGreaterThan(200);
  }

  @Test
  void decayedEstimators_trackedOnlyForStrategiesThatRankByThem() {
    LoadBalancer lb = balancer(Strategies.powerOfTwoChoices(), endpoints(1), 1);
    lb.pick().onSuccess(1_000_000L, 2048);
    dev.lb.EndpointStats s = lb.stats().endpoints().get(0);
    assertThat(s.peakEwmaNanos()).isNaN();
    assertThat(s.throughputBytesPerSecond()).isNaN();
    assertThat(s.responseBytes()).isEqualTo(2048);
    assertThat(s.latencyEwmaNanos()).isEqualTo(1e6);
    assertThat(Strategies.peakEwma().usesPeakEwma()).isTrue();
    assertThat(Strategies.leastBandwidth().usesThroughput()).isTrue();
    assertThat(Strategies.roundRobin().usesPeakEwma()).isFalse();
    assertThat(Strategies.roundRobin().usesThroughput()).isFalse();
  }

  /**
   * Sequential calls, 1 ms apart on the fake clock; {@code slowId} answers in {@code slowMillis},
   * every other endpoint in 10 ms.
   */
  private static Map<String, Integer> runTraffic(
      LoadBalancer lb, FakeTicker ticker, int calls, String slowId, long slowMillis) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      Lease lease = lb.pick();
      String id = lease.endpoint().id();
      counts.merge(id, 1, Integer::sum);
      lease.onSuccess((id.equals(slowId) ? slowMillis : 10) * 1_000_000L);
      ticker.advanceMillis(1);
    }
    return counts;
  }
}
