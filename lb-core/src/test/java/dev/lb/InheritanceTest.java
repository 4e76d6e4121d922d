package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadBalancer.Builder#inheritFrom}: a balancer replaced by one with other options keeps
 * each unchanged endpoint's statistics and health (lb-grpc rebuilds its balancer on every option
 * change).
 */
class InheritanceTest {
  private static final long MS = 1_000_000L;
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final Endpoint a = Endpoint.builder("10.0.0.1", 80).id("a").build();
  private final Endpoint b = Endpoint.builder("10.0.0.2", 80).id("b").build();
  private final Endpoint c = Endpoint.builder("10.0.0.3", 80).id("c").build();

  private LoadBalancer.Builder builder() {
    return LoadBalancer.builder()
        .name("svc")
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(7))
        .endpoints(List.of(a, b, c))
        .outlierDetection(OutlierDetection.disabled());
  }

  private static PickContext only(String id) {
    PickContext.Builder p = PickContext.builder();
    for (String other : List.of("a", "b", "c")) {
      if (!other.equals(id)) {
        p.exclude(other);
      }
    }
    return p.build();
  }

  private static EndpointStats of(LoadBalancer lb, String id) {
    return lb.stats().endpoints().stream()
        .filter(e -> e.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aSlowEndpoint_staysSlow_inTheBalancerThatReplacesIt_underAnotherDecayWindow() {
    LoadBalancer old =
        builder().strategy(Strategies.peakEwma()).decayWindow(Duration.ofSeconds(10)).build();
    for (int i = 0; i < 20; i++) {
      old.pick(only("a")).onSuccess(200 * MS);
      old.pick(only("b")).onSuccess(2 * MS);
      old.pick(only("c")).onSuccess(3 * MS);
      ticker.advanceMillis(10);
    }
    old.pick(only("a")).onFailure(5 * MS, new IOException("reset"));
    ticker.advanceMillis(500);
    Lease stillOnOld = old.pick(only("b"));

    LoadBalancer next =
        builder()
            .strategy(Strategies.peakEwma())
            .decayWindow(Duration.ofSeconds(5))
            .inheritFrom(old)
            .build();
    old.close();

    EndpointStats was = of(old, "a");
    EndpointStats now = of(next, "a");
    assertThat(now.successes()).isEqualTo(20);
    assertThat(now.failures()).isEqualTo(1);
    assertThat(now.lastFailure()).hasMessage("reset");
    assertThat(now.latencyEwmaNanos()).isEqualTo(was.latencyEwmaNanos());
    assertThat(now.peakEwmaNanos()).isCloseTo(was.peakEwmaNanos(), within(1.0));
    // Calls in flight stay with the balancer whose lease counts them.
    assertThat(of(next, "b").inFlight()).isZero();
    assertThat(of(old, "b").inFlight()).isEqualTo(1);
    stillOnOld.onSuccess(2 * MS);
    assertThat(of(next, "b").successes()).isEqualTo(20);

    // The ranking carried over: peak EWMA keeps away from the slow endpoint on the new balancer,
    // which a fresh one (no history) would not.
    Map<String, Integer> picks = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Lease l = next.pick();
      picks.merge(l.endpoint().id(), 1, Integer::sum);
      l.onCancel();
    }
    assertThat(picks.getOrDefault("a", 0)).isZero();
  }

  @Test
  void switchingToLeastResponseTime_ranksByTheLatencyARoundRobinBalancerKept() {
    LoadBalancer old = builder().strategy(Strategies.roundRobin()).build();
    for (int i = 0; i < 20; i++) {
      old.pick(only("a")).onSuccess(200 * MS);
      old.pick(only("b")).onSuccess(2 * MS);
      old.pick(only("c")).onSuccess(3 * MS);
      ticker.advanceMillis(10);
    }
    LoadBalancer next = builder().strategy(Strategies.leastResponseTime()).inheritFrom(old).build();
    assertThat(next.choose(PickContext.none()).id()).isEqualTo("b");
    // The estimate stays an estimate: the next sample moves it, it does not erase it.
    next.pick(only("a")).onSuccess(200 * MS);
    assertThat(of(next, "a").latencyEwmaNanos()).isBetween(150.0 * MS, 250.0 * MS);
  }

  @Test
  void anInheritedEjection_endsByTheNewMaximumEjectionTime() {
    OutlierDetection fiveMinutes =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .baseEjectionTime(Duration.ofMinutes(5))
            .maxEjectionTime(Duration.ofMinutes(5))
            .maxEjectionPercent(100)
            .build();
    LoadBalancer old = builder().outlierDetection(fiveMinutes).build();
    old.pick(only("a")).onFailure(MS, null);
    scheduler.runDue();
    assertThat(old.health("a")).isEqualTo(HealthStatus.EJECTED);

    // The operator shortens ejections to get capacity back: they apply to this one too.
    LoadBalancer next =
        builder()
            .outlierDetection(
                OutlierDetection.builder()
                    .consecutiveFailures(1)
                    .baseEjectionTime(Duration.ofSeconds(30))
                    .maxEjectionTime(Duration.ofSeconds(30))
                    .maxEjectionPercent(100)
                    .build())
            .inheritFrom(old)
            .build();
    old.close();
    assertThat(next.health("a")).isEqualTo(HealthStatus.EJECTED);
    scheduler.advance(Duration.ofSeconds(31));
    assertThat(next.health("a")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void anEjectionUnderWay_lastsOnlyWhatWasLeftOfIt() {
    OutlierDetection od =
        OutlierDetection.builder()
            .consecutiveFailures(3)
            .baseEjectionTime(Duration.ofSeconds(30))
            .maxEjectionPercent(100)
            .build();
    LoadBalancer old = builder().outlierDetection(od).build();
    for (int i = 0; i < 3; i++) {
      old.pick(only("a")).onFailure(MS, null);
    }
    scheduler.runDue();
    assertThat(old.health("a")).isEqualTo(HealthStatus.EJECTED);
    scheduler.advance(Duration.ofSeconds(10));

    LoadBalancer next =
        builder().strategy(Strategies.random()).outlierDetection(od).inheritFrom(old).build();
    old.close();
    assertThat(next.health("a")).isEqualTo(HealthStatus.EJECTED);
    assertThat(of(next, "a").ejections()).isEqualTo(1);
    for (int i = 0; i < 50; i++) {
      assertThat(next.choose(PickContext.none()).id()).isNotEqualTo("a");
    }
    scheduler.advance(Duration.ofSeconds(19));
    assertThat(next.health("a")).isEqualTo(HealthStatus.EJECTED);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(next.health("a")).isEqualTo(HealthStatus.HEALTHY);

    // The second ejection here is longer, as a repeat offender's is: the multiplier carried over.
    for (int i = 0; i < 3; i++) {
      next.pick(only("a")).onFailure(MS, null);
    }
    scheduler.runDue();
    assertThat(next.health("a")).isEqualTo(HealthStatus.EJECTED);
    assertThat(of(next, "a").ejections()).isEqualTo(2);
    scheduler.advance(Duration.ofSeconds(45));
    assertThat(next.health("a")).as("60 s the second time").isEqualTo(HealthStatus.EJECTED);
    scheduler.advance(Duration.ofSeconds(16));
    assertThat(next.health("a")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void anEjection_isNotCarried_whereOutlierDetectionIsOff_orTheCapIsReached() {
    OutlierDetection od =
        OutlierDetection.builder().consecutiveFailures(1).maxEjectionPercent(100).build();
    LoadBalancer old = builder().outlierDetection(od).build();
    old.pick(only("a")).onFailure(MS, null);
    old.pick(only("b")).onFailure(MS, null);
    scheduler.runDue();
    assertThat(old.health("a")).isEqualTo(HealthStatus.EJECTED);
    assertThat(old.health("b")).isEqualTo(HealthStatus.EJECTED);

    LoadBalancer off = builder().inheritFrom(old).build();
    assertThat(off.health("a")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(of(off, "a").ejections()).as("the count is history").isEqualTo(1);

    // A cap of 34% of three endpoints allows one ejection: the second stays in.
    LoadBalancer capped =
        builder()
            .outlierDetection(
                OutlierDetection.builder().consecutiveFailures(1).maxEjectionPercent(34).build())
            .inheritFrom(old)
            .build();
    assertThat(
            List.of(capped.health("a"), capped.health("b")).stream()
                .filter(h -> h == HealthStatus.EJECTED)
                .count())
        .isEqualTo(1);
  }

  @Test
  void anEndpointFailingItsChecks_staysOutUntilItPassesThemHere() {
    FakeHealthChecker checker = new FakeHealthChecker().fail("a");
    HealthCheckConfig checks =
        HealthCheckConfig.builder(checker)
            .interval(Duration.ofSeconds(1))
            .jitter(0)
            .healthyThreshold(2)
            .unhealthyThreshold(2)
            .build();
    LoadBalancer old = builder().healthCheck(checks).build();
    scheduler.advance(Duration.ofSeconds(3));
    assertThat(old.health("a")).isEqualTo(HealthStatus.UNHEALTHY);

    LoadBalancer next =
        builder().strategy(Strategies.random()).healthCheck(checks).inheritFrom(old).build();
    old.close();
    assertThat(next.health("a")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(next.health("b")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(of(next, "a").lastCheck()).isNotNull();
    for (int i = 0; i < 50; i++) {
      assertThat(next.choose(PickContext.none()).id()).isNotEqualTo("a");
    }
    checker.pass("a");
    scheduler.runDue(); // the new balancer's first check, at once (no jitter)
    assertThat(next.health("a")).as("one pass of two").isEqualTo(HealthStatus.UNHEALTHY);
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(next.health("a")).isEqualTo(HealthStatus.HEALTHY);

    // Without checks here, nothing could ever bring it back: not carried.
    LoadBalancer unchecked = builder().inheritFrom(next).build();
    assertThat(unchecked.health("a")).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void aFailureStreak_isKeptBelowTheNewLimit_soTheNextFailureStillEjects() {
    LoadBalancer old =
        builder()
            .outlierDetection(
                OutlierDetection.builder().consecutiveFailures(5).maxEjectionPercent(100).build())
            .build();
    for (int i = 0; i < 4; i++) {
      old.pick(only("a")).onFailure(MS, null);
    }
    LoadBalancer next =
        builder()
            .outlierDetection(
                OutlierDetection.builder().consecutiveFailures(3).maxEjectionPercent(100).build())
            .inheritFrom(old)
            .build();
    next.pick(only("a")).onFailure(MS, null);
    scheduler.runDue();
    assertThat(next.health("a")).isEqualTo(HealthStatus.EJECTED);
  }

  @Test
  void onlyInitialEndpointsWithTheSameId_inherit_othersStartAfresh() {
    LoadBalancer old = builder().endpoints(List.of()).build();
    old.pick(only("a")).onSuccess(MS);
    old.pick(only("b")).onSuccess(MS);
    Endpoint d = Endpoint.builder("10.0.0.4", 80).id("d").build();
    LoadBalancer next =
        LoadBalancer.builder()
            .ticker(ticker)
            .scheduler(scheduler)
            .endpoints(List.of(a, d))
            .inheritFrom(old)
            .build();
    assertThat(of(next, "a").successes()).isEqualTo(1);
    assertThat(of(next, "d").successes()).isZero();
    next.addEndpoint(b);
    assertThat(of(next, "b").successes()).as("added later: afresh").isZero();
  }

  @Test
  void anotherTicker_isRejected_namingBoth() {
    LoadBalancer old = builder().build();
    LoadBalancer.Builder other = LoadBalancer.builder().inheritFrom(old);
    assertThatThrownBy(other::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("inheritFrom needs a balancer on the same ticker, but 'svc' reads");
    assertThatThrownBy(() -> LoadBalancer.builder().inheritFrom(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("previous");
  }
}
