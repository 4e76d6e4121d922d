package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.hash.HashStrategies;
import dev.lb.health.SlowStart;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Subsetting inside a balancer: the filter before routing, its shares, its hard cases. */
class SubsettingTest {
  private final HealthFixture f = new HealthFixture();

  private LoadBalancer aperture(Strategy strategy, List<Endpoint> endpoints, int index, int count) {
    return f.builder(endpoints)
        .strategy(strategy)
        .subsetting(Subsetting.deterministicAperture(5))
        .clientCoordinate(ClientCoordinate.of(index, count))
        .build();
  }

  private static Map<String, Integer> inSubset(LoadBalancer lb) {
    Map<String, Integer> out = new HashMap<>();
    for (EndpointStats s : lb.stats().endpoints()) {
      if (s.inSubset()) {
        out.put(s.endpoint().id(), s.effectiveWeightPercent());
      }
    }
    return out;
  }

  @Test
  void weightedStrategy_honoursTheEdgesFractionalShares() {
    LoadBalancer lb = aperture(Strategies.weightedRoundRobin(), endpoints(100), 7, 31);
    Map<String, Integer> subset = inSubset(lb);
    assertThat(subset.size()).isBetween(4, 5);
    assertThat(subset.values().stream().filter(p -> p < 100).count()).isEqualTo(2);
    int total = subset.values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).isBetween(399, 401); // size - 1 slices, each share rounded to 1%

    Map<String, Integer> spread = Fixtures.spread(lb, 40_000);
    for (Map.Entry<String, Integer> e : spread.entrySet()) {
      Integer percent = subset.get(e.getKey());
      double expected = percent == null ? 0 : 40_000.0 * percent / total;
      assertThat((double) e.getValue()).as(e.getKey()).isCloseTo(expected, within(2.0));
    }
  }

  @Test
  void roundRobin_honoursTheSharesThroughTheRampFactor() {
    LoadBalancer lb = aperture(Strategies.roundRobin(), endpoints(100), 3, 17);
    Map<String, Integer> subset = inSubset(lb);
    int total = subset.values().stream().mapToInt(Integer::intValue).sum();
    Map<String, Integer> spread = Fixtures.spread(lb, 40_000);
    for (Map.Entry<String, Integer> e : spread.entrySet()) {
      Integer percent = subset.get(e.getKey());
      double expected = percent == null ? 0 : 40_000.0 * percent / total;
      assertThat((double) e.getValue()).as(e.getKey()).isCloseTo(expected, within(40_000 * 0.02));
    }
  }

  @Test
  void membersOutsideTheSubset_stayMembersButTakeNoCalls() {
    LoadBalancer lb = aperture(Strategies.powerOfTwoChoices(), endpoints(50), 0, 20);
    assertThat(lb.endpoints()).hasSize(50);
    assertThat(lb.stats().endpoints()).hasSize(50);
    Set<String> subset = inSubset(lb).keySet();
    assertThat(subset.size()).isBetween(4, 5);
    for (EndpointStats s : lb.stats().endpoints()) {
      if (!s.inSubset()) {
        assertThat(s.effectiveWeightPercent()).isZero();
      }
    }
    Map<String, Integer> spread = Fixtures.spread(lb, 2_000);
    spread.forEach((id, n) -> assertThat(n == 0 || subset.contains(id)).as(id).isTrue());
    assertThat(spread.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(2_000);
  }

  @Test
  void unhealthySubsetMembers_areNotReplaced_panicAndFailureStayInsideTheSubset() {
    LoadBalancer lb = aperture(Strategies.roundRobin(), endpoints(50), 4, 10);
    List<String> subset = new ArrayList<>(inSubset(lb).keySet());
    lb.markDown(subset.get(0), "maintenance");
    assertThat(inSubset(lb).keySet()).containsExactlyInAnyOrderElementsOf(subset);
    Map<String, Integer> spread = Fixtures.spread(lb, 1_000);
    spread.forEach(
        (id, n) ->
            assertThat(n > 0).as(id).isEqualTo(subset.contains(id) && !id.equals(subset.get(0))));

    for (String id : subset) {
      lb.markDown(id, "maintenance");
    }
    assertThatThrownBy(lb::pick)
        .isInstanceOf(NoEndpointAvailableException.class)
        .hasMessageContaining(subset.size() + " endpoints in this client's subset of 50");
  }

  @Test
  void updateClientCoordinate_movesTheSubsetBeforeItReturns() {
    LoadBalancer lb = aperture(Strategies.roundRobin(), endpoints(100), 0, 20);
    Set<String> before = inSubset(lb).keySet();
    assertThat(lb.updateClientCoordinate(ClientCoordinate.of(0, 20))).isFalse();
    assertThat(lb.updateClientCoordinate(ClientCoordinate.of(10, 20))).isTrue();
    assertThat(lb.clientCoordinate()).isEqualTo(ClientCoordinate.of(10, 20));
    Set<String> after = inSubset(lb).keySet();
    assertThat(after).doesNotContainAnyElementsOf(before);
    assertThat(Fixtures.spread(lb, 500).entrySet())
        .allSatisfy(e -> assertThat(e.getValue() > 0).isEqualTo(after.contains(e.getKey())));
  }

  @Test
  void membershipChange_recomputesTheSubset_withAtMostOneMemberEachWay() {
    List<Endpoint> all = endpoints(200);
    LoadBalancer lb = aperture(Strategies.roundRobin(), all.subList(0, 199), 5, 40);
    Set<String> before = new HashSet<>(inSubset(lb).keySet());
    lb.addEndpoint(all.get(199));
    Set<String> after = inSubset(lb).keySet();
    Set<String> left = new HashSet<>(before);
    left.removeAll(after);
    Set<String> entered = new HashSet<>(after);
    entered.removeAll(before);
    assertThat(left.size()).isLessThanOrEqualTo(1);
    assertThat(entered.size()).isLessThanOrEqualTo(1);
  }

  @Test
  void hashStrategy_keysStayInsideTheSubset() {
    LoadBalancer lb = aperture(HashStrategies.ringHash(), endpoints(60), 2, 12);
    Set<String> subset = inSubset(lb).keySet();
    for (int k = 0; k < 500; k++) {
      Lease lease = lb.pick(PickContext.builder().key("key-" + k).build());
      assertThat(subset).contains(lease.endpoint().id());
      lease.onSuccess(1_000L);
    }
  }

  @Test
  void randomSubsetting_needsNoCoordinate_andUsesExactlyItsSize() {
    LoadBalancer lb =
        f.builder(endpoints(100))
            .strategy(Strategies.leastConnections())
            .subsetting(Subsetting.random(8, 1234))
            .build();
    assertThat(inSubset(lb))
        .hasSize(8)
        .allSatisfy((id, percent) -> assertThat(percent).isEqualTo(100));
    assertThat(lb.clientCoordinate()).isEqualTo(ClientCoordinate.of(0, 1));
    assertThat(lb.updateClientCoordinate(ClientCoordinate.of(3, 9))).isTrue();
    assertThat(inSubset(lb)).hasSize(8);
  }

  @Test
  void slowStart_rampsASubsetMemberOnTopOfItsShare() {
    FakeTicker ticker = f.ticker;
    LoadBalancer lb =
        f.builder(endpoints(20))
            .strategy(Strategies.weightedRandom())
            .slowStart(SlowStart.of(Duration.ofSeconds(10)))
            .subsetting(Subsetting.random(25, 1))
            .build();
    lb.addEndpoint(Endpoint.builder("10.0.1.1", 8080).id("late").build());
    EndpointStats late =
        lb.stats().endpoints().stream()
            .filter(s -> s.endpoint().id().equals("late"))
            .findFirst()
            .orElseThrow();
    assertThat(late.inSubset()).isTrue();
    assertThat(late.effectiveWeightPercent()).isLessThan(100);
    ticker.advance(Duration.ofSeconds(11));
    f.scheduler.advance(Duration.ofSeconds(11));
    assertThat(inSubset(lb).get("late")).isEqualTo(100);
  }

  @Test
  void weightsNotAllOne_scaleTheShareWithinTheSubset() {
    List<Endpoint> list = new ArrayList<>();
    for (Endpoint e : endpoints(40)) {
      list.add(e.toBuilder().weight(e.id().hashCode() % 2 == 0 ? 3 : 1).build());
    }
    LoadBalancer lb = aperture(Strategies.weightedRoundRobin(), list, 1, 8);
    LoadBalancer equal = aperture(Strategies.weightedRoundRobin(), endpoints(40), 1, 8);
    assertThat(inSubset(lb)).isEqualTo(inSubset(equal));
  }

  @Test
  void aperture_withoutACoordinate_failsToBuildSayingWhatToSet() {
    assertThatThrownBy(
            () -> f.builder(endpoints(3)).subsetting(Subsetting.deterministicAperture(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deterministic_aperture needs this client's coordinate")
        .hasMessageContaining("clientCoordinate");
  }

  @Test
  void withoutSubsetting_everyMemberIsInSubset_andCoordinatesAreIgnored() {
    LoadBalancer lb = f.builder(endpoints(3)).build();
    assertThat(lb.subsetting()).isNull();
    assertThat(lb.clientCoordinate()).isNull();
    assertThat(lb.updateClientCoordinate(ClientCoordinate.of(1, 2))).isFalse();
    assertThat(lb.stats().endpoints()).allSatisfy(s -> assertThat(s.inSubset()).isTrue());
  }
}
