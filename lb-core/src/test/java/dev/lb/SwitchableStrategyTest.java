package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.hash.HashStrategies;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A running balancer changes its strategy through {@link SwitchableStrategy}: the next pick uses
 * the new one, and members, statistics and health stay.
 */
class SwitchableStrategyTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.builder("10.0.0." + (i + 1), 80).weight(i + 1).build());
    }
    return list;
  }

  private LoadBalancer.Builder builder(SwitchableStrategy strategy, int n) {
    return LoadBalancer.builder()
        .name("svc")
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(7))
        .strategy(strategy)
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(endpoints(n));
  }

  @Test
  void switchToRingHash_midTraffic_keysStick_andStatisticsStay() {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
    LoadBalancer lb = builder(strategy, 5).build();
    lb.disable("10.0.0.5:80"); // administrative state must survive the switch too
    Set<String> roundRobin = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      Lease lease = lb.pick(PickContext.ofKey("user-1"));
      roundRobin.add(lease.endpoint().id());
      lease.onSuccess(1_000_000L);
    }
    assertThat(roundRobin).as("round robin ignores the key").hasSize(4);
    long before = successes(lb);

    assertThat(strategy.switchTo(HashStrategies.ringHash())).isTrue();

    assertThat(lb.stats().strategyName()).isEqualTo("ring_hash");
    assertThat(successes(lb)).as("statistics survive the switch").isEqualTo(before).isEqualTo(40);
    assertThat(lb.health("10.0.0.5:80")).isEqualTo(dev.lb.health.HealthStatus.DISABLED);
    for (int k = 0; k < 50; k++) {
      PickContext key = PickContext.ofKey("user-" + k);
      String first = lb.choose(key).id();
      for (int i = 0; i < 5; i++) {
        assertThat(lb.choose(key).id()).as("key %s", k).isEqualTo(first);
      }
      assertThat(first).isNotEqualTo("10.0.0.5:80");
    }
    assertThat(strategy.switchTo(HashStrategies.ringHash())).as("no-op").isFalse();
    lb.close();
  }

  @Test
  void switchBackAndForth_everyBalancerBuiltWithIt_follows_andClosedOnesDetach() {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
    LoadBalancer a = builder(strategy, 3).build();
    LoadBalancer b = builder(strategy, 3).name("other").build();
    assertThat(strategy.attached()).isEqualTo(2);
    strategy.switchTo(HashStrategies.maglev());
    assertThat(a.stats().strategyName()).isEqualTo("maglev");
    assertThat(b.stats().strategyName()).isEqualTo("maglev");
    b.close();
    assertThat(strategy.attached()).isEqualTo(1);
    strategy.switchTo(Strategies.weightedRoundRobin());
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 600; i++) {
      counts.merge(a.choose(PickContext.none()).id(), 1, Integer::sum);
    }
    // weights 1, 2, 3 over 600 picks
    assertThat(counts).containsEntry("10.0.0.1:80", 100).containsEntry("10.0.0.3:80", 300);
    a.close();
    assertThat(strategy.attached()).isZero();
  }

  @Test
  void switchToOrcaWeights_startsTheRefreshTimer_andSwitchingAwayStopsIt() {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
    LoadBalancer lb = builder(strategy, 2).build();
    assertThat(scheduler.pending()).isZero();
    strategy.switchTo(
        Strategies.orcaWeightedRoundRobin().toBuilder()
            .blackoutPeriod(Duration.ZERO)
            .weightUpdatePeriod(Duration.ofMillis(100))
            .build());
    assertThat(scheduler.pending()).as("the weight update timer").isEqualTo(1);
    assertThat(strategy.usesLoadReports()).isTrue();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 4000; i++) {
      Lease lease = lb.pick();
      String id = lease.endpoint().id();
      lease.onLoadReport(
          LoadReport.builder()
              .cpuUtilization(id.equals("10.0.0.1:80") ? 0.3 : 0.9)
              .requestsPerSecond(100)
              .build());
      lease.onSuccess(1_000_000L);
      scheduler.advance(Duration.ofMillis(1));
      if (i >= 2000) {
        counts.merge(id, 1, Integer::sum);
      }
    }
    assertThat(counts.get("10.0.0.1:80") / 2000.0)
        .as("weights from the load reports: three to one")
        .isCloseTo(0.75, within(0.03));
    strategy.switchTo(Strategies.roundRobin());
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(scheduler.pending()).as("round robin needs no timer").isZero();
    lb.close();
  }

  @Test
  void switchTo_aStrategyNeedingAnEstimatorNotTracked_isRefused_andNothingChanges() {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
    LoadBalancer lb = builder(strategy, 2).build();
    assertThatThrownBy(() -> strategy.switchTo(Strategies.peakEwma()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("peak_ewma")
        .hasMessageContaining("peak EWMA latency");
    assertThat(strategy.current()).isEqualTo(Strategies.roundRobin());
    assertThat(lb.stats().strategyName()).isEqualTo("round_robin");
    SwitchableStrategy tracking = SwitchableStrategy.of(Strategies.peakEwma());
    assertThat(tracking.switchTo(Strategies.roundRobin())).isTrue();
    assertThat(tracking.usesPeakEwma()).as("fixed by the initial strategy").isTrue();
    lb.close();
  }

  @Test
  void switchTo_aHashStrategy_underSlowStart_isRefusedByTheBalancer() {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
    LoadBalancer lb = builder(strategy, 2).slowStart(SlowStart.of(Duration.ofSeconds(30))).build();
    assertThatThrownBy(() -> strategy.switchTo(HashStrategies.ringHash()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'svc'")
        .hasMessageContaining("slow start");
    assertThat(strategy.current()).isEqualTo(Strategies.roundRobin());
    lb.close();
  }

  @Test
  void arguments_areChecked() {
    assertThatThrownBy(() -> SwitchableStrategy.of(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("initial");
    SwitchableStrategy s = SwitchableStrategy.of(Strategies.random());
    assertThatThrownBy(() -> SwitchableStrategy.of(s)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.switchTo(s)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.switchTo(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("next");
  }

  private static long successes(LoadBalancer lb) {
    long sum = 0;
    for (EndpointStats e : lb.stats().endpoints()) {
      sum += e.successes();
    }
    return sum;
  }

  @Test
  void aStrategyThatBindsPerBalancer_isRefused_asInitialAndAsNext() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SwitchableStrategy.of(dev.lb.strategy.Strategies.prequal()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keeps state per balancer");
    SwitchableStrategy s = SwitchableStrategy.of(dev.lb.strategy.Strategies.peakEwma());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> s.switchTo(dev.lb.strategy.Strategies.prequal()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keeps state per balancer");
    org.assertj.core.api.Assertions.assertThat(s.current().name()).isEqualTo("peak_ewma");
  }
}
