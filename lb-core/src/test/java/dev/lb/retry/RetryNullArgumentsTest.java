package dev.lb.retry;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of the retry package that takes a required reference: a
 * null throws {@link NullPointerException} whose message names the parameter.
 */
class RetryNullArgumentsTest {
  private static final Duration BASE = Duration.ofMillis(25);
  private static final Duration MAX = Duration.ofMillis(250);

  static Stream<Arguments> nullArguments() {
    RetryBudget budget = RetryBudget.builder().build();
    RetryPolicy policy = RetryPolicy.builder().budget(RetryBudget.unlimited()).build();
    RetryCall call = policy.newCall(true);
    SplittableRandom random = new SplittableRandom(1);
    return Stream.of(
        call("Backoff.fixed(delay)", "delay", () -> Backoff.fixed(null)),
        call("Backoff.exponential(base, max): base", "base", () -> Backoff.exponential(null, MAX)),
        call("Backoff.exponential(base, max): max", "max", () -> Backoff.exponential(BASE, null)),
        call("Backoff.fullJitter(base, max): base", "base", () -> Backoff.fullJitter(null, MAX)),
        call("Backoff.fullJitter(base, max): max", "max", () -> Backoff.fullJitter(BASE, null)),
        call(
            "Backoff.fullJitter(base, max, random): random",
            "random",
            () -> Backoff.fullJitter(BASE, MAX, null)),
        call(
            "Backoff.decorrelatedJitter(base, max): base",
            "base",
            () -> Backoff.decorrelatedJitter(null, MAX)),
        call(
            "Backoff.decorrelatedJitter(base, max): max",
            "max",
            () -> Backoff.decorrelatedJitter(BASE, null)),
        call(
            "Backoff.decorrelatedJitter(base, max, random): base",
            "base",
            () -> Backoff.decorrelatedJitter(null, MAX, random)),
        call(
            "Backoff.decorrelatedJitter(base, max, random): random",
            "random",
            () -> Backoff.decorrelatedJitter(BASE, MAX, null)),
        call("RetryBudget.addListener", "listener", () -> budget.addListener(null)),
        call("RetryBudget.Builder.ttl", "ttl", () -> RetryBudget.builder().ttl(null)),
        call("RetryBudget.Builder.ticker", "ticker", () -> RetryBudget.builder().ticker(null)),
        call(
            "RetryPolicy.isRetryable(kind, idempotent)",
            "kind",
            () -> policy.isRetryable(null, true)),
        call("RetryPolicy.Builder.backoff", "backoff", () -> RetryPolicy.builder().backoff(null)),
        call("RetryPolicy.Builder.budget", "budget", () -> RetryPolicy.builder().budget(null)),
        call("RetryCall.onAttempt(endpointId)", "endpointId", () -> call.onAttempt(null)),
        call("RetryCall.onFailure(kind)", "kind", () -> call.onFailure(null)));
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
