package dev.lb;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.HealthFixture.fail;
import static dev.lb.testing.HealthFixture.leaseOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.strategy.Strategies;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link LoadBalancer#choose}: the pick's routing decision, with no call counted. */
class ChooseTest {

  @Test
  void choose_followsTheStrategy_andCountsNothing() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(3), 1);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(lb.choose(PickContext.none()).id());
    }
    assertThat(ids.subList(0, 3)).containsExactlyInAnyOrder("e0", "e1", "e2");
    assertThat(ids.subList(3, 6)).isEqualTo(ids.subList(0, 3)); // round robin's cycle
    for (EndpointStats e : lb.stats().endpoints()) {
      assertThat(e.inFlight()).isZero();
      assertThat(e.successes() + e.failures() + e.cancellations()).isZero();
    }
  }

  @Test
  void choose_loadAwareStrategySeesNoCallsFromIt_butSeesLeases() {
    LoadBalancer lb = balancer(Strategies.leastConnections(), endpoints(2), 1);
    Lease held = lb.pick();
    String other = held.endpoint().id().equals("e0") ? "e1" : "e0";
    for (int i = 0; i < 10; i++) {
      assertThat(lb.choose(PickContext.none()).id()).isEqualTo(other);
    }
  }

  @Test
  void choose_skipsDisabledAndExcludedEndpoints() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(3), 1);
    lb.disable("e1");
    PickContext notE0 = PickContext.builder().exclude("e0").build();
    for (int i = 0; i < 20; i++) {
      assertThat(lb.choose(PickContext.none()).id()).isNotEqualTo("e1");
      assertThat(lb.choose(notE0).id()).isEqualTo("e2");
    }
  }

  @Test
  void choose_atTheConcurrencyLimit_skipsFullEndpoints_withoutTakingASlot() {
    LoadBalancer lb =
        LoadBalancer.builder()
            .strategy(Strategies.roundRobin())
            .endpoints(endpoints(2))
            .maxInFlightPerEndpoint(1)
            .build();
    Lease first = lb.pick();
    String free = first.endpoint().id().equals("e0") ? "e1" : "e0";
    for (int i = 0; i < 10; i++) {
      assertThat(lb.choose(PickContext.none()).id()).isEqualTo(free);
    }
    Lease second = lb.pick(); // choose took no slot: the free endpoint still admits a call
    assertThat(second.endpoint().id()).isEqualTo(free);
    assertThatThrownBy(() -> lb.choose(PickContext.none()))
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e -> assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY));
    first.onSuccess(1);
    second.onSuccess(1);
  }

  @Test
  void choose_halfOpenBreaker_takesNoProbePermit() {
    HealthFixture f = new HealthFixture();
    CircuitBreakerConfig config =
        CircuitBreakerConfig.builder()
            .slidingWindow(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
            .minimumNumberOfCalls(4)
            .failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(10))
            .permittedNumberOfCallsInHalfOpenState(1)
            .build();
    LoadBalancer lb =
        f.builder(endpoints(1)).circuitBreakers(CircuitBreakerFactory.of(config)).build();
    fail(lb, "e0", 4);
    f.scheduler.advance(Duration.ofMillis(10_001)); // half-open: one probe permitted
    for (int i = 0; i < 5; i++) {
      assertThat(lb.choose(PickContext.none()).id()).isEqualTo("e0");
    }
    Lease probe = leaseOn(lb, "e0"); // the one probe is still there for a real call
    assertThat(lb.tryPick(PickContext.none())).isNull();
    probe.onSuccess(1);
  }

  @Test
  void choose_noEndpoints_throwsLikePick() {
    LoadBalancer lb = LoadBalancer.builder().name("users").build();
    assertThatThrownBy(() -> lb.choose(PickContext.none()))
        .isInstanceOf(NoEndpointAvailableException.class)
        .hasMessage("no endpoint available in balancer 'users': it has 0 endpoints");
  }
}
