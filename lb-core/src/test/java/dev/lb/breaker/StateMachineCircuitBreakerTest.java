package dev.lb.breaker;

import static dev.lb.breaker.CircuitBreaker.State.CLOSED;
import static dev.lb.breaker.CircuitBreaker.State.DISABLED;
import static dev.lb.breaker.CircuitBreaker.State.FORCED_OPEN;
import static dev.lb.breaker.CircuitBreaker.State.HALF_OPEN;
import static dev.lb.breaker.CircuitBreaker.State.OPEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.breaker.CircuitBreakerConfig.SlidingWindowType;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateMachineCircuitBreakerTest {
  private static final long FAST = Duration.ofMillis(10).toNanos();

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener listener = new RecordingListener();

  private CircuitBreaker breaker(CircuitBreakerConfig config) {
    CircuitBreaker b = CircuitBreaker.of("e0", config, ticker);
    b.addListener(listener);
    return b;
  }

  private static CircuitBreakerConfig.Builder count(int size, int minimum) {
    return CircuitBreakerConfig.builder()
        .slidingWindow(SlidingWindowType.COUNT_BASED, size)
        .minimumNumberOfCalls(minimum)
        .waitDurationInOpenState(Duration.ofSeconds(10))
        .permittedNumberOfCallsInHalfOpenState(3);
  }

  private static void succeed(CircuitBreaker b, int n) {
    for (int i = 0; i < n; i++) {
      b.onSuccess(FAST);
    }
  }

  private static void fail(CircuitBreaker b, int n) {
    for (int i = 0; i < n; i++) {
      b.onFailure(FAST, new IllegalStateException("boom"));
    }
  }

  /** Opens a breaker of {@link #count}(10, 10) by ten failures. */
  private CircuitBreaker opened() {
    CircuitBreaker b = breaker(count(10, 10).build());
    fail(b, 10);
    assertThat(b.state()).isEqualTo(OPEN);
    return b;
  }

  /** Moves an opened breaker to half-open by its first probe permission (taken). */
  private CircuitBreaker halfOpen() {
    CircuitBreaker b = opened();
    ticker.advance(Duration.ofSeconds(10).plusNanos(1));
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.state()).isEqualTo(HALF_OPEN);
    return b;
  }

  @Test
  void closed_failureRateReachesThreshold_opens() {
    CircuitBreaker b = breaker(count(10, 10).build());
    succeed(b, 5);
    fail(b, 4);
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.metrics().failureRate()).isEqualTo(-1f); // 9 calls, minimum 10

    fail(b, 1); // 5 of 10 = 50 %: at the threshold opens

    assertThat(b.state()).isEqualTo(OPEN);
    assertThat(listener.transitions()).containsExactly("CLOSED->OPEN");
    CircuitBreakerMetrics m = b.metrics();
    assertThat(m.state()).isEqualTo(OPEN);
    assertThat(m.calls()).isEqualTo(10);
    assertThat(m.failedCalls()).isEqualTo(5);
    assertThat(m.failureRate()).isEqualTo(50f);
  }

  @Test
  void closed_failureRateJustBelowThreshold_staysClosed() {
    CircuitBreaker b = breaker(count(10, 10).failureRateThreshold(50).build());
    succeed(b, 6);
    fail(b, 4);
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.metrics().failureRate()).isEqualTo(40f);
  }

  @Test
  void closed_belowMinimumCalls_neverOpens() {
    CircuitBreaker b = breaker(count(100, 5).build());
    fail(b, 4);
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.metrics().failureRate()).isEqualTo(-1f);
    fail(b, 1);
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void countWindow_minimumAboveWindowSize_actsAsWindowSize() {
    CircuitBreaker b = breaker(count(4, 100).build());
    fail(b, 4);
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void countWindow_oldestOutcomeSlidesOut() {
    CircuitBreaker b = breaker(count(4, 4).failureRateThreshold(75).build());
    fail(b, 2);
    succeed(b, 2); // [F F S S] 50 %
    assertThat(b.metrics().failureRate()).isEqualTo(50f);
    succeed(b, 1); // [F S S S] 25 %
    assertThat(b.metrics().failureRate()).isEqualTo(25f);
    fail(b, 2); // [S S F F] 50 %
    assertThat(b.metrics().failureRate()).isEqualTo(50f);
    assertThat(b.state()).isEqualTo(CLOSED);
    fail(b, 1); // [S F F F] 75 %
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void timeWindow_callsOfAdjacentSecondsAddUp_opens() {
    CircuitBreaker b =
        breaker(
            CircuitBreakerConfig.builder()
                .slidingWindow(SlidingWindowType.TIME_BASED, 2)
                .minimumNumberOfCalls(3)
                .build());
    fail(b, 1);
    ticker.advanceMillis(1000);
    succeed(b, 1);
    assertThat(b.metrics().calls()).isEqualTo(2);
    fail(b, 1); // 2 of 3 over seconds 1 and 2
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void timeWindow_outcomesOlderThanWindow_expire() {
    CircuitBreaker b =
        breaker(
            CircuitBreakerConfig.builder()
                .slidingWindow(SlidingWindowType.TIME_BASED, 2)
                .minimumNumberOfCalls(3)
                .build());
    fail(b, 2);
    ticker.advanceMillis(1999); // still the window's second second
    assertThat(b.metrics().calls()).isEqualTo(2);
    ticker.advanceMillis(1); // the failures' second has left the window
    assertThat(b.metrics().calls()).isZero();
    succeed(b, 2);
    fail(b, 1); // 1 of 3
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.metrics().failureRate()).isEqualTo(100f / 3);
    ticker.advance(Duration.ofHours(2)); // far beyond the window: everything expires
    assertThat(b.metrics().calls()).isZero();
  }

  @Test
  void closed_slowCallRateReachesThreshold_opens() {
    CircuitBreaker b =
        breaker(
            count(4, 4)
                .slowCallDurationThreshold(Duration.ofMillis(100))
                .slowCallRateThreshold(50)
                .build());
    long threshold = Duration.ofMillis(100).toNanos();
    b.onSuccess(threshold); // exactly at the threshold: not slow
    b.onSuccess(FAST);
    b.onSuccess(threshold + 1);
    assertThat(b.metrics().slowCalls()).isEqualTo(1);
    assertThat(b.state()).isEqualTo(CLOSED);
    b.onFailure(threshold + 1, null); // slow failures count as slow too; 2 of 4 slow
    assertThat(b.state()).isEqualTo(OPEN);
    assertThat(b.metrics().slowCallRate()).isEqualTo(50f);
  }

  @Test
  void closed_consecutiveFailures_openWhateverTheRate() {
    CircuitBreaker b = breaker(count(100, 100).consecutiveFailureThreshold(3).build());
    fail(b, 2);
    succeed(b, 1); // breaks the run
    fail(b, 2);
    assertThat(b.state()).isEqualTo(CLOSED);
    fail(b, 1);
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void open_rejectsUntilStrictlyAfterTheWait_thenMovesToHalfOpen() {
    CircuitBreaker b = opened();
    assertThat(b.tryAcquirePermission()).isFalse();
    ticker.advance(Duration.ofSeconds(10));
    assertThat(b.tryAcquirePermission()).isFalse(); // exactly at the end: still open
    assertThat(b.state()).isEqualTo(OPEN);
    ticker.advance(Duration.ofNanos(1));
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.state()).isEqualTo(HALF_OPEN);
    assertThat(listener.transitions()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
    assertThat(listener.notPermitted()).isEqualTo(2);
    assertThat(b.metrics().notPermittedCalls()).isEqualTo(2);
    assertThat(b.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void open_outcomesOfEarlierCalls_changeNothing() {
    CircuitBreaker b = opened();
    succeed(b, 50);
    assertThat(b.state()).isEqualTo(OPEN);
    assertThat(b.metrics().calls()).isEqualTo(10);
  }

  @Test
  void halfOpen_admitsExactlyThePermittedProbes() {
    CircuitBreaker b = halfOpen();
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.state()).isEqualTo(HALF_OPEN);
  }

  @Test
  void halfOpen_probesBelowThreshold_close() {
    CircuitBreaker b = halfOpen();
    b.tryAcquirePermission();
    b.tryAcquirePermission();
    succeed(b, 2);
    assertThat(b.state()).isEqualTo(HALF_OPEN); // waits for all three
    assertThat(b.metrics().failureRate()).isEqualTo(-1f);
    fail(b, 1); // 1 of 3 = 33 %
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(listener.transitions())
        .containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    assertThat(b.metrics().calls()).isZero(); // a fresh window
  }

  @Test
  void halfOpen_probesAtThreshold_reopenForAnotherWait() {
    CircuitBreaker b = halfOpen();
    b.tryAcquirePermission();
    b.tryAcquirePermission();
    fail(b, 2);
    succeed(b, 1); // 2 of 3 = 67 %
    assertThat(b.state()).isEqualTo(OPEN);
    assertThat(b.metrics().failureRate()).isEqualTo(200f / 3);
    assertThat(b.tryAcquirePermission()).isFalse();
    ticker.advance(Duration.ofSeconds(10).plusNanos(1));
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(listener.transitions())
        .containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void halfOpen_minimumBelowTheProbes_decidesAfterTheMinimum() {
    CircuitBreaker b = breaker(count(10, 2).build()); // 3 probes, a minimum of 2 calls
    fail(b, 2);
    ticker.advance(Duration.ofSeconds(11));
    for (int i = 0; i < 3; i++) {
      assertThat(b.tryAcquirePermission()).isTrue();
    }
    succeed(b, 1);
    assertThat(b.state()).isEqualTo(HALF_OPEN);
    fail(b, 1); // 1 of 2 = 50 %: reopens without waiting for the third probe
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void halfOpen_slowProbes_reopen() {
    CircuitBreaker b =
        breaker(
            count(10, 10)
                .slowCallDurationThreshold(Duration.ofMillis(100))
                .slowCallRateThreshold(60)
                .build());
    fail(b, 10);
    ticker.advance(Duration.ofSeconds(11));
    for (int i = 0; i < 3; i++) {
      assertThat(b.tryAcquirePermission()).isTrue();
    }
    b.onSuccess(Duration.ofMillis(200).toNanos());
    b.onSuccess(Duration.ofMillis(200).toNanos());
    b.onSuccess(FAST); // 2 of 3 slow = 67 % >= 60 %
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void halfOpen_releasedPermission_admitsAnotherProbeButNeverMoreThanPermitted() {
    CircuitBreaker b = halfOpen();
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isFalse();
    b.releasePermission();
    assertThat(b.tryAcquirePermission()).isTrue();
    assertThat(b.tryAcquirePermission()).isFalse();
    for (int i = 0; i < 10; i++) {
      b.releasePermission(); // more releases than probes taken
    }
    int admitted = 0;
    while (b.tryAcquirePermission()) {
      admitted++;
    }
    assertThat(admitted).isEqualTo(3);
  }

  @Test
  void releasePermission_outsideHalfOpen_doesNothing() {
    CircuitBreaker b = breaker(count(10, 10).build());
    b.releasePermission();
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.tryAcquirePermission()).isTrue();
  }

  @Test
  void halfOpen_probesNeverReport_reopenAfterMaxWait() {
    CircuitBreaker b =
        breaker(count(10, 10).maxWaitDurationInHalfOpenState(Duration.ofSeconds(5)).build());
    fail(b, 10);
    ticker.advance(Duration.ofSeconds(11));
    for (int i = 0; i < 3; i++) {
      assertThat(b.tryAcquirePermission()).isTrue();
    }
    ticker.advance(Duration.ofSeconds(5));
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.state()).isEqualTo(HALF_OPEN);
    ticker.advance(Duration.ofNanos(1));
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.state()).isEqualTo(OPEN);
  }

  @Test
  void forceOpen_rejectsEverythingUntilReset() {
    CircuitBreaker b = breaker(count(10, 10).build());
    b.forceOpen();
    b.forceOpen(); // already there: no second event
    assertThat(b.state()).isEqualTo(FORCED_OPEN);
    ticker.advance(Duration.ofDays(1));
    assertThat(b.tryAcquirePermission()).isFalse();
    succeed(b, 10);
    assertThat(b.state()).isEqualTo(FORCED_OPEN);
    b.reset();
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(listener.transitions())
        .containsExactly("CLOSED->FORCED_OPEN", "FORCED_OPEN->CLOSED");
  }

  @Test
  void disable_admitsEverythingAndRecordsNothing() {
    CircuitBreaker b = opened();
    b.disable();
    assertThat(b.state()).isEqualTo(DISABLED);
    assertThat(b.tryAcquirePermission()).isTrue();
    fail(b, 100);
    assertThat(b.state()).isEqualTo(DISABLED);
    assertThat(b.metrics().calls()).isZero();
    b.forceOpen();
    b.disable();
    assertThat(listener.transitions())
        .containsExactly(
            "CLOSED->OPEN", "OPEN->DISABLED", "DISABLED->FORCED_OPEN", "FORCED_OPEN->DISABLED");
  }

  @Test
  void reset_fromOpen_closesWithAnEmptyWindow() {
    CircuitBreaker b = opened();
    b.reset();
    assertThat(b.state()).isEqualTo(CLOSED);
    assertThat(b.metrics().calls()).isZero();
    b.reset(); // CLOSED -> CLOSED empties the window without an event
    assertThat(listener.transitions()).containsExactly("CLOSED->OPEN", "OPEN->CLOSED");
  }

  @Test
  void transitionTable_allowsOnlyTheDocumentedMoves() {
    List<String> allowed = new ArrayList<>();
    for (CircuitBreaker.State from : CircuitBreaker.State.values()) {
      for (CircuitBreaker.State to : CircuitBreaker.State.values()) {
        if (StateMachineCircuitBreaker.isAllowed(from, to)) {
          allowed.add(from + "->" + to);
        }
      }
    }
    assertThat(allowed)
        .containsExactlyInAnyOrder(
            "CLOSED->CLOSED",
            "CLOSED->OPEN",
            "CLOSED->FORCED_OPEN",
            "CLOSED->DISABLED",
            "OPEN->HALF_OPEN",
            "OPEN->CLOSED",
            "OPEN->FORCED_OPEN",
            "OPEN->DISABLED",
            "HALF_OPEN->CLOSED",
            "HALF_OPEN->OPEN",
            "HALF_OPEN->FORCED_OPEN",
            "HALF_OPEN->DISABLED",
            "FORCED_OPEN->CLOSED",
            "FORCED_OPEN->DISABLED",
            "DISABLED->CLOSED",
            "DISABLED->FORCED_OPEN");
  }

  @Test
  void listener_thatThrows_isCaughtAndOthersAreStillTold() {
    CircuitBreaker b = CircuitBreaker.of("e0", count(10, 10).build(), ticker);
    b.addListener(
        new CircuitBreakerListener() {
          @Override
          public void onStateTransition(
              CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
            throw new IllegalStateException("listener bug");
          }

          @Override
          public void onCallNotPermitted(CircuitBreaker breaker) {
            throw new IllegalStateException("listener bug");
          }
        });
    b.addListener(listener);
    fail(b, 10);
    assertThat(b.tryAcquirePermission()).isFalse();
    assertThat(b.state()).isEqualTo(OPEN);
    assertThat(listener.transitions()).containsExactly("CLOSED->OPEN");
    assertThat(listener.notPermitted()).isEqualTo(1);
  }

  @Test
  void removeListener_stopsEvents() {
    CircuitBreaker b = breaker(count(10, 10).build());
    assertThat(b.removeListener(listener)).isTrue();
    assertThat(b.removeListener(listener)).isFalse();
    b.addListener(CircuitBreakerListener.NONE);
    fail(b, 10);
    assertThat(listener.transitions()).isEmpty();
    assertThatThrownBy(() -> b.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
  }

  @Test
  void factory_namesEachBreakerAfterItsEndpoint() {
    CircuitBreakerFactory factory = CircuitBreakerFactory.of(CircuitBreakerConfig.ofDefaults());
    CircuitBreaker a = factory.create(Endpoint.builder("10.0.0.1", 80).id("a").build(), ticker);
    CircuitBreaker b = factory.create(Endpoint.builder("10.0.0.2", 80).id("b").build(), ticker);
    assertThat(a.name()).isEqualTo("a");
    assertThat(b.name()).isEqualTo("b");
    assertThat(a).isNotSameAs(b);
    assertThat(a.toString()).isEqualTo("CircuitBreaker{a, CLOSED}");
    assertThatThrownBy(() -> CircuitBreakerFactory.of(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void of_rejectsBadArguments() {
    CircuitBreakerConfig c = CircuitBreakerConfig.ofDefaults();
    assertThatThrownBy(() -> CircuitBreaker.of(" ", c, ticker))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank but was ' '");
    assertThatThrownBy(() -> CircuitBreaker.of("a", null, ticker))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("config must not be null");
    assertThatThrownBy(() -> CircuitBreaker.of("a", c, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
  }

  @Test
  void stateAdmitsCalls_matchesPicking() {
    assertThat(CLOSED.admitsCalls()).isTrue();
    assertThat(HALF_OPEN.admitsCalls()).isTrue();
    assertThat(DISABLED.admitsCalls()).isTrue();
    assertThat(OPEN.admitsCalls()).isFalse();
    assertThat(FORCED_OPEN.admitsCalls()).isFalse();
  }
}
