package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A lease gives back only the breaker permission it took. */
class LeaseBreakerPermitTest {
  private static final EndpointState.Observer IGNORE =
      new EndpointState.Observer() {
        @Override
        public void onFailureStreak(EndpointState state) {}

        @Override
        public void onDrained(EndpointState state) {}
      };

  @Test
  void leaseTakenWhileClosed_cancelledWhileHalfOpen_returnsNoProbe() {
    FakeTicker ticker = new FakeTicker();
    CircuitBreaker breaker = CircuitBreaker.of("e0", twoProbes(), ticker);
    EndpointState state = state(ticker, breaker);
    Lease closedEra = admit(state);
    assertThat(closedEra).isNotNull();
    openThenWait(state, ticker);

    assertThat(admit(state)).as("probe 1").isNotNull();
    assertThat(admit(state)).as("probe 2").isNotNull();
    assertThat(admit(state)).as("no third probe").isNull();
    closedEra.onCancel();
    assertThat(admit(state)).as("still no third probe after the closed-era cancel").isNull();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
  }

  @Test
  void cancelledProbe_isReplacedByExactlyOneOther() {
    FakeTicker ticker = new FakeTicker();
    CircuitBreaker breaker = CircuitBreaker.of("e0", twoProbes(), ticker);
    EndpointState state = state(ticker, breaker);
    openThenWait(state, ticker);
    Lease probe = admit(state);
    assertThat(admit(state)).isNotNull();
    probe.onCancel();
    assertThat(admit(state)).as("the cancelled probe's replacement").isNotNull();
    assertThat(admit(state)).isNull();
  }

  @Test
  void randomInterleavings_neverAdmitMoreProbesThanConfigured() {
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      FakeTicker ticker = new FakeTicker();
      CircuitBreaker breaker = CircuitBreaker.of("e0", twoProbes(), ticker);
      EndpointState state = state(ticker, breaker);
      List<Lease> closedEra = new ArrayList<>();
      for (int i = random.nextInt(1, 6); i > 0; i--) {
        closedEra.add(admit(state));
      }
      openThenWait(state, ticker);
      int admitted = 0;
      int cancelledProbes = 0;
      List<Lease> probes = new ArrayList<>();
      for (int step = 0; step < 30; step++) {
        int action = random.nextInt(3);
        if (action == 0 && !closedEra.isEmpty()) {
          closedEra.remove(random.nextInt(closedEra.size())).onCancel();
        } else if (action == 1 && !probes.isEmpty()) {
          probes.remove(random.nextInt(probes.size())).onCancel();
          cancelledProbes++;
        } else {
          Lease l = admit(state);
          if (l != null) {
            admitted++;
            probes.add(l);
          }
        }
        assertThat(admitted - cancelledProbes)
            .as("seed %s: probes out, not cancelled", seed)
            .isLessThanOrEqualTo(2);
      }
    }
  }

  private static CircuitBreakerConfig twoProbes() {
    return CircuitBreakerConfig.builder()
        .slidingWindow(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, 4)
        .minimumNumberOfCalls(4)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(1))
        .permittedNumberOfCallsInHalfOpenState(2)
        .build();
  }

  private static EndpointState state(FakeTicker ticker, CircuitBreaker breaker) {
    return new EndpointState(
        Endpoint.of("10.0.0.1", 80),
        new MetricsClock(ticker, 10_000_000_000L, false, false),
        IGNORE,
        breaker,
        null);
  }

  /** A lease as the balancer makes one: admitted first, then made on the same thread. */
  private static Lease admit(EndpointState state) {
    return state.tryAdmit(Integer.MAX_VALUE) ? new Lease(state) : null;
  }

  /** Four failures open the breaker; then its open wait elapses. */
  private static void openThenWait(EndpointState state, FakeTicker ticker) {
    for (int i = 0; i < 4; i++) {
      admit(state).onFailure(1_000_000L, null);
    }
    assertThat(state.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
    ticker.advance(Duration.ofMillis(1_001));
  }
}
