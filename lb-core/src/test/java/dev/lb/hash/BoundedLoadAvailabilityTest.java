package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.EndpointStats;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.strategy.Strategy;
import dev.lb.testing.Fixtures;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * Bounded loads hold their bound whatever share of the members is unavailable: capacity is computed
 * over the endpoints that can take calls, through real balancers (public API, fake time).
 */
class BoundedLoadAvailabilityTest {
  private static final double EPSILON = 0.25;

  /** {@code ceil((1 + epsilon) x in flight / available endpoints)}, equal weights. */
  private static long bound(long inFlight, int available) {
    return (long) Math.ceil((1 + EPSILON) * inFlight / available);
  }

  private static LoadBalancer balancer(int n, int down, long seed, Set<String> downIds) {
    Strategy strategy = HashStrategies.builder().epsilon(EPSILON).boundedLoadHash();
    LoadBalancer lb = Fixtures.balancer(strategy, Fixtures.endpoints(n), seed);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    for (int i = 0; i < down; i++) {
      String id = "e" + order.get(i);
      lb.markDown(id, "test");
      downIds.add(id);
    }
    return lb;
  }

  @Test
  void sequential_zeroToAllButOneDown_noAvailableEndpointEverExceedsTheBound() {
    SplittableRandom seeds = new SplittableRandom(25);
    for (int n : new int[] {2, 5, 10, 17}) {
      for (int down = 0; down < n; down++) {
        long seed = seeds.nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        Set<String> downIds = new HashSet<>();
        LoadBalancer lb = balancer(n, down, seed, downIds);
        int available = n - down;
        List<Lease> open = new ArrayList<>();
        for (int step = 0; step < 1500; step++) {
          if (random.nextInt(3) == 0 && !open.isEmpty()) {
            open.remove(random.nextInt(open.size())).onSuccess(1);
          }
          // Most calls share two hot keys.
          long key = random.nextDouble() < 0.8 ? random.nextInt(2) : random.nextLong();
          Lease lease = lb.pick(PickContext.ofKey(key));
          open.add(lease);
          assertThat(downIds).doesNotContain(lease.endpoint().id());
          long total = 0;
          long chosen = 0;
          for (EndpointStats e : lb.stats().endpoints()) {
            total += e.inFlight();
            if (e.endpoint().id().equals(lease.endpoint().id())) {
              chosen = e.inFlight();
            }
          }
          assertThat(chosen)
              .as("n %s, %s down, seed %s, step %s: %s of %s", n, down, seed, step, chosen, total)
              .isLessThanOrEqualTo(bound(total, available));
        }
      }
    }
  }

  /** The case: 4 of 10 down, 600 calls in flight, none above ceil(1.25 x 100) = 125. */
  @Test
  void fourOfTenDown_600InFlight_noneAboveTheBound() {
    Set<String> downIds = new HashSet<>();
    LoadBalancer lb = balancer(10, 4, 3, downIds);
    for (int i = 0; i < 600; i++) {
      lb.pick(PickContext.ofKey(i % 5 == 0 ? (long) i : 42L));
    }
    assertThat(lb.stats().endpoints())
        .allSatisfy(e -> assertThat(e.inFlight()).isLessThanOrEqualTo(125));
  }

  /**
   * Threads pick the same hot key and hold their calls, then release them all: when all picks of a
   * round are in, no endpoint is above the bound by more than the number of picking threads (each
   * may have raced past one counter).
   */
  @Test
  void concurrent_picksAndReleases_boundHeldWithinTheRacingPicks() throws Exception {
    int threads = 4;
    int perThread = 150;
    for (int down : new int[] {0, 3, 6, 9}) {
      Set<String> downIds = new HashSet<>();
      LoadBalancer lb = balancer(10, down, 40 + down, downIds);
      int available = 10 - down;
      CyclicBarrier barrier = new CyclicBarrier(threads + 1);
      List<Thread> workers = new ArrayList<>();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread worker =
            new Thread(
                () -> {
                  try {
                    SplittableRandom random = new SplittableRandom(id);
                    for (int round = 0; round < 5; round++) {
                      List<Lease> held = new ArrayList<>();
                      for (int i = 0; i < perThread; i++) {
                        long key = random.nextInt(4) == 0 ? random.nextLong() : 7L;
                        held.add(lb.pick(PickContext.ofKey(key)));
                      }
                      barrier.await(); // all picks of the round are in
                      barrier.await(); // the main thread has checked
                      held.forEach(l -> l.onSuccess(1));
                      barrier.await(); // all released
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                });
        worker.start();
        workers.add(worker);
      }
      for (int round = 0; round < 5; round++) {
        barrier.await();
        long total = (long) threads * perThread;
        for (EndpointStats e : lb.stats().endpoints()) {
          if (downIds.contains(e.endpoint().id())) {
            assertThat(e.inFlight()).isZero();
          } else {
            assertThat((long) e.inFlight())
                .as("%s down, round %s, %s", down, round, e.endpoint().id())
                .isLessThanOrEqualTo(bound(total, available) + threads);
          }
        }
        barrier.await();
        barrier.await();
      }
      for (Thread worker : workers) {
        worker.join();
      }
      assertThat(failures).isEmpty();
    }
  }
}
