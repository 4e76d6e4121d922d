package dev.lb.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.PickContext;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.retry.RetryBudget;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every meter's value after scripted traffic through a real balancer, on a simple registry. */
class LoadBalancerMetricsTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private LoadBalancer balancer =
      LoadBalancer.builder()
          .name("users")
          .ticker(ticker)
          .scheduler(scheduler)
          .strategy(Strategies.roundRobin())
          .outlierDetection(OutlierDetection.builder().consecutiveFailures(3).build())
          .retryBudget(RetryBudget.builder().ticker(ticker).build())
          .endpoints(
              List.of(
                  Endpoint.builder("10.0.0.1", 80).id("a").zone("z1").build(),
                  Endpoint.builder("10.0.0.2", 80).id("b").zone("z2").build(),
                  Endpoint.builder("10.0.0.3", 80).id("c").build()))
          .build();

  @AfterEach
  void close() {
    balancer.close();
  }

  private LoadBalancerMetrics bind() {
    LoadBalancerMetrics m =
        LoadBalancerMetrics.builder(balancer)
            .tags(Tags.of("app", "test"))
            .percentiles(0.5, 0.99)
            .statsMaxAge(Duration.ZERO)
            .build();
    m.bindTo(registry);
    return m;
  }

  private static PickContext only(String id) {
    PickContext.Builder b = PickContext.builder();
    for (String other : List.of("a", "b", "c")) {
      if (!other.equals(id)) {
        b.exclude(other);
      }
    }
    return b.build();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private double functionCounter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  @Test
  void callsAndLatency_perEndpointAndOutcome() {
    bind();
    for (int i = 1; i <= 10; i++) {
      balancer.pick(only("a")).onSuccess(i * 1_000_000L);
    }
    balancer.pick(only("b")).onFailure(50_000_000L, new IOException("reset"));
    balancer.pick(only("b")).onCancel();
    Lease open = balancer.pick(only("c"));

    assertThat(functionCounter("lb.calls", "endpoint", "a", "outcome", "success")).isEqualTo(10);
    assertThat(functionCounter("lb.calls", "endpoint", "b", "outcome", "failure")).isEqualTo(1);
    assertThat(functionCounter("lb.calls", "endpoint", "b", "outcome", "cancelled")).isEqualTo(1);
    assertThat(gauge("lb.calls.in.flight", "endpoint", "c")).isEqualTo(1);
    assertThat(gauge("lb.calls.in.flight", "endpoint", "a")).isZero();

    Timer a = registry.get("lb.call.duration").tags("endpoint", "a", "outcome", "success").timer();
    assertThat(a.count()).isEqualTo(10);
    assertThat(a.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(55);
    assertThat(a.max(TimeUnit.MILLISECONDS)).isEqualTo(10);
    Timer b = registry.get("lb.call.duration").tags("endpoint", "b", "outcome", "failure").timer();
    assertThat(b.count()).isEqualTo(1);
    assertThat(b.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);

    // Tags: balancer, endpoint, zone ("none" without one) and the binder's own.
    Meter.Id id = registry.get("lb.calls.in.flight").tags("endpoint", "c").gauge().getId();
    assertThat(id.getTag("balancer")).isEqualTo("users");
    assertThat(id.getTag("zone")).isEqualTo("none");
    assertThat(id.getTag("app")).isEqualTo("test");
    assertThat(
            registry.get("lb.calls.in.flight").tags("endpoint", "a").gauge().getId().getTag("zone"))
        .isEqualTo("z1");
    open.onSuccess(1);
    assertThat(gauge("lb.calls.in.flight", "endpoint", "c")).isZero();
  }

  @Test
  void healthStates_ejectionsByCause_andTheCloudWatchPair() {
    bind();
    assertThat(gauge("lb.endpoints.healthy")).isEqualTo(3);
    assertThat(gauge("lb.endpoints.unhealthy")).isZero();
    for (int i = 0; i < 3; i++) {
      balancer.pick(only("b")).onFailure(1_000_000L, new IOException("refused"));
    }
    assertThat(balancer.health("b")).hasToString("EJECTED");
    assertThat(registry.get("lb.ejections").tags("cause", "consecutive_failures").counter().count())
        .isEqualTo(1);
    assertThat(functionCounter("lb.endpoint.ejections", "endpoint", "b")).isEqualTo(1);
    assertThat(gauge("lb.endpoint.state", "endpoint", "b", "state", "ejected")).isEqualTo(1);
    assertThat(gauge("lb.endpoint.state", "endpoint", "b", "state", "healthy")).isZero();
    assertThat(gauge("lb.endpoints", "state", "ejected")).isEqualTo(1);
    assertThat(gauge("lb.endpoints", "state", "healthy")).isEqualTo(2);
    assertThat(gauge("lb.endpoints.healthy")).isEqualTo(2);
    assertThat(gauge("lb.endpoints.unhealthy")).isEqualTo(1);
    assertThat(
            registry
                .get("lb.health.changes")
                .tags("to", "ejected", "cause", "ejected")
                .counter()
                .count())
        .isEqualTo(1);

    balancer.disable("c");
    assertThat(gauge("lb.endpoints", "state", "disabled")).isEqualTo(1);
    assertThat(gauge("lb.healthy.percent")).isEqualTo(50);
  }

  @Test
  void panic_andNoEndpointByReason() {
    bind();
    assertThat(gauge("lb.panic")).isZero();
    balancer.pick().onSuccess(1); // traffic, so that panic is entered from a settled state
    balancer.markDown("a", "test");
    balancer.markDown("b", "test");
    assertThat(gauge("lb.panic")).isEqualTo(1);
    balancer.markUp("a");
    balancer.markUp("b");
    assertThat(gauge("lb.panic")).isZero();

    assertThat(
            balancer.tryPick(PickContext.builder().exclude("a").exclude("b").exclude("c").build()))
        .isNull();
    balancer.setEndpoints(List.of());
    assertThatThrownBy(balancer::pick).isInstanceOf(NoEndpointAvailableException.class);
    assertThatThrownBy(balancer::pick).isInstanceOf(NoEndpointAvailableException.class);
    assertThat(registry.get("lb.no.endpoint").tags("reason", "all_excluded").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("lb.no.endpoint").tags("reason", "no_endpoints").counter().count())
        .isEqualTo(2);
  }

  @Test
  void retryBudget_remainingAndRefused() {
    bind();
    RetryBudget budget = balancer.retryBudget();
    assertThat(budget).isNotNull();
    double before = gauge("lb.retry.budget.remaining");
    assertThat(before).isEqualTo((double) budget.remaining());
    while (budget.tryWithdraw()) {
      // drain the budget
    }
    assertThat(budget.tryWithdraw()).isFalse();
    assertThat(gauge("lb.retry.budget.remaining")).isZero();
    assertThat(functionCounter("lb.retry.budget.refused"))
        .isEqualTo((double) budget.refusedCount());
    assertThat(functionCounter("lb.retry.budget.refused")).isPositive();
  }

  @Test
  void concurrencyLimits_onlyWhereConfigured_followTheAdaptiveValue_andTheWaiters() {
    assertThat(registry.find("lb.concurrency.limit").gauges()).isEmpty();
    bind();
    // The default balancer has no limit: no limit meters at all.
    assertThat(registry.find("lb.concurrency.limit").gauges()).isEmpty();
    assertThat(registry.find("lb.endpoint.concurrency.limit").gauges()).isEmpty();

    balancer.close();
    balancer =
        LoadBalancer.builder()
            .name("users")
            .ticker(ticker)
            .scheduler(scheduler)
            .outlierDetection(OutlierDetection.disabled())
            .concurrencyLimitPerEndpoint(
                ConcurrencyLimits.vegas().initialLimit(4).probeSamples(1).build())
            .concurrencyLimit(ConcurrencyLimits.fixed(6))
            .endpoints(List.of(Endpoint.builder("10.0.0.1", 80).id("a").build()))
            .build();
    SimpleMeterRegistry limited = new SimpleMeterRegistry();
    LoadBalancerMetrics.builder(balancer).statsMaxAge(Duration.ZERO).build().bindTo(limited);
    assertThat(limited.get("lb.concurrency.limit").gauge().value()).isEqualTo(6);
    assertThat(limited.get("lb.endpoint.concurrency.limit").tags("endpoint", "a").gauge().value())
        .isEqualTo(4);
    // Full endpoints answering fast without queueing: Vegas raises the endpoint's limit, and
    // the gauge follows it (up to nothing: the balancer-wide 6 is a separate cap).
    for (int round = 0; round < 30; round++) {
      List<Lease> leases = new java.util.ArrayList<>();
      Lease l;
      while ((l = balancer.tryPick(PickContext.none())) != null) {
        leases.add(l);
      }
      ticker.advance(Duration.ofMillis(10));
      leases.forEach(x -> x.onSuccess(10_000_000L));
    }
    double grown =
        limited.get("lb.endpoint.concurrency.limit").tags("endpoint", "a").gauge().value();
    assertThat(grown).isGreaterThan(4);
    assertThat(grown).isEqualTo(balancer.stats().endpoints().get(0).concurrencyLimit());

    List<Lease> held = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      held.add(balancer.pick());
    }
    var waiting = balancer.pickAsync(PickContext.none(), Duration.ofSeconds(1));
    assertThat(limited.get("lb.picks.waiting").gauge().value()).isEqualTo(1);
    held.get(0).onSuccess(1_000_000L);
    assertThat(limited.get("lb.picks.waiting").gauge().value()).isZero();
    waiting.join().onCancel();
  }

  @Test
  void breakerStates_andTransitions() {
    balancer.close();
    balancer =
        LoadBalancer.builder()
            .name("users")
            .ticker(ticker)
            .scheduler(scheduler)
            .outlierDetection(OutlierDetection.disabled())
            .circuitBreakers(
                CircuitBreakerFactory.of(
                    CircuitBreakerConfig.builder()
                        .minimumNumberOfCalls(2)
                        .slidingWindow(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 2)
                        .waitDurationInOpenState(Duration.ofSeconds(5))
                        .build()))
            .endpoints(List.of(Endpoint.builder("10.0.0.1", 80).id("a").build()))
            .build();
    bind();
    assertThat(gauge("lb.endpoint.breaker.state", "endpoint", "a", "state", "closed")).isEqualTo(1);
    balancer.pick().onFailure(1, null);
    balancer.pick().onFailure(1, null);
    scheduler.runDue();
    assertThat(gauge("lb.endpoint.breaker.state", "endpoint", "a", "state", "open")).isEqualTo(1);
    assertThat(gauge("lb.endpoint.breaker.state", "endpoint", "a", "state", "closed")).isZero();
    assertThat(
            registry
                .get("lb.breaker.transitions")
                .tags("from", "closed", "to", "open")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void endpointMeters_followMembership_andCloseRemovesEverything() {
    LoadBalancerMetrics m = bind();
    int perEndpoint = registry.find("lb.calls").tags("endpoint", "a").meters().size();
    assertThat(perEndpoint).isEqualTo(3);
    balancer.removeEndpoint("a");
    assertThat(registry.find("lb.calls").tags("endpoint", "a").meters()).isEmpty();
    assertThat(registry.find("lb.call.duration").tags("endpoint", "a").meters()).isEmpty();
    balancer.addEndpoint(Endpoint.builder("10.0.0.9", 80).id("d").build());
    assertThat(registry.find("lb.calls").tags("endpoint", "d").meters()).hasSize(3);
    assertThat(m.endpointIds()).containsExactlyInAnyOrder("b", "c", "d");
    m.close();
    assertThat(registry.getMeters()).isEmpty();
    m.close(); // idempotent
    balancer.pick().onSuccess(1); // no listener left to record anything
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void churn_tenThousandAdditionsAndRemovals_leakNoMeter() {
    LoadBalancerMetrics m = bind();
    int steady = registry.getMeters().size();
    for (int i = 0; i < 10_000; i++) {
      String id = "churn-" + i;
      balancer.addEndpoint(
          Endpoint.builder("10.1." + (i / 250) + "." + (i % 250), 80).id(id).build());
      balancer
          .pick(PickContext.builder().exclude("a").exclude("b").exclude("c").build())
          .onSuccess(1_000);
      balancer.removeEndpoint(id);
      scheduler.runDue(); // the drain of an idle endpoint ends at once
    }
    assertThat(m.endpointsWithMeters()).isEqualTo(3);
    assertThat(registry.find("lb.calls.in.flight").meters()).hasSize(3);
    // Event counters (health changes on removal) may appear once; nothing grows per endpoint.
    assertThat(registry.getMeters().size()).isLessThanOrEqualTo(steady + 4);
    assertThat(balancer.stats().endpoints()).hasSize(3);
  }

  @Test
  void options_validated_andBindingTwiceFails() {
    LoadBalancerMetrics m = bind();
    assertThatThrownBy(() -> m.bindTo(new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("users");
    assertThatThrownBy(() -> LoadBalancerMetrics.builder(balancer).percentiles(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("percentiles must be in [0, 1] but one was 1.5");
    assertThatThrownBy(
            () -> LoadBalancerMetrics.builder(balancer).statsMaxAge(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statsMaxAge");
    assertThatThrownBy(() -> LoadBalancerMetrics.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("balancer");
  }

  @Test
  void monitor_bindsWithDefaults_andCachesStatsBetweenEvents() {
    LoadBalancerMetrics m =
        LoadBalancerMetrics.builder(balancer)
            .percentileHistogram(true)
            .serviceLevelObjectives(Duration.ofMillis(10))
            .build();
    m.bindTo(registry);
    assertThat(registry.get("lb.calls.in.flight").tags("endpoint", "a").gauge().value()).isZero();
    LoadBalancerMetrics other = LoadBalancerMetrics.monitor(new SimpleMeterRegistry(), balancer);
    other.close();
    m.close();
  }

  @Test
  void ejectionCause_fromEachDetectorsReason() {
    assertThat(LoadBalancerMetrics.ejectionCause("5 consecutive failures"))
        .isEqualTo("consecutive_failures");
    assertThat(
            LoadBalancerMetrics.ejectionCause(
                "success rate 40.0% below the group's threshold 80.0%"))
        .isEqualTo("success_rate");
    assertThat(LoadBalancerMetrics.ejectionCause("failure percentage 90.0%"))
        .isEqualTo("failure_percentage");
    assertThat(LoadBalancerMetrics.ejectionCause("something new")).isEqualTo("other");
  }
}
