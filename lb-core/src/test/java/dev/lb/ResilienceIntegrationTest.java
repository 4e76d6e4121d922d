package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.HealthFixture.fail;
import static dev.lb.testing.HealthFixture.leaseOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.HealthStatus;
import dev.lb.limit.RateLimiters;
import dev.lb.retry.RetryBudget;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Breakers, rate limiters and the retry budget inside a balancer. */
class ResilienceIntegrationTest {
  private final HealthFixture f = new HealthFixture();

  private LoadBalancer withBreakers(int n) {
    CircuitBreakerConfig config =
        CircuitBreakerConfig.builder()
            .slidingWindow(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
            .minimumNumberOfCalls(4)
            .failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(10))
            .permittedNumberOfCallsInHalfOpenState(2)
            .build();
    return f.builder(endpoints(n)).circuitBreakers(CircuitBreakerFactory.of(config)).build();
  }

  private static CircuitBreaker.State breaker(LoadBalancer lb, String id) {
    return lb.stats().endpoints().stream()
        .filter(e -> e.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow()
        .breakerState();
  }

  @Test
  void openBreaker_takesTheEndpointOutOfPicking_thenHalfOpenAdmitsExactlyItsProbes() {
    LoadBalancer lb = withBreakers(3);
    fail(lb, "e1", 4);
    f.scheduler.runDue();
    assertThat(breaker(lb, "e1")).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(HealthFixture.spread(lb, 100)).containsEntry("e1", 0);
    assertThat(f.events.events()).contains("e1 HEALTHY->UNHEALTHY");

    f.scheduler.advance(Duration.ofMillis(10_001)); // wait over: e1 is back in the pool, for probes
    List<Lease> onE1 = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Lease lease = lb.pick();
      if (lease.endpoint().id().equals("e1")) {
        onE1.add(lease); // probes stay in flight
      } else {
        lease.onSuccess(1);
      }
    }
    assertThat(onE1).hasSize(2); // exactly the permitted probes
    assertThat(breaker(lb, "e1")).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    onE1.forEach(l -> l.onSuccess(1));
    f.scheduler.runDue();
    assertThat(breaker(lb, "e1")).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(HealthFixture.spread(lb, 30)).containsEntry("e1", 10);
  }

  @Test
  void halfOpenBreakerOutOfProbes_pickFailsAwaitingProbes_thenTheEndpointIsBack() {
    LoadBalancer lb = withBreakers(1);
    fail(lb, "e0", 4);
    f.scheduler.advance(Duration.ofMillis(10_001));
    Lease probe1 = lb.pick();
    Lease probe2 = lb.pick(); // both permitted probes in flight

    assertThatThrownBy(lb::pick)
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.AWAITING_PROBES);
              assertThat(e).hasMessageContaining("have all their probes in flight");
            });

    probe1.onSuccess(1);
    probe2.onSuccess(1);
    f.scheduler.runDue();
    assertThat(breaker(lb, "e0")).isEqualTo(CircuitBreaker.State.CLOSED);
    lb.pick().onSuccess(1);
  }

  @Test
  void cancelledLease_releasesItsBreakerPermission() {
    LoadBalancer lb = withBreakers(2);
    fail(lb, "e0", 4);
    f.scheduler.advance(Duration.ofMillis(10_001));
    Lease probe = leaseOn(lb, "e0");
    Lease probe2 = leaseOn(lb, "e0");
    probe.onCancel(); // a probe abandoned before its outcome gives its permission back
    Lease again = leaseOn(lb, "e0");
    assertThat(again.endpoint().id()).isEqualTo("e0");
    probe2.onSuccess(1);
    again.onSuccess(1);
    f.scheduler.runDue();
    assertThat(breaker(lb, "e0")).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void rateLimitedEndpoint_isSkipped_andRejectionsShowInStats() {
    LoadBalancer lb =
        f.builder(endpoints(2))
            .rateLimiters(
                (endpoint, ticker) ->
                    RateLimiters.fixedWindow(
                            endpoint.id().equals("e0") ? 5 : 1000, Duration.ofSeconds(1))
                        .ticker(ticker)
                        .build())
            .build();
    Map<String, Integer> spread = HealthFixture.spread(lb, 100);
    assertThat(spread).containsEntry("e0", 5).containsEntry("e1", 95);
    assertThat(lb.stats().endpoints().get(0).limiterRejections()).isPositive();
    f.ticker.advance(Duration.ofSeconds(1));
    assertThat(HealthFixture.spread(lb, 4)).containsEntry("e0", 2);
  }

  @Test
  void retryBudget_remainingShowsInStats_andExhaustionReachesListeners() {
    RetryBudget budget =
        RetryBudget.builder().percentCanRetry(0).minRetriesPerSecond(0).ticker(f.ticker).build();
    List<String> heard = new ArrayList<>();
    LoadBalancer lb =
        f.builder(endpoints(1))
            .retryBudget(budget)
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onRetryBudgetExhausted(LoadBalancer b, RetryBudget r) {
                    heard.add("exhausted");
                  }
                })
            .build();
    assertThat(lb.retryBudget()).isSameAs(budget);
    assertThat(lb.stats().retryBudgetRemaining()).isEqualTo(budget.remaining());
    assertThat(budget.tryWithdraw()).isFalse();
    assertThat(heard).containsExactly("exhausted");
    assertThat(lb.stats().toTable()).contains("retry budget 0");
  }
}
