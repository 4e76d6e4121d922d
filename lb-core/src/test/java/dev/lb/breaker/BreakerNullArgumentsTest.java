package dev.lb.breaker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.testing.FakeTicker;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of the breaker package that takes a required reference: a
 * null throws {@link NullPointerException} whose message names the parameter.
 */
class BreakerNullArgumentsTest {
  static Stream<Arguments> nullArguments() {
    FakeTicker ticker = new FakeTicker();
    CircuitBreakerConfig config = CircuitBreakerConfig.ofDefaults();
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.builder();
    CircuitBreaker breaker = CircuitBreaker.of("a", config, ticker);
    return Stream.of(
        call("CircuitBreaker.of: name", "name", () -> CircuitBreaker.of(null, config, ticker)),
        call("CircuitBreaker.of: config", "config", () -> CircuitBreaker.of("a", null, ticker)),
        call("CircuitBreaker.of: ticker", "ticker", () -> CircuitBreaker.of("a", config, null)),
        call("CircuitBreaker.addListener", "listener", () -> breaker.addListener(null)),
        call("CircuitBreakerFactory.of(config)", "config", () -> CircuitBreakerFactory.of(null)),
        call(
            "CircuitBreakerMetrics(state, ...)",
            "state",
            () -> new CircuitBreakerMetrics(null, -1, -1, 0, 0, 0, 0)),
        call(
            "CircuitBreakerConfig.Builder.slowCallDurationThreshold",
            "slowCallDurationThreshold",
            () -> b.slowCallDurationThreshold(null)),
        call(
            "CircuitBreakerConfig.Builder.slidingWindow",
            "slidingWindowType",
            () -> b.slidingWindow(null, 10)),
        call(
            "CircuitBreakerConfig.Builder.waitDurationInOpenState",
            "waitDurationInOpenState",
            () -> b.waitDurationInOpenState(null)),
        call(
            "CircuitBreakerConfig.Builder.maxWaitDurationInHalfOpenState",
            "maxWaitDurationInHalfOpenState",
            () -> b.maxWaitDurationInHalfOpenState(null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void nullArguments(ThrowingCallable call, String parameter) {
    assertThatThrownBy(call)
        .isInstanceOf(NullPointerException.class)
        .hasMessage(parameter + " must not be null");
  }

  private static Arguments call(String method, String parameter, ThrowingCallable call) {
    return Arguments.of(Named.of(method, call), parameter);
  }
}
