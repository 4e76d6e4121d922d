package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of {@link RateLimiters} and {@link RateLimiter} that takes
 * a required reference, for every algorithm: a null throws {@link NullPointerException} whose
 * message names the parameter.
 */
class LimitNullArgumentsTest {
  private static final Duration SECOND = Duration.ofSeconds(1);

  static Stream<Arguments> nullArguments() {
    return Stream.of(
        call(
            "RateLimiters.tokenBucket(permits, period)",
            "period",
            () -> RateLimiters.tokenBucket(1, null)),
        call(
            "RateLimiters.leakyBucket(permits, period)",
            "period",
            () -> RateLimiters.leakyBucket(1, null)),
        call(
            "RateLimiters.fixedWindow(permits, period)",
            "period",
            () -> RateLimiters.fixedWindow(1, null)),
        call(
            "RateLimiters.slidingWindow(permits, period)",
            "period",
            () -> RateLimiters.slidingWindow(1, null)),
        call(
            "RateLimiters.Builder.ticker",
            "ticker",
            () -> RateLimiters.tokenBucket(1, SECOND).ticker(null)),
        call(
            "RateLimiters.Builder.sleeper",
            "sleeper",
            () -> RateLimiters.tokenBucket(1, SECOND).sleeper(null)),
        call(
            "TokenBucket.tryAcquire(permits, timeout)",
            "timeout",
            () -> RateLimiters.tokenBucket(1, SECOND).build().tryAcquire(1, null)),
        call(
            "LeakyBucket.tryAcquire(permits, timeout)",
            "timeout",
            () -> RateLimiters.leakyBucket(1, SECOND).build().tryAcquire(1, null)),
        call(
            "FixedWindow.tryAcquire(permits, timeout)",
            "timeout",
            () -> RateLimiters.fixedWindow(1, SECOND).build().tryAcquire(1, null)),
        call(
            "SlidingWindow.tryAcquire(permits, timeout)",
            "timeout",
            () -> RateLimiters.slidingWindow(1, SECOND).build().tryAcquire(1, null)));
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
