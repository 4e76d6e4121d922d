package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Panic mode, backups, priority failover and zone preference. */
class RoutingTest {
  private final HealthFixture f = new HealthFixture();
  private final FakeHealthChecker checker = new FakeHealthChecker();

  /** Every builder checks health each second, flipping on one result. */
  private LoadBalancer.Builder builder(List<Endpoint> endpoints) {
    return f.builder(endpoints)
        .healthCheck(
            HealthCheckConfig.builder(checker)
                .interval(Duration.ofSeconds(1))
                .jitter(0)
                .healthyThreshold(1)
                .unhealthyThreshold(1)
                .build());
  }

  /** Fails the endpoint's active checks until it is unhealthy. */
  private void down(LoadBalancer lb, String id) {
    checker.fail(id);
    f.scheduler.advance(Duration.ofSeconds(1));
    assertThat(lb.health(id)).isEqualTo(HealthStatus.UNHEALTHY);
  }

  private void up(LoadBalancer lb, String id) {
    checker.pass(id);
    f.scheduler.advance(Duration.ofSeconds(1));
    assertThat(lb.health(id)).isEqualTo(HealthStatus.HEALTHY);
  }

  private static Endpoint ep(String id, String zone, int priority, boolean backup) {
    Endpoint.Builder b = Endpoint.builder("10.1.0." + Math.abs(id.hashCode() % 250), 80).id(id);
    b.zone(zone).priority(priority).backup(backup);
    return b.build();
  }

  private static double share(Map<String, Integer> spread, String prefix) {
    int hits = 0;
    int total = 0;
    for (Map.Entry<String, Integer> e : spread.entrySet()) {
      total += e.getValue();
      hits += e.getKey().startsWith(prefix) ? e.getValue() : 0;
    }
    return (double) hits / total;
  }

  @Test
  void panic_enteredBelowThreshold_spreadsOverUnhealthyEndpoints_andLeftWhenHealthReturns() {
    LoadBalancer lb = builder(endpoints(4)).build();
    down(lb, "e0");
    down(lb, "e1");
    assertThat(lb.stats().panic()).isFalse(); // 50% is not below 50%
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("e0", 0).containsEntry("e1", 0);

    down(lb, "e2");
    assertThat(lb.stats().panic()).isTrue();
    assertThat(lb.stats().healthyPercent()).isEqualTo(25);
    assertThat(HealthFixture.spread(lb, 400)).allSatisfy((id, n) -> assertThat(n).isEqualTo(100));
    assertThat(lb.stats().toTable()).contains("PANIC");

    up(lb, "e2");
    assertThat(lb.stats().panic()).isFalse();
    assertThat(f.events.events()).contains("panic entered 25", "panic left 50");
  }

  @Test
  void panicThresholdZero_failsCallsWhenNothingIsHealthy() {
    LoadBalancer lb = builder(endpoints(2)).panicThreshold(0).build();
    down(lb, "e0");
    down(lb, "e1");
    assertThatThrownBy(lb::pick)
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e ->
                assertThat(e.reason())
                    .isEqualTo(NoEndpointAvailableException.Reason.NONE_AVAILABLE))
        .hasMessage(
            "no endpoint available in balancer 't': 2 endpoints (2 unhealthy); none is available"
                + " and panic mode is off");
  }

  @Test
  void panic_neverUsesDisabledOrDrainingEndpoints() {
    LoadBalancer lb = builder(endpoints(4)).build();
    lb.disable("e0");
    lb.drain("e1", Duration.ofSeconds(1));
    down(lb, "e2");
    down(lb, "e3");
    assertThat(lb.stats().panic()).isTrue();
    assertThat(HealthFixture.spread(lb, 100))
        .containsEntry("e0", 0)
        .containsEntry("e1", 0)
        .containsEntry("e2", 50)
        .containsEntry("e3", 50);
  }

  @Test
  void backup_takesOverOnlyWhenNoPrimaryIsHealthy_andGivesBack() {
    List<Endpoint> eps =
        List.of(ep("p0", "a", 0, false), ep("p1", "a", 0, false), ep("b0", "a", 0, true));
    LoadBalancer lb = builder(eps).build();
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("b0", 0);

    down(lb, "p0");
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("b0", 0).containsEntry("p1", 100);

    down(lb, "p1");
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("b0", 100);
    assertThat(lb.stats().panic()).isFalse();

    up(lb, "p0");
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("b0", 0).containsEntry("p0", 100);
  }

  @Test
  void backupsDown_too_panicSpreadsOverPrimaries() {
    List<Endpoint> eps = List.of(ep("p0", "a", 0, false), ep("b0", "a", 0, true));
    LoadBalancer lb = builder(eps).build();
    down(lb, "p0");
    down(lb, "b0");
    assertThat(lb.stats().panic()).isTrue();
    assertThat(HealthFixture.spread(lb, 10)).containsEntry("p0", 10);
  }

  @Test
  void priorities_spillInProportionToTheMissingHealth_andFailOverCompletely() {
    List<Endpoint> eps = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      eps.add(ep("first" + i, "a", 0, false));
    }
    for (int i = 0; i < 4; i++) {
      eps.add(ep("second" + i, "a", 1, false));
    }
    LoadBalancer lb = builder(eps).strategy(Strategies.random()).build();
    assertThat(share(HealthFixture.spread(lb, 1000), "first")).isEqualTo(1.0);

    down(lb, "first0");
    assertThat(share(HealthFixture.spread(lb, 1000), "first")).isEqualTo(1.0); // 1.4 x 75% > 1

    down(lb, "first1"); // 1.4 x 50% = 70% stays on the first level
    assertThat(share(HealthFixture.spread(lb, 20_000), "first")).isCloseTo(0.70, within(0.02));

    down(lb, "first2");
    down(lb, "first3");
    assertThat(share(HealthFixture.spread(lb, 1000), "second")).isEqualTo(1.0);
    assertThat(lb.stats().panic()).isFalse(); // half the group is healthy
  }

  @Test
  void localZone_keepsTrafficWhileHealthy_thenSpillsProportionally() {
    List<Endpoint> eps = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      eps.add(ep("near" + i, "zone-a", 0, false));
      eps.add(ep("far" + i, "zone-b", 0, false));
    }
    LoadBalancer lb = builder(eps).localZone("zone-a").build();
    assertThat(share(HealthFixture.spread(lb, 1000), "near")).isEqualTo(1.0);

    down(lb, "near0");
    down(lb, "near1"); // 3 of 5 healthy: keep min(1, 1.4 x 0.6) = 84%
    assertThat(share(HealthFixture.spread(lb, 20_000), "near")).isCloseTo(0.84, within(0.02));

    for (int i = 2; i < 5; i++) {
      down(lb, "near" + i);
    }
    assertThat(share(HealthFixture.spread(lb, 1000), "near")).isEqualTo(0.0);
    up(lb, "near0");
    up(lb, "near1");
    up(lb, "near2");
    up(lb, "near3");
    up(lb, "near4");
    assertThat(share(HealthFixture.spread(lb, 1000), "near")).isEqualTo(1.0);
  }

  @Test
  void localZoneAllDown_everythingGoesToOtherZones() {
    List<Endpoint> eps = List.of(ep("near0", "zone-a", 0, false), ep("far0", "zone-b", 0, false));
    LoadBalancer lb = builder(eps).localZone("zone-a").panicThreshold(0).build();
    f.scheduler.runDue();
    down(lb, "near0");
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("far0", 100);
    assertThat(lb.health("near0")).isEqualTo(HealthStatus.UNHEALTHY);
  }

  @Test
  void maxInFlightPerEndpoint_skipsFullEndpoints_andRejectsWhenAllAreFull() {
    LoadBalancer lb = builder(endpoints(2)).maxInFlightPerEndpoint(2).build();
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      leases.add(lb.pick());
    }
    assertThat(leases).extracting(l -> l.endpoint().id()).containsOnly("e0", "e1");
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isEqualTo(2));
    assertThatThrownBy(lb::pick)
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e -> assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY))
        .hasMessageEndingWith(
            "every available endpoint refused the call: 2 at the concurrency limit of 2 calls in flight");
    assertThat(lb.tryPick(PickContext.none())).isNull();
    leases.get(0).onSuccess(1);
    assertThat(lb.pick().endpoint().id()).isEqualTo(leases.get(0).endpoint().id());
  }

  @Test
  void excludedEndpoints_areSkipped_andExcludingAllIsReported() {
    LoadBalancer lb = builder(endpoints(3)).build();
    PickContext notE0 = PickContext.builder().exclude("e0").build();
    for (int i = 0; i < 30; i++) {
      Lease lease = lb.pick(notE0);
      assertThat(lease.endpoint().id()).isNotEqualTo("e0");
      lease.onSuccess(1);
    }
    PickContext all = notE0.toBuilder().exclude("e1").exclude(lb.endpoints().get(2)).build();
    assertThatThrownBy(() -> lb.pick(all))
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e ->
                assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.ALL_EXCLUDED));
  }
}
