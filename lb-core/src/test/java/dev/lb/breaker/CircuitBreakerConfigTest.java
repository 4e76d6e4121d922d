package dev.lb.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.breaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerConfigTest {
  @Test
  void defaults_matchResilience4j() {
    CircuitBreakerConfig c = CircuitBreakerConfig.ofDefaults();
    assertThat(c.failureRateThreshold()).isEqualTo(50f);
    assertThat(c.slowCallRateThreshold()).isEqualTo(100f);
    assertThat(c.slowCallDurationThreshold()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.slidingWindowType()).isEqualTo(SlidingWindowType.COUNT_BASED);
    assertThat(c.slidingWindowSize()).isEqualTo(100);
    assertThat(c.minimumNumberOfCalls()).isEqualTo(100);
    assertThat(c.consecutiveFailureThreshold()).isZero();
    assertThat(c.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.permittedNumberOfCallsInHalfOpenState()).isEqualTo(10);
    assertThat(c.maxWaitDurationInHalfOpenState()).isEqualTo(Duration.ZERO);
  }

  @Test
  void toBuilder_copiesEveryOption() {
    CircuitBreakerConfig c =
        CircuitBreakerConfig.builder()
            .failureRateThreshold(25)
            .slowCallRateThreshold(75)
            .slowCallDurationThreshold(Duration.ofMillis(300))
            .slidingWindow(SlidingWindowType.TIME_BASED, 30)
            .minimumNumberOfCalls(7)
            .consecutiveFailureThreshold(5)
            .waitDurationInOpenState(Duration.ofSeconds(3))
            .permittedNumberOfCallsInHalfOpenState(2)
            .maxWaitDurationInHalfOpenState(Duration.ofSeconds(9))
            .build();
    assertThat(c.toBuilder().build().toString()).isEqualTo(c.toString());
    assertThat(c.toString())
        .isEqualTo(
            "CircuitBreakerConfig{failureRateThreshold=25.0, slowCallRateThreshold=75.0,"
                + " slowCallDurationThreshold=PT0.3S, slidingWindow=TIME_BASED 30,"
                + " minimumNumberOfCalls=7, consecutiveFailureThreshold=5,"
                + " waitDurationInOpenState=PT3S, permittedNumberOfCallsInHalfOpenState=2,"
                + " maxWaitDurationInHalfOpenState=PT9S}");
  }

  @Test
  void builder_rejectsBadValues_namingTheOptionAndValue() {
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.builder();
    assertThatThrownBy(() -> b.failureRateThreshold(0))
        .hasMessage("failureRateThreshold must be in (0, 100] but was 0.0");
    assertThatThrownBy(() -> b.slowCallRateThreshold(100.5))
        .hasMessage("slowCallRateThreshold must be in (0, 100] but was 100.5");
    assertThatThrownBy(() -> b.failureRateThreshold(Double.NaN))
        .hasMessage("failureRateThreshold must be in (0, 100] but was NaN");
    assertThatThrownBy(() -> b.slowCallDurationThreshold(Duration.ZERO))
        .hasMessage("slowCallDurationThreshold must be positive but was PT0S");
    assertThatThrownBy(() -> b.waitDurationInOpenState(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("waitDurationInOpenState must not be null");
    assertThatThrownBy(() -> b.slidingWindow(SlidingWindowType.COUNT_BASED, 0))
        .hasMessage("slidingWindowSize must be in 1..1048576 for COUNT_BASED but was 0");
    assertThatThrownBy(() -> b.slidingWindow(SlidingWindowType.TIME_BASED, 3601))
        .hasMessage("slidingWindowSize must be in 1..3600 for TIME_BASED but was 3601");
    assertThatThrownBy(() -> b.slidingWindow(null, 10))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("slidingWindowType must not be null");
    assertThatThrownBy(() -> b.minimumNumberOfCalls(0))
        .hasMessage("minimumNumberOfCalls must be at least 1 but was 0");
    assertThatThrownBy(() -> b.consecutiveFailureThreshold(-1))
        .hasMessage("consecutiveFailureThreshold must be 0 or more but was -1");
    assertThatThrownBy(() -> b.permittedNumberOfCallsInHalfOpenState(0))
        .hasMessage("permittedNumberOfCallsInHalfOpenState must be in 1..1048576 but was 0");
    assertThatThrownBy(() -> b.maxWaitDurationInHalfOpenState(Duration.ofSeconds(-1)))
        .hasMessage("maxWaitDurationInHalfOpenState must not be negative but was PT-1S");
    assertThatThrownBy(() -> b.maxWaitDurationInHalfOpenState(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("maxWaitDurationInHalfOpenState must not be null");
  }

  @Test
  void hugeDurations_saturate() {
    CircuitBreakerConfig c =
        CircuitBreakerConfig.builder()
            .waitDurationInOpenState(Duration.ofSeconds(Long.MAX_VALUE))
            .build();
    assertThat(c.waitDurationInOpenState()).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
  }

  @Test
  void metrics_rejectNegativeCounts() {
    assertThatThrownBy(
            () -> new CircuitBreakerMetrics(CircuitBreaker.State.CLOSED, -1, -1, -1, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CircuitBreakerMetrics(null, -1, -1, 0, 0, 0, 0))
        .isInstanceOf(NullPointerException.class);
  }
}
