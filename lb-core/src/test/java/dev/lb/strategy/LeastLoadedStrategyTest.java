package dev.lb.strategy;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.Fixtures.spread;
import static dev.lb.testing.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.EndpointStats;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.testing.FakeTicker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastLoadedStrategyTest {
  @Test
  void leastConnections_picksFewestInFlight() {
    LoadBalancer lb = balancer(Strategies.leastConnections(), endpoints(3), 1);
    List<Lease> held = new ArrayList<>();
    // Held calls fill the endpoints evenly: the next pick always goes to a least-loaded one.
    for (int i = 0; i < 30; i++) {
      held.add(lb.pick());
    }
    assertThat(inFlight(lb).values()).containsOnly(10);
    // Finish one call on e1: it is now the only endpoint with fewer than 10.
    held.stream()
        .filter(l -> l.endpoint().id().equals("e1"))
        .findFirst()
        .orElseThrow()
        .onSuccess(1);
    assertThat(lb.pick().endpoint().id()).isEqualTo("e1");
  }

  @Test
  void leastConnections_idleTies_spreadEvenly_notToTheFirst() {
    Map<String, Integer> counts =
        spread(balancer(Strategies.leastConnections(), endpoints(4), 3), 40_000);
    for (int c : counts.values()) {
      assertThat(c / 40_000.0).isCloseTo(0.25, within(0.02));
    }
  }

  @Test
  void weightedLeastConnections_inFlightProportionalToWeight() {
    LoadBalancer lb = balancer(Strategies.weightedLeastConnections(), weighted(1, 3), 1);
    for (int i = 0; i < 40; i++) {
      lb.pick();
    }
    assertThat(inFlight(lb)).containsEntry("e0", 10).containsEntry("e1", 30);
  }

  @Test
  void weightedLeastConnections_idleTies_shareByWeight() {
    Map<String, Integer> counts =
        spread(balancer(Strategies.weightedLeastConnections(), weighted(1, 3), 5), 40_000);
    assertThat(counts.get("e1") / 40_000.0).isCloseTo(0.75, within(0.015));
  }

  @Test
  void leastResponseTime_steersAwayFromSlowEndpoint() {
    LoadBalancer lb = balancer(Strategies.leastResponseTime(), endpoints(3), 1);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      Lease lease = lb.pick();
      String id = lease.endpoint().id();
      counts.merge(id, 1, Integer::sum);
      lease.onSuccess(id.equals("e0") ? 50_000_000L : 5_000_000L);
    }
    assertThat(counts.getOrDefault("e0", 0)).isLessThan(10);
    assertThat(counts.get("e1") + counts.get("e2")).isGreaterThan(2_990);
  }

  @Test
  void leastResponseTime_loadSpillsOverToSlowerEndpointUnderConcurrency() {
    // 10 ms vs 40 ms: with calls held, the fast endpoint stops winning once it has 4x the calls.
    LoadBalancer lb = balancer(Strategies.leastResponseTime(), endpoints(2), 1);
    lb.pick().onSuccess(10_000_000L);
    lb.pick().onSuccess(40_000_000L);
    String fast = lb.stats().endpoints().get(0).latencyEwmaNanos() < 2e7 ? "e0" : "e1";
    for (int i = 0; i < 50; i++) {
      lb.pick();
    }
    Map<String, Integer> held = inFlight(lb);
    assertThat(held.get(fast)).isBetween(39, 41);
  }

  @Test
  void leastResponseTime_unmeasuredEndpoint_probedOneCallAtATime() {
    LoadBalancer lb = balancer(Strategies.leastResponseTime(), endpoints(2), 1);
    Lease first = lb.pick();
    String other = first.endpoint().id().equals("e0") ? "e1" : "e0";
    first.onSuccess(1_000_000L);
    Lease probe = lb.pick();
    assertThat(probe.endpoint().id()).isEqualTo(other);
    // While the probe is out, the unmeasured endpoint is not flooded.
    for (int i = 0; i < 20; i++) {
      assertThat(lb.pick().endpoint().id()).isNotEqualTo(other);
    }
  }

  @Test
  void leastBandwidth_steersAwayFromHeavyTraffic_thenForgetsAfterDecay() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.leastBandwidth(), endpoints(3), 1, ticker);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Lease lease = lb.pick();
      String id = lease.endpoint().id();
      counts.merge(id, 1, Integer::sum);
      // e0 serves 1 MiB responses, the others 1 KiB.
      lease.onSuccess(1_000_000L, id.equals("e0") ? 1 << 20 : 1 << 10);
      ticker.advanceMillis(10);
    }
    assertThat(counts.getOrDefault("e0", 0)).isLessThan(3);
    EndpointStats e0 = lb.stats().endpoints().get(0);
    assertThat(e0.throughputBytesPerSecond()).isGreaterThan(0);

    // Two idle minutes (12 decay windows): e0's 1 MiB has faded below the others' next 1 KiB.
    ticker.advance(java.time.Duration.ofMinutes(2));
    lb.pick().onSuccess(1_000_000L, 1 << 10);
    lb.pick().onSuccess(1_000_000L, 1 << 10);
    assertThat(lb.pick().endpoint().id()).isEqualTo("e0");
  }

  @Test
  void leastBandwidth_backloggedEndpointDoesNotLookIdle() {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(Strategies.leastBandwidth(), endpoints(2), 1, ticker);
    for (int i = 0; i < 2; i++) {
      Lease lease = lb.pick(); // the unmeasured endpoint goes first: both get measured
      lease.onSuccess(1_000_000L, lease.endpoint().id().equals("e0") ? 1024 : 4096);
    }
    // e0 delivered a quarter of e1's bytes. Calls held on it count against it: about 4:1, not 50:0.
    for (int i = 0; i < 50; i++) {
      lb.pick();
    }
    Map<String, Integer> held = inFlight(lb);
    assertThat(held.get("e0")).isBetween(36, 44);
    assertThat(held.get("e1")).isBetween(6, 14);
  }

  @Test
  void leastBandwidth_noBytesReported_sharesByWeight() {
    Map<String, Integer> counts =
        spread(balancer(Strategies.leastBandwidth(), weighted(1, 1, 2), 8), 40_000);
    assertThat(counts.get("e2") / 40_000.0).isCloseTo(0.5, within(0.015));
  }

  static Map<String, Integer> inFlight(LoadBalancer lb) {
    Map<String, Integer> m = new HashMap<>();
    for (EndpointStats s : lb.stats().endpoints()) {
      m.put(s.endpoint().id(), s.inFlight());
    }
    return m;
  }
}
