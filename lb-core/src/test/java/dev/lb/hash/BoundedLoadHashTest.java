package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.testing.Fixtures;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BoundedLoadHashTest {

  /** {@code ceil((1 + epsilon) x average)}, the average counting every call in flight. */
  private static long bound(double epsilon, long inFlight, int endpoints) {
    return (long) Math.ceil((1 + epsilon) * inFlight / endpoints);
  }

  @Test
  void pick_property_skewedKeys_noEndpointEverExceedsItsBound() {
    SplittableRandom seeds = new SplittableRandom(5);
    for (double epsilon : new double[] {0.25, 0.1, 1.0}) {
      for (int trial = 0; trial < 4; trial++) {
        long seed = seeds.nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int n = 5 + random.nextInt(30);
        Strategy strategy = HashStrategies.builder().epsilon(epsilon).boundedLoadHash();
        LoadBalancer lb = Fixtures.balancer(strategy, Fixtures.endpoints(n), seed);
        Deque<Lease> open = new ArrayDeque<>();
        List<Lease> openList = new ArrayList<>();
        for (int step = 0; step < 2000; step++) {
          // 70% of calls share 3 hot keys; calls complete in random order, so load stays skewed.
          long key = random.nextDouble() < 0.7 ? random.nextInt(3) : random.nextLong();
          if (random.nextInt(3) == 0 && !openList.isEmpty()) {
            openList.remove(random.nextInt(openList.size())).onSuccess(1);
          }
          Lease lease = lb.pick(PickContext.ofKey(key));
          openList.add(lease);
          long total = 0;
          long chosen = 0;
          for (EndpointStats e : lb.stats().endpoints()) {
            total += e.inFlight();
            if (e.endpoint().id().equals(lease.endpoint().id())) {
              chosen = e.inFlight();
            }
          }
          assertThat(chosen)
              .as(
                  "seed %s epsilon %s step %s: %s in flight of %s",
                  seed, epsilon, step, chosen, total)
              .isLessThanOrEqualTo(bound(epsilon, total, n));
        }
        // Without completions, the bound only grows: then no endpoint is ever above it.
        for (Lease lease : openList) {
          lease.onSuccess(1);
        }
        for (int step = 0; step < 2000; step++) {
          long key = random.nextDouble() < 0.9 ? 7 : random.nextLong();
          open.add(lb.pick(PickContext.ofKey(key)));
          long total = open.size();
          for (EndpointStats e : lb.stats().endpoints()) {
            assertThat((long) e.inFlight())
                .as(
                    "seed %s epsilon %s step %s endpoint %s",
                    seed, epsilon, step, e.endpoint().id())
                .isLessThanOrEqualTo(bound(epsilon, total, n));
          }
        }
      }
    }
  }

  @Test
  void pick_idleEndpoints_sameAsRingHash() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(40);
    Picker bounded = HashStrategiesTest.picker(HashStrategies.boundedLoadHash(), endpoints);
    Picker ring = HashStrategiesTest.picker(HashStrategies.ringHash(), endpoints);
    for (long key = 0; key < 2000; key++) {
      PickContext context = PickContext.ofKey(key);
      assertThat(bounded.pick(context)).isSameAs(ring.pick(context));
    }
  }

  @Test
  void pick_keyOwnerFull_walksToNextDistinctEndpointBelowCapacity_deterministically() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(10);
    Picker bounded = HashStrategiesTest.picker(HashStrategies.boundedLoadHash(), endpoints);
    Picker ring = HashStrategiesTest.picker(HashStrategies.ringHash(), endpoints);
    PickContext key = PickContext.ofKey("hot");
    FakeEndpoint owner = (FakeEndpoint) ring.pick(key, 0);
    FakeEndpoint second = (FakeEndpoint) ring.pick(key, 1);
    // 10 in flight, all on the owner: capacity ceil(1.25 x 11 / 10) = 2.
    owner.inFlight(10);
    assertThat(bounded.pick(key)).isSameAs(second);
    assertThat(bounded.pick(key, 1)).isSameAs(ring.pick(key, 2));
    // Attempts cover everyone: below-capacity ones in ring order, then the full owner last.
    assertThat(bounded.pick(key, 9)).isSameAs(owner);
    second.inFlight(3);
    // 13 in flight: capacity 2; the third on the ring takes it.
    assertThat(bounded.pick(key)).isSameAs(ring.pick(key, 2));
  }

  @Test
  void pick_weighted_capacityFollowsWeight() {
    List<LiveEndpoint> endpoints = FakeEndpoint.weighted(1, 3);
    Picker bounded = HashStrategiesTest.picker(HashStrategies.boundedLoadHash(), endpoints);
    FakeEndpoint light = (FakeEndpoint) endpoints.get(0);
    FakeEndpoint heavy = (FakeEndpoint) endpoints.get(1);
    // 8 in flight, the next is the 9th: capacities ceil(1.25 x 9 x 1/4) = 3 and ceil(1.25 x 9 x
    // 3/4) = 9.
    heavy.inFlight(8);
    long toLight = 0;
    for (long key = 0; key < 200; key++) {
      if (bounded.pick(PickContext.ofKey(key)) == light) {
        toLight++;
      }
    }
    assertThat(toLight).isLessThan(100); // the heavy one, at 14 of 15, still takes its own keys
    // 15 in flight, 16 with the next: capacity ceil(1.25 x 16 x 3/4) = 15, so it is full.
    heavy.inFlight(15);
    for (long key = 0; key < 200; key++) {
      assertThat(bounded.pick(PickContext.ofKey(key))).isSameAs(light);
    }
  }

  @Test
  void balancer_endToEnd_hotKeyOverflowsOnlyPastTheBound() {
    LoadBalancer lb = Fixtures.balancer(HashStrategies.boundedLoadHash(), Fixtures.endpoints(4), 3);
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      leases.add(lb.pick(PickContext.ofKey("hot")));
    }
    // 40 calls over 4 endpoints: none above ceil(1.25 x 10) = 13.
    assertThat(lb.stats().endpoints())
        .allSatisfy(e -> assertThat(e.inFlight()).isLessThanOrEqualTo(13));
    String owner = leases.get(0).endpoint().id();
    assertThat(lb.stats().endpoints().stream().filter(e -> e.endpoint().id().equals(owner)))
        .singleElement()
        .satisfies(e -> assertThat(e.inFlight()).isEqualTo(13));
    leases.forEach(l -> l.onSuccess(1));
    Endpoint first = lb.pick(PickContext.ofKey("hot")).endpoint();
    assertThat(first.id()).isEqualTo(owner);
  }
}
