package dev.lb.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.Ticker;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.breaker.CircuitBreakerListener;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Resilience4jCircuitBreakersTest {
  private static final Endpoint A = Endpoint.builder("10.0.0.1", 80).id("a").build();
  private static final Endpoint B = Endpoint.builder("10.0.0.2", 80).id("b").build();
  private static final Ticker TICKER = () -> 0;

  private static CircuitBreakerConfig fourCalls() {
    return CircuitBreakerConfig.custom()
        .slidingWindowSize(4)
        .minimumNumberOfCalls(4)
        .waitDurationInOpenState(Duration.ofSeconds(7))
        .build();
  }

  @Test
  void factory_takesOneBreakerPerEndpointIdFromTheRegistry() {
    CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(fourCalls());
    CircuitBreakerFactory factory = Resilience4jCircuitBreakers.factory(registry);
    CircuitBreaker a = factory.create(A, TICKER);
    CircuitBreaker b = factory.create(B, TICKER);
    for (int i = 0; i < 4; i++) {
      a.onFailure(1, null); // no cause: the adapter supplies one
    }
    assertThat(a.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(registry.circuitBreaker("a").getState())
        .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN);
    assertThat(factory.create(A, TICKER).state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(a.name()).isEqualTo("a");
    assertThat(a.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(7));
    assertThat(a.metrics().failedCalls()).isEqualTo(4);
    assertThat(a.metrics().failureRate()).isEqualTo(100f);
    assertThat(a.toString()).isEqualTo("Resilience4jCircuitBreaker{a, OPEN}");
  }

  @Test
  void factory_withANamedConfiguration() {
    CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
    registry.addConfiguration("strict", fourCalls());
    CircuitBreaker a = Resilience4jCircuitBreakers.factory(registry, "strict").create(A, TICKER);
    for (int i = 0; i < 4; i++) {
      a.onFailure(1, new RuntimeException());
    }
    assertThat(a.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(a.tryAcquirePermission()).isFalse();
  }

  @Test
  void listeners_hearTransitionsAndRefusals_andMetricsOnlyReadsAsDisabled() {
    io.github.resilience4j.circuitbreaker.CircuitBreaker r4j =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of("x", fourCalls());
    CircuitBreaker breaker = Resilience4jCircuitBreakers.wrap(r4j);
    List<String> events = new ArrayList<>();
    CircuitBreakerListener listener =
        new CircuitBreakerListener() {
          @Override
          public void onStateTransition(
              CircuitBreaker b, CircuitBreaker.State from, CircuitBreaker.State to) {
            events.add(from + "->" + to);
          }

          @Override
          public void onCallNotPermitted(CircuitBreaker b) {
            events.add("refused");
          }
        };
    breaker.addListener(
        new CircuitBreakerListener() {
          @Override
          public void onStateTransition(
              CircuitBreaker b, CircuitBreaker.State from, CircuitBreaker.State to) {
            throw new IllegalStateException("listener bug");
          }
        });
    breaker.addListener(listener);
    r4j.transitionToOpenState();
    assertThat(breaker.tryAcquirePermission()).isFalse();
    breaker.forceOpen();
    breaker.forceOpen(); // already forced: nothing happens
    // resilience4j publishes no refusal events while forced open or disabled
    assertThat(breaker.tryAcquirePermission()).isFalse();
    r4j.transitionToMetricsOnlyState();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.DISABLED);
    breaker.disable(); // METRICS_ONLY -> DISABLED reads as no change
    breaker.disable();
    assertThat(breaker.removeListener(listener)).isTrue();
    breaker.reset();
    assertThat(events)
        .containsExactly("CLOSED->OPEN", "refused", "OPEN->FORCED_OPEN", "FORCED_OPEN->DISABLED");
    assertThatThrownBy(() -> breaker.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
  }

  @Test
  void releasePermission_givesAHalfOpenProbeBack() {
    io.github.resilience4j.circuitbreaker.CircuitBreaker r4j =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of(
            "x", CircuitBreakerConfig.custom().permittedNumberOfCallsInHalfOpenState(1).build());
    r4j.transitionToOpenState();
    r4j.transitionToHalfOpenState();
    CircuitBreaker breaker = Resilience4jCircuitBreakers.wrap(r4j);
    assertThat(breaker.tryAcquirePermission()).isTrue();
    assertThat(breaker.tryAcquirePermission()).isFalse();
    breaker.releasePermission();
    assertThat(breaker.tryAcquirePermission()).isTrue();
    breaker.onSuccess(1);
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void clockOf_readsTheTicker() {
    long[] now = {1_500_000_000L};
    Clock clock = Resilience4jCircuitBreakers.clockOf(() -> now[0]);
    assertThat(clock.instant()).isEqualTo(Instant.ofEpochSecond(1, 500_000_000));
    assertThat(clock.millis()).isEqualTo(1500);
    now[0] = -1;
    assertThat(clock.instant()).isEqualTo(Instant.ofEpochSecond(0, -1));
    assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
    assertThat(clock.withZone(ZoneOffset.ofHours(2)).getZone()).isEqualTo(ZoneOffset.ofHours(2));
  }

  @Test
  void badArguments_areRejected() {
    assertThatThrownBy(() -> Resilience4jCircuitBreakers.wrap(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("breaker must not be null");
    assertThatThrownBy(() -> Resilience4jCircuitBreakers.factory(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("registry must not be null");
    assertThatThrownBy(() -> Resilience4jCircuitBreakers.factory(null, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("registry must not be null");
    assertThatThrownBy(
            () -> Resilience4jCircuitBreakers.factory(CircuitBreakerRegistry.ofDefaults(), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("configName must not be null");
    assertThatThrownBy(
            () -> Resilience4jCircuitBreakers.factory(CircuitBreakerRegistry.ofDefaults(), " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("configName must not be blank but was ' '");
    assertThatThrownBy(() -> Resilience4jCircuitBreakers.clockOf(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
    assertThatThrownBy(() -> Resilience4jCircuitBreakers.clockOf(() -> 0L).withZone(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("zone must not be null");
  }
}
