package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.health.OutlierDetection;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Health changes (mark down/up, drain, enable, disable, removal and re-adding, ejections) race with
 * picks and reports on other threads: no exception, and every counter exact at the end.
 */
class HealthConcurrencyTest {
  @Test
  @Timeout(60)
  void healthChangesRacingWithPicksAndLeases_keepCountersExact() throws Exception {
    HealthFixture f = new HealthFixture();
    List<Endpoint> eps = endpoints(6);
    LoadBalancer lb =
        f.builder(eps)
            .random(new java.util.Random(3)) // thread-safe
            .outlierDetection(
                OutlierDetection.builder().consecutiveFailures(3).maxEjectionPercent(50).build())
            .maxInFlightPerEndpoint(50)
            .build();
    Map<String, LongAdder> picked = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch started = new CountDownLatch(threads);
    List<Future<Long>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long seed = t;
      workers.add(
          pool.submit(
              () -> {
                SplittableRandom r = new SplittableRandom(seed);
                started.countDown();
                long calls = 0;
                List<Lease> open = new ArrayList<>();
                while (!stop.get() || !open.isEmpty()) {
                  if (!stop.get()) {
                    Lease lease = lb.tryPick(PickContext.none());
                    if (lease != null) {
                      picked
                          .computeIfAbsent(lease.endpoint().id(), k -> new LongAdder())
                          .increment();
                      open.add(lease);
                      calls++;
                    }
                  }
                  if (!open.isEmpty() && (stop.get() || r.nextInt(3) == 0)) {
                    Lease lease = open.remove(r.nextInt(open.size()));
                    switch (r.nextInt(3)) {
                      case 0 -> lease.onSuccess(1_000);
                      case 1 -> lease.onFailure(1_000, null);
                      default -> lease.onCancel();
                    }
                  }
                }
                return calls;
              }));
    }
    started.await();
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < 3_000; i++) {
      String id = "e" + r.nextInt(6);
      switch (r.nextInt(8)) {
        case 0 -> lb.markDown(id, "test");
        case 1 -> lb.markUp(id);
        case 2 -> lb.drain(id, Duration.ofSeconds(1));
        case 3 -> lb.enable(id);
        case 4 -> lb.disable(id);
        case 5 -> {
          lb.removeEndpoint("e5"); // only e5 churns: a removed endpoint's history may go
          lb.setEndpoints(eps);
        }
        case 6 -> f.scheduler.runDue(); // ejections and drain completions signalled by leases
        default -> f.scheduler.advance(Duration.ofMillis(100));
      }
    }
    stop.set(true);
    long total = 0;
    for (Future<Long> w : workers) {
      total += w.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    f.scheduler.runDue();

    BalancerStats stats = lb.stats();
    assertThat(stats.endpoints()).hasSize(6);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.picks()).isLessThanOrEqualTo(total);
    long e5Picks = 0;
    for (EndpointStats e : stats.endpoints()) {
      LongAdder n = picked.get(e.endpoint().id());
      long expected = n == null ? 0 : n.sum();
      if (e.endpoint().id().equals("e5")) {
        assertThat(e.picks()).isLessThanOrEqualTo(expected);
        e5Picks = expected;
      } else {
        assertThat(e.picks()).isEqualTo(expected);
      }
      assertThat(e.inFlight()).isZero();
    }
    assertThat(stats.picks()).isGreaterThanOrEqualTo(total - e5Picks);
    assertThat(total).isPositive();
  }
}
