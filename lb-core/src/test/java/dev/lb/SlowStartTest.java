package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.SlowStart;
import dev.lb.strategy.Strategies;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlowStartTest {
  private final HealthFixture f = new HealthFixture();

  private int percent(LoadBalancer lb, String id) {
    for (EndpointStats s : lb.stats().endpoints()) {
      if (s.endpoint().id().equals(id)) {
        return s.effectiveWeightPercent();
      }
    }
    throw new AssertionError(id);
  }

  @Test
  void factor_followsTheEnvoyCurve() {
    SlowStart linear = SlowStart.of(Duration.ofSeconds(10));
    assertThat(linear.factor(0)).isEqualTo(0.10);
    assertThat(linear.factor(5_000_000_000L)).isCloseTo(0.5, within(1e-9));
    assertThat(linear.factor(10_000_000_000L)).isEqualTo(1.0);
    SlowStart aggressive = linear.withAggression(2).withMinWeightPercent(1);
    assertThat(aggressive.factor(2_500_000_000L)).isCloseTo(0.5, within(1e-9)); // 0.25^(1/2)
    assertThatThrownBy(() -> linear.withMinWeightPercent(0))
        .hasMessage("minWeightPercent must be in 1..100 but was 0");
    assertThatThrownBy(() -> linear.withAggression(-1))
        .hasMessage("aggression must be positive but was -1.0");
  }

  @Test
  void initialEndpoints_startAtFullWeight_newOnesRampUpInSteps() {
    LoadBalancer lb =
        f.builder(endpoints(2))
            .strategy(Strategies.weightedRoundRobin())
            .slowStart(SlowStart.of(Duration.ofSeconds(10)))
            .build();
    assertThat(percent(lb, "e0")).isEqualTo(100);
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("new").build());
    assertThat(percent(lb, "new")).isEqualTo(10);

    f.scheduler.advance(Duration.ofMillis(2_500));
    assertThat(percent(lb, "new")).isEqualTo(25);
    f.scheduler.advance(Duration.ofMillis(2_500));
    assertThat(percent(lb, "new")).isEqualTo(50);
    Map<String, Integer> spread = HealthFixture.spread(lb, 2500); // 100 : 100 : 50
    assertThat(spread.get("new")).isEqualTo(500);

    f.scheduler.advance(Duration.ofSeconds(5));
    assertThat(percent(lb, "new")).isEqualTo(100);
    assertThat(f.events.events()).containsSubsequence("added new", "slow start finished new");
    assertThat(f.scheduler.pending()).isZero(); // no more steps once every ramp is over
  }

  /** The strategies that ignore weights honour the ramp too (they used to ignore slow start). */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"round_robin", "random", "least_connections"})
  void unweightedStrategies_rampANewEndpointUp(String strategy) {
    LoadBalancer lb =
        f.builder(endpoints(2))
            .strategy(StrategyRegistry.byName(strategy))
            .slowStart(SlowStart.of(Duration.ofSeconds(10)))
            .build();
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("new").build());
    Map<String, Integer> early = HealthFixture.spread(lb, 21_000); // 1 : 1 : 0.1
    assertThat(early.get("new")).isBetween(700, 1_300);
    f.scheduler.advance(Duration.ofSeconds(5));
    Map<String, Integer> half = HealthFixture.spread(lb, 25_000); // 1 : 1 : 0.5
    assertThat(half.get("new")).isBetween(4_300, 5_700);
    f.scheduler.advance(Duration.ofSeconds(5));
    Map<String, Integer> full = HealthFixture.spread(lb, 30_000);
    assertThat(full.get("new")).isBetween(9_000, 11_000);
  }

  @Test
  void recoveredEndpoint_rampsUpAgain() {
    LoadBalancer lb =
        f.builder(endpoints(3))
            .slowStart(SlowStart.of(Duration.ofSeconds(20)).withMinWeightPercent(20))
            .build();
    lb.markDown("e1", "connection lost");
    f.scheduler.advance(Duration.ofSeconds(30));
    assertThat(percent(lb, "e1")).isEqualTo(100);
    lb.markUp("e1");
    assertThat(percent(lb, "e1")).isEqualTo(20);
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(percent(lb, "e1")).isEqualTo(50);
    assertThat(lb.stats().toTable()).contains("1@50%");
  }

  @Test
  void leastLoadedStrategies_seeTheEffectiveWeight() {
    LoadBalancer lb =
        f.builder(endpoints(1))
            .strategy(Strategies.weightedLeastConnections())
            .slowStart(SlowStart.of(Duration.ofSeconds(10)))
            .build();
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("new").build());
    f.scheduler.advance(Duration.ofMillis(2_500)); // 25%: new holds a quarter as many calls
    int onNew = 0;
    for (int i = 0; i < 100; i++) {
      onNew += lb.pick().endpoint().id().equals("new") ? 1 : 0; // never reported: they pile up
    }
    assertThat(onNew).isBetween(19, 21);
  }

  @Test
  void endpointThatGoesDownMidRamp_stopsRamping_andStartsAgainWhenBack() {
    LoadBalancer lb =
        f.builder(endpoints(3)).slowStart(SlowStart.of(Duration.ofSeconds(10))).build();
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("new").build());
    f.scheduler.advance(Duration.ofSeconds(5));
    assertThat(percent(lb, "new")).isEqualTo(50);
    lb.markDown("new", "connection lost");
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(f.events.events()).doesNotContain("slow start finished new");
    lb.markUp("new");
    assertThat(percent(lb, "new")).isEqualTo(10);
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(f.events.events()).containsOnlyOnce("slow start finished new");
  }
}
