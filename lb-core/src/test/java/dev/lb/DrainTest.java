package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.HealthFixture.leaseOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.health.DrainResult;
import dev.lb.health.HealthStatus;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DrainTest {
  private final HealthFixture f = new HealthFixture();

  @Test
  void drain_withNothingInFlight_completesAtOnce_andTakesNoNewCalls() {
    LoadBalancer lb = f.builder(endpoints(3)).build();
    CompletableFuture<DrainResult> done =
        lb.drain("e1", Duration.ofSeconds(10)).toCompletableFuture();
    assertThat(done).isCompletedWithValue(DrainResult.DRAINED);
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.DRAINING);
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("e1", 0);
    assertThat(f.events.events())
        .containsExactly("e1 HEALTHY->DRAINING", "drain started e1 0", "drain finished e1 DRAINED");
  }

  @Test
  void drain_withCallsInFlight_completesWhenTheLastOneReports() {
    LoadBalancer lb = f.builder(endpoints(3)).build();
    Lease a = leaseOn(lb, "e1");
    Lease b = leaseOn(lb, "e1");
    CompletableFuture<DrainResult> done =
        lb.drain("e1", Duration.ofSeconds(10)).toCompletableFuture();
    a.onSuccess(1);
    f.scheduler.runDue();
    assertThat(done).isNotDone();
    b.onFailure(1, null);
    f.scheduler.runDue();
    assertThat(done).isCompletedWithValue(DrainResult.DRAINED);
    assertThat(f.events.events()).contains("drain started e1 2");
    assertThat(lb.stats().endpoints().get(1).inFlight()).isZero();
  }

  @Test
  void drain_timeoutPasses_completesTimedOut() {
    LoadBalancer lb = f.builder(endpoints(2)).build();
    Lease stuck = leaseOn(lb, "e0");
    CompletableFuture<DrainResult> done =
        lb.drain("e0", Duration.ofSeconds(5)).toCompletableFuture();
    f.scheduler.advance(Duration.ofMillis(4_999));
    assertThat(done).isNotDone();
    f.scheduler.advance(Duration.ofMillis(1));
    assertThat(done).isCompletedWithValue(DrainResult.TIMED_OUT);
    stuck.onSuccess(1); // reporting late is harmless
    f.scheduler.runDue();
    assertThat(lb.stats().endpoints().get(0).successes()).isEqualTo(1);
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.DRAINING);
  }

  @Test
  void enable_cancelsTheDrain_andTheEndpointTakesCallsAgain() {
    LoadBalancer lb = f.builder(endpoints(2)).build();
    Lease lease = leaseOn(lb, "e0");
    CompletableFuture<DrainResult> done =
        lb.drain("e0", Duration.ofSeconds(5)).toCompletableFuture();
    assertThat(lb.drain("e0", Duration.ofSeconds(1)).toCompletableFuture()).isSameAs(done);
    assertThat(lb.enable("e0")).isTrue();
    assertThat(done).isCompletedWithValue(DrainResult.CANCELLED);
    assertThat(HealthFixture.spread(lb, 10)).containsEntry("e0", 5);
    lease.onSuccess(1);
    f.scheduler.advance(Duration.ofSeconds(10)); // the cancelled timeout does not fire
    assertThat(f.events.events()).containsOnlyOnce("drain finished e0 CANCELLED");
  }

  @Test
  void disable_takesTheEndpointOutUntilEnabled() {
    LoadBalancer lb = f.builder(endpoints(2)).build();
    assertThat(lb.disable("e0")).isTrue();
    assertThat(lb.disable("e0")).isFalse();
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.DISABLED);
    assertThat(HealthFixture.spread(lb, 10)).containsEntry("e0", 0);
    assertThat(lb.enable("e0")).isTrue();
    assertThat(lb.enable("e0")).isFalse();
    assertThat(HealthFixture.spread(lb, 10)).containsEntry("e0", 5);
  }

  @Test
  void removal_drainsInFlightCalls_beforeTheStatisticsGo() {
    LoadBalancer lb = f.builder(endpoints(3)).build();
    Lease lease = leaseOn(lb, "e2");
    assertThat(lb.removeEndpoint("e2")).isTrue();
    assertThat(lb.endpoints()).extracting(Endpoint::id).containsExactly("e0", "e1");
    assertThat(lb.stats().endpoints()).extracting(s -> s.endpoint().id()).contains("e2");
    assertThat(lb.health("e2")).isEqualTo(HealthStatus.DRAINING);

    lease.onSuccess(1);
    f.scheduler.runDue();
    assertThat(lb.stats().endpoints())
        .extracting(s -> s.endpoint().id())
        .containsExactly("e0", "e1");
    assertThat(lb.health("e2")).isNull();
    assertThat(f.events.events())
        .containsSubsequence("removed e2", "drain started e2 1", "drain finished e2 DRAINED");
  }

  @Test
  void removal_thenAddedBackWhileDraining_keepsItsStatistics() {
    LoadBalancer lb = f.builder(endpoints(2)).build();
    Lease lease = leaseOn(lb, "e1");
    Endpoint e1 = lb.endpoints().get(1);
    lb.removeEndpoint("e1");
    lb.addEndpoint(e1);
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    lease.onSuccess(1);
    f.scheduler.runDue();
    assertThat(lb.stats().endpoints().get(1).successes()).isEqualTo(1);
    assertThat(f.events.events()).contains("drain finished e1 CANCELLED");
  }

  @Test
  void removal_drainTimeout_dropsTheStatistics() {
    LoadBalancer lb = f.builder(endpoints(2)).removalDrainTimeout(Duration.ofSeconds(3)).build();
    Lease lease = leaseOn(lb, "e1");
    lb.removeEndpoint("e1");
    f.scheduler.advance(Duration.ofSeconds(3));
    assertThat(lb.stats().endpoints()).hasSize(1);
    assertThat(lease.onSuccess(1)).isTrue(); // still counted on the detached state, no error
  }

  @Test
  void adminCalls_rejectUnknownIdsAndBadTimeouts() {
    LoadBalancer lb = f.builder(endpoints(1)).build();
    assertThatThrownBy(() -> lb.drain("nope", Duration.ofSeconds(1)))
        .hasMessage("no endpoint with id 'nope' in balancer 't'");
    assertThatThrownBy(() -> lb.drain("e0", Duration.ZERO))
        .hasMessage("timeout must be positive but was PT0S");
    assertThatThrownBy(() -> lb.markDown("e0", " "))
        .hasMessage("reason must not be blank but was ' '");
  }
}
