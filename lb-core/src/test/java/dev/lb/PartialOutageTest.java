package dev.lb;

import static dev.lb.testing.HealthFixture.fail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.hash.HashStrategies;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.Fixtures;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The health and routing rules in the partial outages they exist for. */
class PartialOutageTest {
  private final HealthFixture f = new HealthFixture();

  private static List<Endpoint> levels(int p0, int p1) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < p0; i++) {
      list.add(Endpoint.builder("10.0.0." + i, 80).id("p0-" + i).priority(0).build());
    }
    for (int i = 0; i < p1; i++) {
      list.add(Endpoint.builder("10.0.1." + i, 80).id("p1-" + i).priority(1).build());
    }
    return list;
  }

  private LoadBalancer checked(List<Endpoint> endpoints, FakeHealthChecker checker) {
    return f.builder(endpoints)
        .healthCheck(
            HealthCheckConfig.builder(checker)
                .interval(Duration.ofSeconds(5))
                .timeout(Duration.ofSeconds(1))
                .jitter(0)
                .unhealthyThreshold(1)
                .build())
        .build();
  }

  @Test
  void priorityZeroDown_oneOfFivePriorityOneDown_everyCallGoesToPriorityOne_noPanic() {
    FakeHealthChecker checker = new FakeHealthChecker();
    LoadBalancer lb = checked(levels(3, 5), checker);
    checker.fail("p0-0").fail("p0-1").fail("p0-2").fail("p1-4");
    f.scheduler.advance(Duration.ofSeconds(6));
    assertThat(lb.health("p0-0")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(lb.health("p1-4")).isEqualTo(HealthStatus.UNHEALTHY);

    Map<String, Integer> spread = HealthFixture.spread(lb, 4_000);
    assertThat(spread).containsEntry("p0-0", 0).containsEntry("p0-1", 0).containsEntry("p0-2", 0);
    assertThat(spread).containsEntry("p1-4", 0);
    assertThat(spread.get("p1-0") + spread.get("p1-1") + spread.get("p1-2") + spread.get("p1-3"))
        .isEqualTo(4_000);
    assertThat(lb.stats().panic()).isFalse();
    assertThat(f.events.events()).noneMatch(e -> e.startsWith("panic"));
  }

  @Test
  void totalAvailabilityShort_onlyTheLevelBelowThePanicThresholdPanics() {
    // P0: 1 of 10 healthy (10% -> 14% available) panics; P1: 3 of 5 (60% -> 84%) does not.
    // Total availability 98% < 100%: shares 14/98 and 84/98.
    FakeHealthChecker checker = new FakeHealthChecker();
    LoadBalancer lb = checked(levels(10, 5), checker);
    for (int i = 0; i < 9; i++) {
      checker.fail("p0-" + i);
    }
    checker.fail("p1-0").fail("p1-1");
    f.scheduler.advance(Duration.ofSeconds(6));
    Map<String, Integer> spread = HealthFixture.spread(lb, 20_000);
    int toP0 = 0;
    for (int i = 0; i < 10; i++) {
      toP0 += spread.get("p0-" + i);
      assertThat(spread.get("p0-" + i)).as("P0 in panic: all its endpoints").isPositive();
    }
    assertThat(toP0).isBetween(2_500, 3_300); // 14.3% of 20,000 = 2,857
    assertThat(spread).containsEntry("p1-0", 0).containsEntry("p1-1", 0); // P1 is not in panic
    assertThat(lb.stats().panic()).isTrue();
  }

  @Test
  void ejectionRefusedByTheCap_resetsTheStreak_soTheNextFullStreakEjects() {
    OutlierDetection od =
        OutlierDetection.builder()
            .consecutiveFailures(5)
            .successRate(false)
            .baseEjectionTime(Duration.ofSeconds(30))
            .maxEjectionPercent(25)
            .build();
    LoadBalancer lb = f.builder(Fixtures.endpoints(4)).outlierDetection(od).build();
    fail(lb, "e0", 5);
    f.scheduler.runDue();
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.EJECTED);
    fail(lb, "e1", 5); // refused: 1 of 4 is the cap
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);

    f.scheduler.advance(Duration.ofSeconds(31)); // e0 back: room for one ejection
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.HEALTHY);
    fail(lb, "e1", 4);
    f.scheduler.runDue();
    assertThat(lb.health("e1"))
        .as("a streak of 4 after the refusal")
        .isEqualTo(HealthStatus.HEALTHY);
    fail(lb, "e1", 1);
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);
  }

  @Test
  void failuresOfAnEjectedEndpoint_doNotBuildAStreakThatOutlivesTheEjection() {
    OutlierDetection od =
        OutlierDetection.builder()
            .consecutiveFailures(5)
            .successRate(false)
            .baseEjectionTime(Duration.ofSeconds(30))
            .maxEjectionPercent(50)
            .build();
    LoadBalancer lb = f.builder(Fixtures.endpoints(4)).outlierDetection(od).build();
    List<Lease> late = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      late.add(HealthFixture.leaseOn(lb, "e0"));
    }
    for (int i = 0; i < 10; i++) {
      late.get(i).onFailure(1_000_000L, null); // 5 eject, 5 more arrive while ejected
    }
    f.scheduler.runDue();
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.EJECTED);
    f.scheduler.advance(Duration.ofSeconds(31));
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.HEALTHY);
    fail(lb, "e0", 5);
    f.scheduler.runDue();
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.EJECTED);
  }

  @Test
  void close_stopsEveryTimer_endsDrains_andRefusesPicksAndChanges() {
    FakeHealthChecker checker = new FakeHealthChecker();
    LoadBalancer lb = checked(Fixtures.endpoints(3), checker);
    Lease inFlight = HealthFixture.leaseOn(lb, "e0");
    CompletableFuture<DrainResult> drain =
        lb.drain("e0", Duration.ofSeconds(10)).toCompletableFuture();
    lb.close();
    assertThat(f.scheduler.pending()).isZero();
    assertThat(drain).isCompletedWithValue(DrainResult.CANCELLED);
    assertThatThrownBy(lb::pick)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("balancer 't' is closed");
    assertThatThrownBy(() -> lb.tryPick(PickContext.none()))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> lb.choose(PickContext.none()))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> lb.addEndpoint(Endpoint.of("10.0.0.9", 80)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("balancer 't' is closed");
    assertThatThrownBy(() -> lb.setEndpoints(List.of())).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> lb.disable("e1")).isInstanceOf(IllegalStateException.class);
    inFlight.onSuccess(1_000); // reports still count
    assertThat(lb.stats().endpoints().get(0).successes()).isEqualTo(1);
    lb.close(); // idempotent
  }

  @Test
  void startUp_endpointsNotYetKnownHealthy_noPanicAnnounced_untilRoutingHadSettled() {
    LoadBalancer lb = f.builder(Fixtures.endpoints(4)).build();
    // A transport that connects lazily marks everything down first, as gRPC does.
    lb.markDown("e0", "connecting");
    lb.markDown("e1", "connecting");
    lb.markDown("e2", "connecting");
    lb.markDown("e3", "connecting");
    assertThat(f.events.events()).noneMatch(e -> e.startsWith("panic"));
    lb.markUp("e0");
    lb.markUp("e1");
    lb.markUp("e2");
    lb.markUp("e3");
    f.events.clear();
    lb.markDown("e0", "lost");
    lb.markDown("e1", "lost");
    lb.markDown("e2", "lost");
    assertThat(f.events.events())
        .filteredOn(e -> e.startsWith("panic"))
        .containsExactly("panic entered 25");
    lb.markUp("e2");
    assertThat(f.events.events())
        .filteredOn(e -> e.startsWith("panic"))
        .containsExactly("panic entered 25", "panic left 50");
  }

  @Test
  void freshBalancerWithNoEndpoints_thenUnhealthyOnes_announcesNothing() {
    LoadBalancer lb = f.builder(List.of()).build();
    lb.addEndpoint(Endpoint.builder("10.0.0.1", 80).id("a").build());
    lb.markDown("a", "connecting");
    assertThat(f.events.events()).noneMatch(e -> e.startsWith("panic"));
  }

  @Test
  void pickRacingAdminChanges_neverFailsWhileAnotherEndpointIsAvailable() throws Exception {
    LoadBalancer lb = f.builder(Fixtures.endpoints(3)).panicThreshold(0).build();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(2);
    Runnable picker =
        () -> {
          try {
            for (int i = 0; i < 200_000 && failure.get() == null; i++) {
              lb.pick().onSuccess(1);
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          } finally {
            done.countDown();
          }
        };
    Thread a = new Thread(picker);
    Thread b = new Thread(picker);
    a.start();
    b.start();
    // e2 always available; e0 and e1 flip in and out of rotation.
    while (done.getCount() > 0) {
      lb.disable("e0");
      lb.markDown("e1", "flap");
      lb.enable("e0");
      lb.markUp("e1");
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void pick_nullContext_namesTheParameter() {
    LoadBalancer lb = f.builder(Fixtures.endpoints(1)).build();
    assertThatThrownBy(() -> lb.pick(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("context");
    assertThatThrownBy(() -> lb.tryPick(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> lb.choose(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void slowStartWithAHashStrategy_isRejected_sinceARampWouldMoveKeys() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .strategy(HashStrategies.ringHash())
                    .slowStart(SlowStart.of(Duration.ofSeconds(30)))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slowStart")
        .hasMessageContaining("ring_hash");
    LoadBalancer.builder()
        .strategy(Strategies.roundRobin())
        .slowStart(SlowStart.of(Duration.ofSeconds(30)))
        .build()
        .close();
  }

  @Test
  void routingChanged_oncePerPublishedChange_afterTheEventsOfTheChange() {
    LoadBalancer lb = f.builder(Fixtures.endpoints(3)).build();
    java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    LoadBalancer watched =
        f.builder(Fixtures.endpoints(3))
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onEndpointAdded(LoadBalancer b, Endpoint e) {
                    order.add("added");
                  }

                  @Override
                  public void onRoutingChanged(LoadBalancer b) {
                    order.add("routing");
                  }
                })
            .build();
    f.events.clear();
    lb.markDown("e0", "lost");
    assertThat(f.events.routingChanges()).isEqualTo(1);
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 80).id("e9").build());
    assertThat(f.events.routingChanges()).isEqualTo(2); // one, though the change published twice
    lb.markDown("e0", "again"); // no change: no event
    assertThat(f.events.routingChanges()).isEqualTo(2);
    order.clear(); // the first routing was published when the balancer was built
    watched.addEndpoint(Endpoint.builder("10.0.0.9", 80).id("e9").build());
    assertThat(order).containsExactly("added", "routing");
  }
}
