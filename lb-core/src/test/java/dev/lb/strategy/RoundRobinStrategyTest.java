package dev.lb.strategy;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.Fixtures.sequence;
import static dev.lb.testing.Fixtures.spread;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class RoundRobinStrategyTest {
  @Test
  void singleThread_visitsEndpointsInCyclicOrder() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(4), 7);
    List<String> ids = sequence(lb, 40);
    int start = Integer.parseInt(ids.get(0).substring(1));
    for (int i = 0; i < ids.size(); i++) {
      assertThat(ids.get(i)).isEqualTo("e" + (start + i) % 4);
    }
  }

  @Test
  void singleThread_exactlyEqualShares() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(5), 3);
    assertThat(spread(lb, 5_000).values()).containsOnly(1_000);
  }

  @Test
  void startPosition_isRandomized_soRebuildsDoNotFavourTheFirstEndpoint() {
    Set<String> firsts = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      firsts.add(sequence(balancer(Strategies.roundRobin(), endpoints(4), seed), 1).get(0));
    }
    assertThat(firsts).containsExactlyInAnyOrder("e0", "e1", "e2", "e3");
  }

  @Test
  void ignoresWeights() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), dev.lb.testing.Fixtures.weighted(1, 9), 1);
    assertThat(spread(lb, 1_000).values()).containsOnly(500);
  }

  @Test
  void fourThreads_sharesStayEven() throws Exception {
    LoadBalancer lb =
        LoadBalancer.builder().strategy(Strategies.roundRobin()).endpoints(endpoints(3)).build();
    Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures =
          List.of(
              pool.submit(() -> pickMany(lb, counts)),
              pool.submit(() -> pickMany(lb, counts)),
              pool.submit(() -> pickMany(lb, counts)),
              pool.submit(() -> pickMany(lb, counts)));
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Each stripe cycles on its own: shares may differ by at most a few picks per thread.
    for (LongAdder c : counts.values()) {
      assertThat(c.sum()).isBetween(40_000L - 100, 40_000L + 100);
    }
    assertThat(lb.stats().inFlight()).isZero();
  }

  private static void pickMany(LoadBalancer lb, Map<String, LongAdder> counts) {
    for (int i = 0; i < 30_000; i++) {
      Lease lease = lb.pick();
      counts.computeIfAbsent(lease.endpoint().id(), k -> new LongAdder()).increment();
      lease.onSuccess(1);
    }
  }
}
