package dev.lb.strategy;

import static dev.lb.testing.Fixtures.balancer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The indexed least-connections pickers inside a real balancer, whose endpoint states tell the
 * index of every change: each pick is checked against the calls in flight the test counts itself,
 * through endpoints going down and coming back and membership changes (each a new picker, built on
 * the update path over the same endpoint states).
 */
class LeastLoadedBalancerTest {
  @Test
  void weightedLeastConnections_1000Endpoints_everyPickIsALeastLoadedOne() {
    SplittableRandom random = new SplittableRandom(21);
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      endpoints.add(
          Endpoint.builder("10.0." + (i / 250) + "." + (i % 250), 8080)
              .id("e" + i)
              .weight(1 + random.nextInt(7))
              .build());
    }
    LoadBalancer lb = balancer(Strategies.weightedLeastConnections(), endpoints, 21);
    Map<String, Integer> weights = new HashMap<>();
    endpoints.forEach(e -> weights.put(e.id(), e.weight()));
    Map<String, Integer> inFlight = new HashMap<>();
    List<Lease> held = new ArrayList<>();
    List<String> down = new ArrayList<>();
    for (int step = 0; step < 6_000; step++) {
      int op = random.nextInt(100);
      if (op < 50) {
        Lease lease = lb.pick();
        String id = lease.endpoint().id();
        assertThat(down).as("step %d", step).doesNotContain(id);
        double score = inFlight.getOrDefault(id, 0) / (double) weights.get(id);
        double min = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, Integer> w : weights.entrySet()) {
          if (!down.contains(w.getKey())) {
            min = Math.min(min, inFlight.getOrDefault(w.getKey(), 0) / (double) w.getValue());
          }
        }
        assertThat(score).as("step %d: %s", step, id).isEqualTo(min);
        inFlight.merge(id, 1, Integer::sum);
        held.add(lease);
      } else if (op < 95 && !held.isEmpty()) {
        Lease lease = held.remove(random.nextInt(held.size()));
        lease.onSuccess(1_000_000L + random.nextInt(1_000_000));
        inFlight.merge(lease.endpoint().id(), -1, Integer::sum);
      } else if (op < 97) {
        // An endpoint leaves rotation: the picker is rebuilt without it.
        String id = "e" + random.nextInt(1000);
        if (!down.contains(id) && lb.disable(id)) {
          down.add(id);
        }
      } else if (op < 99 && !down.isEmpty()) {
        String id = down.remove(random.nextInt(down.size()));
        lb.enable(id);
      } else {
        // Membership change: one more endpoint, idle, so it is the least loaded.
        String id = "x" + step;
        lb.addEndpoint(Endpoint.builder("10.9.0." + (step % 250), 8080).id(id).weight(3).build());
        weights.put(id, 3);
      }
    }
  }

  @Test
  void leastConnections_idleBalancer_sharesEvenly_overManyEndpoints() {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      endpoints.add(Endpoint.builder("10.0.0." + i, 8080).id("e" + i).build());
    }
    LoadBalancer lb = balancer(Strategies.leastConnections(), endpoints, 4);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 64_000; i++) {
      Lease lease = lb.pick();
      counts.merge(lease.endpoint().id(), 1, Integer::sum);
      lease.onSuccess(1_000_000L);
    }
    assertThat(counts).hasSize(64);
    assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(800, 1200));
  }
}
