package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.strategy.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Several threads pick and report while another one changes membership. Every strategy must hold
 * the balancer's promises: no exception, no pick of an endpoint whose removal completed before the
 * pick began, and counters that add up exactly when the dust settles.
 */
class ConcurrencyStressTest {
  private static final int PICKERS = 4;
  private static final int PICKS_PER_THREAD = 40_000;

  static List<String> strategies() {
    return new ArrayList<>(StrategyRegistry.names());
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void picksRaceMembershipChanges_countersExact_noStalePicks(String strategyName) throws Exception {
    Strategy strategy = StrategyRegistry.byName(strategyName);
    LoadBalancer lb =
        LoadBalancer.builder().name("stress").strategy(strategy).endpoints(initial()).build();

    // Removal order: id -> index; removalsDone is published after the index is recorded.
    Map<String, Integer> removalIndex = new ConcurrentHashMap<>();
    AtomicInteger removalsDone = new AtomicInteger();
    Map<String, LongAdder> picksById = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch started = new CountDownLatch(PICKERS + 1);

    ExecutorService pool = Executors.newFixedThreadPool(PICKERS + 1);
    try {
      List<Future<?>> pickers = new ArrayList<>();
      for (int t = 0; t < PICKERS; t++) {
        pickers.add(
            pool.submit(
                () -> {
                  started.countDown();
                  awaitQuietly(started);
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  for (int i = 0; i < PICKS_PER_THREAD; i++) {
                    int removedBefore = removalsDone.get();
                    Lease lease =
                        lb.tryPick(
                            random.nextInt(4) == 0
                                ? PickContext.ofKey(random.nextLong())
                                : PickContext.none());
                    if (lease == null) {
                      continue;
                    }
                    String id = lease.endpoint().id();
                    Integer removedAt = removalIndex.get(id);
                    if (removedAt != null && removedAt < removedBefore) {
                      violations.add(id + " picked after its removal #" + removedAt + " completed");
                    }
                    picksById.computeIfAbsent(id, k -> new LongAdder()).increment();
                    switch (random.nextInt(3)) {
                      case 0 ->
                          lease.onSuccess(random.nextLong(1_000, 5_000_000), random.nextInt(4096));
                      case 1 -> lease.onFailure(random.nextLong(1_000, 5_000_000), null);
                      default -> lease.onCancel();
                    }
                    // Racing second reports must be ignored.
                    lease.onSuccess(1);
                  }
                }));
      }
      Future<?> writer =
          pool.submit(
              () -> {
                started.countDown();
                awaitQuietly(started);
                int next = 100;
                int removals = 0;
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                  List<Endpoint> current = lb.endpoints();
                  int op = random.nextInt(4);
                  if (op == 0 && current.size() > 2) {
                    String id = current.get(random.nextInt(current.size())).id();
                    lb.removeEndpoint(id);
                    removalIndex.put(id, removals);
                    removalsDone.set(++removals);
                  } else if (op == 1) {
                    lb.addEndpoint(endpoint(next++, 1 + random.nextInt(5)));
                  } else if (op == 2 && !current.isEmpty()) {
                    lb.reweight(current.get(0).id(), 1 + random.nextInt(9));
                  } else {
                    // Full replacement that keeps some ids and adds a new one.
                    List<Endpoint> set = new ArrayList<>(current.subList(0, current.size() / 2));
                    set.add(endpoint(next++, 2));
                    lb.setEndpoints(set);
                    for (Endpoint e : current) {
                      if (!set.contains(e)) {
                        removalIndex.put(e.id(), removals);
                      }
                    }
                    removalsDone.set(++removals);
                  }
                }
              });
      for (Future<?> f : pickers) {
        f.get(60, TimeUnit.SECONDS);
      }
      stop.set(true);
      writer.get(10, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    assertThat(violations).isEmpty();
    BalancerStats stats = lb.stats();
    assertThat(stats.inFlight()).isZero();
    for (EndpointStats s : stats.endpoints()) {
      LongAdder counted = picksById.get(s.endpoint().id());
      assertThat(s.picks())
          .as("picks of %s", s.endpoint().id())
          .isEqualTo(counted == null ? 0 : counted.sum());
      assertThat(s.successes() + s.failures() + s.cancellations()).isEqualTo(s.picks());
    }
  }

  private static List<Endpoint> initial() {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      list.add(endpoint(i, 1 + i % 3));
    }
    return list;
  }

  private static Endpoint endpoint(int i, int weight) {
    return Endpoint.builder("10.1." + (i / 250) + "." + (i % 250), 8080)
        .id("n" + i)
        .weight(weight)
        .build();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
