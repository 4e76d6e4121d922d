package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.HealthFixture.fail;
import static dev.lb.testing.HealthFixture.leaseOn;
import static dev.lb.testing.HealthFixture.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutlierDetectionTest {
  private final HealthFixture f = new HealthFixture();

  private static OutlierDetection.Builder consecutive() {
    return OutlierDetection.builder()
        .consecutiveFailures(5)
        .successRate(false)
        .baseEjectionTime(Duration.ofSeconds(30))
        .maxEjectionTime(Duration.ofSeconds(300))
        .maxEjectionPercent(50);
  }

  private LoadBalancer balancer(int n, OutlierDetection.Builder od) {
    return f.builder(endpoints(n)).outlierDetection(od.build()).build();
  }

  @Test
  void consecutiveFailures_atThreshold_ejectsUntilTheEjectionTimeIsOver() {
    LoadBalancer lb = balancer(4, consecutive());
    fail(lb, "e1", 4);
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);

    fail(lb, "e1", 1);
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);
    assertThat(f.events.events()).containsExactly("e1 HEALTHY->EJECTED", "ejected e1 30s");
    assertThat(HealthFixture.spread(lb, 90)).containsEntry("e1", 0);

    f.scheduler.advance(Duration.ofSeconds(29));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);
    f.scheduler.advance(Duration.ofSeconds(1));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(f.events.events()).endsWith("e1 EJECTED->HEALTHY", "restored e1");
    assertThat(lb.stats().endpoints().get(1).ejections()).isEqualTo(1);
  }

  @Test
  void successBetweenFailures_resetsTheStreak() {
    LoadBalancer lb = balancer(4, consecutive());
    for (int i = 0; i < 10; i++) {
      fail(lb, "e1", 4);
      succeed(lb, "e1", 1);
    }
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void repeatedEjections_lastLonger_upToTheCap() {
    LoadBalancer lb = balancer(4, consecutive().maxEjectionTime(Duration.ofSeconds(75)));
    long[] expected = {30, 60, 75, 75};
    for (long seconds : expected) {
      fail(lb, "e1", 5);
      f.scheduler.runDue();
      assertThat(f.events.events()).last().isEqualTo("ejected e1 " + seconds + "s");
      f.scheduler.advance(Duration.ofSeconds(seconds));
      assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    }
  }

  @Test
  void ejectionMultiplier_shrinksWhileTheEndpointBehaves() {
    LoadBalancer lb = balancer(4, consecutive().interval(Duration.ofSeconds(10)));
    fail(lb, "e1", 5);
    f.scheduler.runDue();
    f.scheduler.advance(Duration.ofSeconds(30)); // restored; multiplier 1
    fail(lb, "e1", 5);
    f.scheduler.runDue();
    assertThat(f.events.events()).last().isEqualTo("ejected e1 60s"); // multiplier 2
    f.scheduler.advance(Duration.ofSeconds(60));
    f.scheduler.advance(Duration.ofSeconds(30)); // three intervals un-ejected: back to 0
    fail(lb, "e1", 5);
    f.scheduler.runDue();
    assertThat(f.events.events()).last().isEqualTo("ejected e1 30s");
  }

  @Test
  void maxEjectionPercent_capsHowManyAreEjectedAtOnce() {
    LoadBalancer lb = balancer(4, consecutive().maxEjectionPercent(50));
    fail(lb, "e0", 5);
    fail(lb, "e1", 5);
    fail(lb, "e2", 5);
    f.scheduler.runDue();
    assertThat(lb.stats().endpoints())
        .extracting(EndpointStats::health)
        .containsExactly(
            HealthStatus.EJECTED, HealthStatus.EJECTED, HealthStatus.HEALTHY, HealthStatus.HEALTHY);
  }

  @Test
  void maxEjectionPercent_neverEjectsTheLastEndpoint_butAlwaysAllowsOne() {
    LoadBalancer two = balancer(2, consecutive().maxEjectionPercent(100));
    fail(two, "e0", 5);
    fail(two, "e1", 5);
    f.scheduler.runDue();
    assertThat(two.health("e0")).isEqualTo(HealthStatus.EJECTED);
    assertThat(two.health("e1")).isEqualTo(HealthStatus.HEALTHY);

    LoadBalancer ten = balancer(10, consecutive().maxEjectionPercent(0));
    fail(ten, "e3", 5);
    f.scheduler.runDue();
    assertThat(ten.health("e3")).isEqualTo(HealthStatus.EJECTED);

    LoadBalancer one = balancer(1, consecutive());
    fail(one, "e0", 5);
    f.scheduler.runDue();
    assertThat(one.health("e0")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void successRate_ejectsTheEndpointFarBelowTheGroupMean() {
    LoadBalancer lb =
        balancer(
            6,
            OutlierDetection.builder()
                .consecutiveFailures(0)
                .successRate(1.9, 5, 100)
                .maxEjectionPercent(50)
                .interval(Duration.ofSeconds(10)));
    for (int i = 0; i < 6; i++) {
      succeed(lb, "e" + i, 100);
    }
    for (int i = 0; i < 100; i++) {
      leaseOn(lb, "e0").onFailure(1, null); // e0: 50% success
    }
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.EJECTED);
    for (int i = 1; i < 6; i++) {
      assertThat(lb.health("e" + i)).isEqualTo(HealthStatus.HEALTHY);
    }
    assertThat(f.events.events()).contains("ejected e0 30s");
  }

  @Test
  void successRate_needsMinimumHostsAndVolume() {
    LoadBalancer lb =
        balancer(
            6,
            OutlierDetection.builder()
                .consecutiveFailures(0)
                .successRate(1.9, 5, 100)
                .maxEjectionPercent(50));
    for (int i = 0; i < 4; i++) {
      succeed(lb, "e" + i, 100); // only e0..e3 (+ e0's failures) reach the volume: 4 < 5 hosts
    }
    for (int i = 0; i < 100; i++) {
      leaseOn(lb, "e0").onFailure(1, null);
    }
    succeed(lb, "e4", 99);
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void failurePercentage_ejectsAtOrAboveTheThreshold() {
    LoadBalancer lb =
        balancer(
            4,
            OutlierDetection.builder()
                .consecutiveFailures(0)
                .successRate(false)
                .failurePercentage(50, 1, 10)
                .maxEjectionPercent(50));
    for (int i = 0; i < 10; i++) {
      leaseOn(lb, "e0").onFailure(1, null);
      leaseOn(lb, "e0").onSuccess(1);
      leaseOn(lb, "e1").onSuccess(1);
    }
    leaseOn(lb, "e1").onFailure(1, null);
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.EJECTED); // 50%
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY); // 9%
  }

  @Test
  void withActiveChecks_ejectedEndpointReturnsOnlyAfterPassingThem() {
    FakeHealthChecker checker = new FakeHealthChecker();
    LoadBalancer lb =
        f.builder(endpoints(4))
            .outlierDetection(consecutive().build())
            .healthCheck(
                HealthCheckConfig.builder(checker)
                    .interval(Duration.ofSeconds(5))
                    .jitter(0)
                    .healthyThreshold(2)
                    .build())
            .build();
    f.scheduler.runDue();
    fail(lb, "e1", 5);
    f.scheduler.runDue();
    checker.fail("e1"); // the backend is still broken when the ejection ends
    f.scheduler.advance(Duration.ofSeconds(60));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);

    checker.pass("e1");
    f.scheduler.advance(Duration.ofSeconds(5));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED); // one pass of two
    f.scheduler.advance(Duration.ofSeconds(5));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(f.events.events()).contains("restored e1");
  }

  @Test
  void options_rejectBadValuesNamingTheOption() {
    assertThatThrownBy(() -> OutlierDetection.builder().maxEjectionPercent(101))
        .hasMessage("maxEjectionPercent must be in 0..100 but was 101");
    assertThatThrownBy(() -> OutlierDetection.builder().consecutiveFailures(-1))
        .hasMessage("consecutiveFailures must be 0 or more but was -1");
    assertThatThrownBy(() -> OutlierDetection.builder().baseEjectionTime(Duration.ZERO))
        .hasMessage("baseEjectionTime must be positive but was PT0S");
    assertThatThrownBy(() -> OutlierDetection.builder().successRate(0, 5, 100))
        .hasMessage("successRateStdevFactor must be positive but was 0.0");
  }
}
