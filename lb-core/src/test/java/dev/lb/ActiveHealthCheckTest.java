package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import dev.lb.health.HealthStatus;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ActiveHealthCheckTest {
  private final HealthFixture f = new HealthFixture();
  private final FakeHealthChecker checker = new FakeHealthChecker();

  private LoadBalancer balancer(HealthCheckConfig.Builder config) {
    return f.builder(endpoints(3)).healthCheck(config.build()).build();
  }

  private HealthCheckConfig.Builder config(HealthChecker c) {
    return HealthCheckConfig.builder(c)
        .interval(Duration.ofSeconds(5))
        .timeout(Duration.ofSeconds(1))
        .jitter(0)
        .healthyThreshold(2)
        .unhealthyThreshold(3);
  }

  @Test
  void fallThreshold_thirdConsecutiveFailure_marksUnhealthy() {
    LoadBalancer lb = balancer(config(checker));
    checker.fail("e1");
    f.scheduler.runDue(); // checks at t=0
    f.scheduler.advance(Duration.ofSeconds(5)); // second failure
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);

    f.scheduler.advance(Duration.ofSeconds(5)); // third failure
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(f.events.events()).containsExactly("e1 HEALTHY->UNHEALTHY");
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("e1", 0);
    EndpointStats e1 = lb.stats().endpoints().get(1);
    assertThat(e1.lastCheck()).isEqualTo(HealthCheckResult.unhealthy("HTTP 503"));
  }

  @Test
  void riseThreshold_secondConsecutivePass_marksHealthyAgain() {
    LoadBalancer lb = balancer(config(checker));
    checker.fail("e1");
    f.scheduler.runDue();
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);

    checker.pass("e1");
    f.scheduler.advance(Duration.ofSeconds(5)); // one pass
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    f.scheduler.advance(Duration.ofSeconds(5)); // two passes
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(f.events.events()).containsExactly("e1 HEALTHY->UNHEALTHY", "e1 UNHEALTHY->HEALTHY");
  }

  @Test
  void unhealthyInterval_appliesWhileUnhealthy() {
    LoadBalancer lb = balancer(config(checker).unhealthyInterval(Duration.ofSeconds(1)));
    checker.fail("e1");
    f.scheduler.runDue();
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    int before = checker.probes("e1");

    f.scheduler.advance(Duration.ofSeconds(3));
    assertThat(checker.probes("e1") - before).isEqualTo(3);
    assertThat(checker.probes("e0")).isEqualTo(3); // healthy: every 5 s (t=0, 5, 10)
  }

  @Test
  void alternatingResults_neverFlapMembership() {
    AtomicInteger n = new AtomicInteger();
    HealthChecker flapping =
        (endpoint, timeout) ->
            CompletableFuture.completedFuture(
                endpoint.id().equals("e1") && n.incrementAndGet() % 2 == 0
                    ? HealthCheckResult.unhealthy("flap")
                    : HealthCheckResult.healthy());
    LoadBalancer lb = balancer(config(flapping));
    f.scheduler.runDue();
    for (int i = 0; i < 40; i++) {
      f.scheduler.advance(Duration.ofSeconds(5));
      assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    }
    assertThat(f.events.events()).isEmpty();
  }

  @Test
  void alternatingResults_neverBringAnUnhealthyEndpointBack() {
    AtomicInteger n = new AtomicInteger();
    FakeHealthChecker down = new FakeHealthChecker().fail("e1");
    HealthChecker checker =
        (endpoint, timeout) ->
            n.get() > 0 && endpoint.id().equals("e1") && n.incrementAndGet() % 2 == 0
                ? CompletableFuture.completedFuture(HealthCheckResult.healthy())
                : down.check(endpoint, timeout);
    LoadBalancer lb = balancer(config(checker));
    f.scheduler.runDue();
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    n.set(1); // from now on e1 alternates pass, fail, pass, ...
    for (int i = 0; i < 20; i++) {
      f.scheduler.advance(Duration.ofSeconds(5));
      assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    }
  }

  @Test
  void checkThatNeverAnswers_timesOutAndCountsAsFailure() {
    LoadBalancer lb = balancer(config(checker));
    checker.hang("e1");
    f.scheduler.runDue(); // t=0 probe, times out at 1
    f.scheduler.advance(Duration.ofMillis(12_500)); // timeouts at 1 and 7; third probe at 12
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    f.scheduler.advance(Duration.ofMillis(500)); // third timeout at 13
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(lb.stats().endpoints().get(1).lastCheck())
        .isEqualTo(HealthCheckResult.unhealthy("timed out after 1000 ms"));
  }

  @Test
  void checkerThatThrows_countsAsFailure_andCheckingGoesOn() {
    LoadBalancer lb = balancer(config(checker));
    checker.throwOn("e1");
    f.scheduler.runDue();
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(lb.stats().endpoints().get(1).lastCheck().reason())
        .isEqualTo("IllegalStateException: checker bug");
    checker.pass("e1");
    f.scheduler.advance(Duration.ofSeconds(10));
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void jitter_spreadsChecksWithinTheConfiguredFraction() {
    LoadBalancer lb = balancer(config(checker).jitter(0.5));
    f.scheduler.advance(Duration.ofMillis(2_500)); // every first check falls in [0, 2.5 s]
    for (Endpoint e : lb.endpoints()) {
      assertThat(checker.probes(e.id())).isEqualTo(1);
    }
    f.scheduler.advance(Duration.ofSeconds(100)); // intervals in [2.5 s, 7.5 s]
    for (Endpoint e : lb.endpoints()) {
      assertThat(checker.probes(e.id())).isBetween(1 + 100 / 7, 1 + 100 / 2);
    }
  }

  @Test
  void removedEndpoint_isNoLongerChecked_andCloseStopsEveryCheck() {
    LoadBalancer lb = balancer(config(checker));
    f.scheduler.runDue();
    lb.removeEndpoint("e2");
    f.scheduler.advance(Duration.ofSeconds(20));
    assertThat(checker.probes("e2")).isEqualTo(1);
    lb.close();
    int e0 = checker.probes("e0");
    f.scheduler.advance(Duration.ofSeconds(20));
    assertThat(checker.probes("e0")).isEqualTo(e0);
    assertThat(f.scheduler.pending()).isZero();
  }
}
