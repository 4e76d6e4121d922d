package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The line recorded for each event, as the class Javadoc's table lists them. */
class RecordingListenerTest {
  private static final Endpoint E1 = Endpoint.builder("10.0.0.1", 80).id("e1").build();

  private final RecordingListener events = new RecordingListener();

  @Test
  void everyEvent_isRecordedAsItsLine_inOrder() {
    // The listener reads neither the balancer nor the budget: null stands in for them here.
    events.onEndpointAdded(null, E1);
    events.onEndpointRemoved(null, E1);
    events.onHealthChanged(
        null,
        E1,
        HealthStatus.HEALTHY,
        HealthStatus.UNHEALTHY,
        HealthChangeCause.CHECKS_FAILED,
        "3 consecutive failed checks: HTTP 503");
    events.onEjected(null, E1, "5 consecutive failures", Duration.ofMillis(30_500));
    events.onRestored(null, E1);
    events.onDrainStarted(null, E1, 3);
    events.onDrainFinished(null, E1, DrainResult.DRAINED);
    events.onPanicEntered(null, 40);
    events.onPanicLeft(null, 100);
    events.onSlowStartFinished(null, E1);
    events.onBreakerStateChanged(null, E1, CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN);
    events.onRetryBudgetExhausted(null, null);
    events.onRetryBudgetReplenished(null, null);

    assertThat(events.events())
        .containsExactly(
            "added e1",
            "removed e1",
            "e1 HEALTHY->UNHEALTHY",
            "ejected e1 30s",
            "restored e1",
            "drain started e1 3",
            "drain finished e1 DRAINED",
            "panic entered 40",
            "panic left 100",
            "slow start finished e1",
            "breaker e1 CLOSED->OPEN",
            "retry budget exhausted",
            "retry budget replenished");
  }

  @Test
  void events_isASnapshot_andClearForgets() {
    events.onEndpointAdded(null, E1);
    var before = events.events();
    events.onRestored(null, E1);
    assertThat(before).containsExactly("added e1");
    assertThat(events).hasToString("RecordingListener[added e1, restored e1]");

    events.clear();

    assertThat(events.events()).isEmpty();
  }
}
