package dev.lb.retry;

import static dev.lb.retry.FailureKind.CONNECT_FAILED;
import static dev.lb.retry.FailureKind.OTHER;
import static dev.lb.retry.FailureKind.REFUSED_UNPROCESSED;
import static dev.lb.retry.FailureKind.TIMEOUT;
import static dev.lb.retry.FailureKind.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.retry.RetryDecision.Outcome;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final long MS = 1_000_000L;
  private final FakeTicker ticker = new FakeTicker();

  private RetryPolicy.Builder policy() {
    return RetryPolicy.builder()
        .backoff(Backoff.exponential(Duration.ofMillis(25), Duration.ofMillis(250)))
        .budget(RetryBudget.unlimited());
  }

  @Test
  void retryable_dependsOnKindAndIdempotency() {
    RetryPolicy strict = policy().build();
    assertThat(strict.isRetryable(CONNECT_FAILED, false)).isTrue();
    assertThat(strict.isRetryable(REFUSED_UNPROCESSED, false)).isTrue();
    assertThat(strict.isRetryable(TIMEOUT, false)).isFalse();
    assertThat(strict.isRetryable(UNAVAILABLE, false)).isFalse();
    assertThat(strict.isRetryable(TIMEOUT, true)).isTrue();
    assertThat(strict.isRetryable(UNAVAILABLE, true)).isTrue();
    assertThat(strict.isRetryable(OTHER, true)).isFalse();

    RetryPolicy optedIn = policy().retryNonIdempotent(true).build();
    assertThat(optedIn.isRetryable(TIMEOUT, false)).isTrue();
    assertThat(optedIn.isRetryable(UNAVAILABLE, false)).isTrue();
    assertThat(optedIn.isRetryable(OTHER, false)).isFalse();
    assertThat(optedIn.retryNonIdempotent()).isTrue();
  }

  @Test
  void call_retriesOnNewEndpointsUntilAttemptsRunOut() {
    RetryCall call = policy().maxAttempts(3).build().newCall(true);
    call.onAttempt("e0");
    RetryDecision first = call.onFailure(UNAVAILABLE);
    assertThat(first.shouldRetry()).isTrue();
    assertThat(first.delay()).isEqualTo(Duration.ofMillis(25));
    assertThat(call.hasTried("e0")).isTrue();
    assertThat(call.hasTried("e1")).isFalse();

    call.onAttempt("e1");
    assertThat(call.onFailure(TIMEOUT).delayNanos()).isEqualTo(50 * MS);
    call.onAttempt("e2");
    RetryDecision last = call.onFailure(CONNECT_FAILED);
    assertThat(last.outcome()).isEqualTo(Outcome.ATTEMPTS_EXHAUSTED);
    assertThat(last.shouldRetry()).isFalse();
    assertThat(last.delayNanos()).isZero();
    assertThat(call.triedEndpointIds()).containsExactly("e0", "e1", "e2");
    assertThat(call.attempts()).isEqualTo(3);
    assertThatThrownBy(() -> call.onAttempt("e3"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("attempt 4 exceeds maxAttempts 3");
  }

  @Test
  void call_sameEndpointTwice_isListedOnce() {
    RetryCall call = policy().build().newCall(true);
    call.onAttempt("e0");
    call.onFailure(CONNECT_FAILED);
    call.onAttempt("e0"); // the only endpoint left
    assertThat(call.triedEndpointIds()).containsExactly("e0");
    assertThat(call.attempts()).isEqualTo(2);
  }

  @Test
  void nonIdempotentTimeout_isNotRetried_andDrawsNothingFromTheBudget() {
    RetryBudget budget =
        RetryBudget.builder().minRetriesPerSecond(1).percentCanRetry(0).ticker(ticker).build();
    RetryCall call = policy().budget(budget).build().newCall(false);
    assertThat(call.idempotent()).isFalse();
    call.onAttempt("e0");
    assertThat(call.onFailure(TIMEOUT).outcome()).isEqualTo(Outcome.NOT_RETRYABLE);
    assertThat(call.onFailure(OTHER).outcome()).isEqualTo(Outcome.NOT_RETRYABLE);
    assertThat(budget.remaining()).isEqualTo(10);
    assertThat(call.onFailure(CONNECT_FAILED).shouldRetry()).isTrue();
    assertThat(budget.remaining()).isEqualTo(9);
  }

  @Test
  void exhaustedBudget_stopsRetries() {
    RetryBudget budget =
        RetryBudget.builder().minRetriesPerSecond(0).percentCanRetry(0.5).ticker(ticker).build();
    RetryPolicy p = policy().maxAttempts(5).budget(budget).build();
    RetryCall a = p.newCall(true); // deposits half a retry
    RetryCall b = p.newCall(true); // and another half: one retry in all
    a.onAttempt("e0");
    b.onAttempt("e1");
    assertThat(a.onFailure(CONNECT_FAILED).shouldRetry()).isTrue();
    RetryDecision refused = b.onFailure(CONNECT_FAILED);
    assertThat(refused.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(refused.toString()).isEqualTo("BUDGET_EXHAUSTED");
  }

  @Test
  void defaults_threeAttemptsJitteredBackoffAndAFinagleBudget() {
    RetryPolicy p = RetryPolicy.builder().build();
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.retryNonIdempotent()).isFalse();
    assertThat(p.budget().percentCanRetry()).isEqualTo(0.2);
    assertThat(p.backoff().toString()).isEqualTo("Backoff{FULL, base=25000000ns, max=250000000ns}");
    RetryCall call = p.newCall(true);
    call.onAttempt("e0");
    RetryDecision d = call.onFailure(CONNECT_FAILED);
    assertThat(d.shouldRetry()).isTrue();
    assertThat(d.delay()).isBetween(Duration.ZERO, Duration.ofMillis(25));
    assertThat(d.toString()).startsWith("RETRY after PT");
    assertThat(p.toString()).startsWith("RetryPolicy{maxAttempts=3, backoff=Backoff{FULL");
    assertThat(call.toString()).isEqualTo("RetryCall{attempts=1, tried=[e0]}");
  }

  @Test
  void decorrelatedBackoff_seesThePreviousDelay() {
    RetryPolicy p =
        policy()
            .maxAttempts(10)
            .backoff((retry, previous) -> previous + retry * MS) // records its inputs
            .build();
    RetryCall call = p.newCall(true);
    long expected = 0;
    for (int retry = 1; retry <= 5; retry++) {
      call.onAttempt("e" + retry);
      expected += retry * MS;
      assertThat(call.onFailure(CONNECT_FAILED).delayNanos()).isEqualTo(expected);
    }
  }

  @Test
  void invalidArguments_areRejected() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be in 1..100 but was 0");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("backoff must not be null");
    assertThatThrownBy(() -> RetryPolicy.builder().budget(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("budget must not be null");
    RetryCall call = policy().build().newCall(true);
    assertThatThrownBy(() -> call.onAttempt(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("endpointId must not be null");
    assertThatThrownBy(() -> call.onFailure(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("kind must not be null");
    assertThatThrownBy(() -> RetryDecision.giveUp(Outcome.RETRY))
        .hasMessage("not a reason to give up: RETRY");
    assertThat(FailureKind.CONNECT_FAILED.provesNothingProcessed()).isTrue();
    assertThat(FailureKind.TIMEOUT.provesNothingProcessed()).isFalse();
  }
}
