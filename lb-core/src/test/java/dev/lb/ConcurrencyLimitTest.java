package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Per-endpoint and balancer-wide concurrency limits as picks see them, and waiting for capacity.
 */
class ConcurrencyLimitTest {
  private static final long MS = 1_000_000L;
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  private LoadBalancer.Builder builder(int endpoints) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      list.add(Endpoint.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080));
    }
    return LoadBalancer.builder()
        .name("svc")
        .strategy(Strategies.roundRobin())
        .endpoints(list)
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(1))
        .outlierDetection(OutlierDetection.disabled());
  }

  private static NoEndpointAvailableException.Reason reasonOf(Throwable t) {
    return ((NoEndpointAvailableException) t).reason();
  }

  @Test
  void balancerWideCap_thousandEndpoints_refusesTheCallOverTheCapBeforeAnyEndpoint() {
    LoadBalancer lb = builder(1_000).concurrencyLimit(ConcurrencyLimits.fixed(50)).build();
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      leases.add(lb.pick());
    }
    assertThat(leases.stream().map(l -> l.endpoint().id()).distinct()).hasSize(50);
    assertThatThrownBy(lb::pick)
        .isInstanceOf(NoEndpointAvailableException.class)
        .hasMessage(
            "no endpoint available in balancer 'svc': 1000 endpoints; the balancer-wide"
                + " concurrency limit of 50 calls in flight is reached (50 in flight)")
        .satisfies(
            e ->
                assertThat(reasonOf(e)).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY));
    assertThat(lb.tryPick(PickContext.none())).isNull();
    // choose() takes nothing, so the cap does not apply to it.
    assertThat(lb.choose(PickContext.none())).isNotNull();

    leases.remove(0).onSuccess(MS);
    leases.add(lb.pick());
    leases.remove(0).onFailure(MS, null);
    leases.remove(0).onCancel();
    leases.remove(0).onSuccessUntimed(0);
    leases.remove(0).onFailureUntimed(null);
    assertThat(lb.admission().inFlight()).isEqualTo(46);
    leases.forEach(l -> l.onSuccess(MS));
    assertThat(lb.admission().inFlight()).isZero();
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }

  @Test
  void balancerWideCap_slotIsGivenBackWhenNoEndpointTakesTheCall() {
    LoadBalancer lb =
        builder(2).maxInFlightPerEndpoint(1).concurrencyLimit(ConcurrencyLimits.fixed(10)).build();
    Lease a = lb.pick();
    Lease b = lb.pick();
    assertThatThrownBy(lb::pick)
        .hasMessageContaining("2 at the concurrency limit of 1 calls in flight");
    assertThat(lb.tryPick(PickContext.none())).isNull();
    assertThat(lb.admission().inFlight()).isEqualTo(2);
    a.onSuccess(MS);
    b.onSuccess(MS);
    assertThat(lb.admission().inFlight()).isZero();
  }

  @Test
  void perEndpointLimit_skipsFullEndpoints_andFailsFastWhenAllAreFull() {
    LoadBalancer lb = builder(2).concurrencyLimitPerEndpoint(ConcurrencyLimits.fixed(3)).build();
    for (int i = 0; i < 6; i++) {
      lb.pick();
    }
    assertThatThrownBy(lb::pick)
        .hasMessageEndingWith(
            "every available endpoint refused the call: 2 at the concurrency"
                + " limit of 3 calls in flight")
        .satisfies(
            e ->
                assertThat(reasonOf(e)).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY));
  }

  @Test
  void fixedCapAndPerEndpointLimit_bothApply_theSmallerWins() {
    LoadBalancer lb =
        builder(2)
            .maxInFlightPerEndpoint(2)
            .concurrencyLimitPerEndpoint(ConcurrencyLimits.fixed(5))
            .build();
    for (int i = 0; i < 4; i++) {
      lb.pick();
    }
    assertThat(lb.tryPick(PickContext.none())).isNull();
  }

  @Test
  void adaptivePerEndpointLimit_learnsFromLeaseReports() {
    LoadBalancer lb =
        builder(1)
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.vegas().initialLimit(10).probeSamples(1).build())
            .build();
    ConcurrencyLimit limit = lb.snapshot().states.get(0).concurrencyLimit();
    assertThat(limit).isNotNull();
    assertThat(limit.limit()).isEqualTo(10);
    // Fill the endpoint and report fast calls with no queueing: Vegas grows the limit.
    for (int round = 0; round < 20; round++) {
      List<Lease> leases = new ArrayList<>();
      Lease l;
      while ((l = lb.tryPick(PickContext.none())) != null) {
        leases.add(l);
      }
      ticker.advanceMillis(10);
      leases.forEach(x -> x.onSuccess(10 * MS));
    }
    int grown = limit.limit();
    assertThat(grown).isGreaterThan(10);
    // Failures are drops: the window they end in lowers it (one window: max(10, limit) reports).
    for (int i = 0; i < grown; i++) {
      lb.pick().onFailure(10 * MS, new RuntimeException("timeout"));
    }
    assertThat(limit.limit()).isLessThan(grown);
    // A cancellation teaches nothing.
    int before = limit.limit();
    lb.pick().onCancel();
    assertThat(limit.limit()).isEqualTo(before);
  }

  @Test
  void stats_showTheLimitsInForceNow_andFollowAnAdaptiveLimit() {
    LoadBalancer lb =
        builder(2)
            .maxInFlightPerEndpoint(50)
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.vegas().initialLimit(10).probeSamples(1).build())
            .concurrencyLimit(ConcurrencyLimits.fixed(15))
            .build();
    BalancerStats before = lb.stats();
    assertThat(before.concurrencyLimit()).isEqualTo(15);
    assertThat(before.waiting()).isZero();
    assertThat(before.endpoints()).extracting(EndpointStats::concurrencyLimit).containsOnly(10);
    assertThat(before.toTable()).contains("(limit 15)");

    // A full endpoint's fast calls with no queueing: its adaptive limit grows, and the stats
    // follow it, capped by the fixed 50.
    LoadBalancer one =
        builder(1)
            .maxInFlightPerEndpoint(50)
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.vegas().initialLimit(10).probeSamples(1).build())
            .build();
    ConcurrencyLimit limit = requireNonNullLimit(one.snapshot().states.get(0).concurrencyLimit());
    for (int round = 0; round < 40; round++) {
      List<Lease> leases = new ArrayList<>();
      Lease l;
      while ((l = one.tryPick(PickContext.none())) != null) {
        leases.add(l);
      }
      assertThat(one.stats().endpoints().get(0).concurrencyLimit())
          .isEqualTo(Math.min(50, limit.limit()))
          .isEqualTo(leases.size());
      ticker.advanceMillis(10);
      leases.forEach(x -> x.onSuccess(10 * MS));
    }
    assertThat(limit.limit()).isGreaterThan(10);
    assertThat(one.stats().endpoints().get(0).concurrencyLimit())
        .isEqualTo(Math.min(50, limit.limit()));
  }

  @Test
  void stats_withoutLimits_sayNone_andCountWaiters() {
    LoadBalancer none = builder(1).build();
    assertThat(none.stats().concurrencyLimit()).isEqualTo(Integer.MAX_VALUE);
    assertThat(none.stats().endpoints().get(0).concurrencyLimit()).isEqualTo(Integer.MAX_VALUE);
    assertThat(none.stats().toTable()).doesNotContain("limit");

    LoadBalancer full = builder(2).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    Lease held = full.pick();
    CompletableFuture<Lease> waiting = full.pickAsync(PickContext.none(), Duration.ofSeconds(1));
    assertThat(full.stats().waiting()).isEqualTo(1);
    assertThat(full.stats().toTable()).contains("1 waiting");
    held.onSuccess(MS);
    assertThat(full.stats().waiting()).isZero();
    waiting.join().onSuccess(MS);
  }

  private static ConcurrencyLimit requireNonNullLimit(@Nullable ConcurrencyLimit l) {
    assertThat(l).isNotNull();
    return java.util.Objects.requireNonNull(l);
  }

  @Test
  void adaptivePerEndpointLimit_atCapacity_messageSaysAdaptive() {
    LoadBalancer lb =
        builder(1)
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.gradient().initialLimit(5).minLimit(5).maxLimit(5).build())
            .build();
    for (int i = 0; i < 5; i++) {
      lb.pick();
    }
    assertThatThrownBy(lb::pick)
        .hasMessageEndingWith("1 at their adaptive concurrency limit of 5 calls in flight");
  }

  @Test
  void pickAsync_atCapacity_isServedByTheReleaseThatFreesCapacity_inArrivalOrder()
      throws Exception {
    LoadBalancer lb = builder(3).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    Lease first = lb.pick();
    CompletableFuture<Lease> second = lb.pickAsync(PickContext.none(), Duration.ofMillis(100));
    CompletableFuture<Lease> third = lb.pickAsync(PickContext.none(), Duration.ofMillis(100));
    assertThat(second).isNotDone();
    assertThat(lb.admission().waiting()).isEqualTo(2);

    first.onSuccess(MS);
    assertThat(second).isCompleted();
    assertThat(third).isNotDone();
    second.get().onSuccess(MS);
    assertThat(third).isCompleted();
    assertThat(lb.admission().waiting()).isZero();

    // The timers of waiters that were served do nothing when they fire.
    scheduler.advance(Duration.ofMillis(100));
    assertThat(third.get().isReported()).isFalse();
    third.get().onSuccess(MS);
    assertThat(lb.admission().inFlight()).isZero();
  }

  @Test
  void pickAsync_nothingFreedInTime_failsAtTheDeadlineWithTheReason() {
    LoadBalancer lb = builder(2).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    Lease held = lb.pick();
    CompletableFuture<Lease> waiting = lb.pickAsync(PickContext.none(), Duration.ofMillis(100));
    scheduler.advance(Duration.ofMillis(99));
    assertThat(waiting).isNotDone();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(waiting).isCompletedExceptionally();
    assertThatThrownBy(waiting::get)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .satisfies(
            e ->
                assertThat(reasonOf(e)).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY));
    assertThat(lb.admission().waiting()).isZero();
    held.onSuccess(MS); // nobody waits any more: nothing is picked for the timed-out waiter
    assertThat(lb.admission().inFlight()).isZero();
  }

  @Test
  void pickAsync_otherReasons_failAtOnce() {
    LoadBalancer lb = builder(0).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    CompletableFuture<Lease> f = lb.pickAsync(PickContext.none(), Duration.ofSeconds(1));
    assertThat(f).isCompletedExceptionally();
    assertThatThrownBy(f::get)
        .cause()
        .satisfies(
            e ->
                assertThat(reasonOf(e))
                    .isEqualTo(NoEndpointAvailableException.Reason.NO_ENDPOINTS));
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void close_failsEveryWaiterAtOnce() {
    LoadBalancer lb = builder(1).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    Lease held = lb.pick();
    CompletableFuture<Lease> waiting = lb.pickAsync(PickContext.none(), Duration.ofMinutes(1));
    lb.close();
    assertThat(waiting).isCompletedExceptionally();
    assertThatThrownBy(waiting::get).cause().isInstanceOf(IllegalStateException.class);
    assertThat(lb.admission().waiting()).isZero();
    assertThat(scheduler.pending()).isZero();
    held.onSuccess(MS); // a lease taken before close can still be reported
    assertThat(lb.admission().inFlight()).isZero();
  }

  @Test
  void pickAsync_cancelledByTheCaller_leaksNoSlot() {
    LoadBalancer lb = builder(1).concurrencyLimit(ConcurrencyLimits.fixed(1)).build();
    Lease held = lb.pick();
    CompletableFuture<Lease> waiting = lb.pickAsync(PickContext.none(), Duration.ofSeconds(1));
    waiting.cancel(false);
    held.onSuccess(MS);
    assertThat(lb.admission().waiting()).isZero();
    assertThat(lb.admission().inFlight()).isZero();
    assertThat(lb.pick()).isNotNull();
  }

  @Test
  void blockingPick_parksUntilAReleaseOrTheSchedulersDeadline() {
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          LoadBalancer lb = builder(1).maxInFlightPerEndpoint(1).build();
          Lease held = lb.pick();
          AtomicReference<Object> outcome = new AtomicReference<>();
          CountDownLatch done = new CountDownLatch(1);
          Thread t =
              new Thread(
                  () -> {
                    try {
                      outcome.set(lb.pick(PickContext.none(), Duration.ofSeconds(5)));
                    } catch (InterruptedException | RuntimeException e) {
                      outcome.set(e);
                    }
                    done.countDown();
                  });
          t.start();
          while (lb.admission().waiting() == 0) {
            Thread.onSpinWait(); // until the thread queued: no timing assumed
          }
          held.onSuccess(MS);
          done.await();
          assertThat(outcome.get()).isInstanceOf(Lease.class);
          ((Lease) outcome.get()).onSuccess(MS);

          Lease again = lb.pick();
          CountDownLatch timedOut = new CountDownLatch(1);
          Thread u =
              new Thread(
                  () -> {
                    try {
                      outcome.set(lb.pick(PickContext.none(), Duration.ofSeconds(5)));
                    } catch (InterruptedException | RuntimeException e) {
                      outcome.set(e);
                    }
                    timedOut.countDown();
                  });
          u.start();
          while (lb.admission().waiting() == 0) {
            Thread.onSpinWait();
          }
          scheduler.advance(Duration.ofSeconds(5)); // fake time: the deadline passes at once
          timedOut.await();
          assertThat(outcome.get()).isInstanceOf(NoEndpointAvailableException.class);
          again.onSuccess(MS);
        });
  }

  @Test
  void blockingPick_interrupted_holdsNoLease() throws Exception {
    LoadBalancer lb = builder(1).maxInFlightPerEndpoint(1).build();
    Lease held = lb.pick();
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                outcome.set(lb.pick(PickContext.none(), Duration.ofSeconds(5)));
              } catch (InterruptedException | RuntimeException e) {
                outcome.set(e);
              }
            });
    t.start();
    while (lb.admission().waiting() == 0) {
      Thread.onSpinWait();
    }
    t.interrupt();
    t.join(10_000);
    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    held.onSuccess(MS);
    assertThat(lb.stats().endpoints().get(0).inFlight()).isZero();
  }

  @Test
  void twoThreads_acquireAndRelease_countsStayExact_andTheCapIsNeverExceeded() throws Exception {
    LoadBalancer lb =
        LoadBalancer.builder()
            .endpoints(endpoints(4))
            .outlierDetection(OutlierDetection.disabled())
            .concurrencyLimit(ConcurrencyLimits.fixed(6))
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.gradient().initialLimit(2).minLimit(1).maxLimit(3).build())
            .build();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    AtomicInteger perEndpointOver = new AtomicInteger();
    Runnable work =
        () -> {
          SplittableRandom r = new SplittableRandom(Thread.currentThread().getId());
          List<Lease> held = new ArrayList<>();
          for (int i = 0; i < 200_000; i++) {
            if (held.size() < 3 && r.nextBoolean()) {
              Lease l = lb.tryPick(PickContext.none());
              if (l != null) {
                maxSeen.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                held.add(l);
              }
            } else if (!held.isEmpty()) {
              Lease l = held.remove(r.nextInt(held.size()));
              inFlight.decrementAndGet();
              switch (r.nextInt(3)) {
                case 0 -> l.onSuccess(r.nextLong(1, 10 * MS));
                case 1 -> l.onFailure(r.nextLong(1, 10 * MS), null);
                default -> l.onCancel();
              }
            }
          }
          held.forEach(
              l -> {
                inFlight.decrementAndGet();
                l.onCancel();
              });
        };
    Thread a = new Thread(work);
    Thread b = new Thread(work);
    Thread watcher =
        new Thread(
            () -> {
              while (a.isAlive() || b.isAlive()) {
                for (EndpointState s : lb.snapshot().states) {
                  if (s.inFlight() > 3) {
                    perEndpointOver.incrementAndGet();
                  }
                }
              }
            });
    a.start();
    b.start();
    watcher.start();
    a.join();
    b.join();
    watcher.join();
    // The balancer-wide cap is fixed: exact. The per-endpoint limit adapts, but never above 3.
    assertThat(maxSeen.get()).isLessThanOrEqualTo(6);
    assertThat(perEndpointOver.get()).isZero();
    assertThat(lb.admission().inFlight()).isZero();
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }
}
