package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.testing.FakeTicker;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Slow start under the strategies that ignore weights: an endpoint ramping at factor f gets f of an
 * equal endpoint's share, and nothing changes while no endpoint ramps.
 */
class SlowStartRampTest {
  private static final int PICKS = 110_000;

  @Test
  void roundRobin_rampingEndpoint_getsItsFactorOfAnEqualShare() {
    for (long seed = 0; seed < 5; seed++) {
      assertRampRatio(Strategies.roundRobin(), seed, false, 0.1, 0.002);
    }
  }

  @Test
  void random_rampingEndpoint_getsItsFactorOfAnEqualShare() {
    for (long seed = 0; seed < 5; seed++) {
      assertRampRatio(Strategies.random(), seed, false, 0.1, 0.01);
    }
  }

  @Test
  void leastConnections_idleTies_rampingEndpointGetsItsFactorOfAnEqualShare() {
    for (long seed = 0; seed < 5; seed++) {
      assertRampRatio(Strategies.leastConnections(), seed, false, 0.1, 0.01);
    }
  }

  @Test
  void leastConnections_callsHeld_rankedByInFlightOverFactor() {
    // Calls held 100 at a time: the ramping endpoint keeps a tenth of the calls in flight of each
    // other endpoint (Envoy's least request with slow start divides by the factor).
    for (long seed = 0; seed < 5; seed++) {
      assertRampRatio(Strategies.leastConnections(), seed, true, 0.1, 0.01);
    }
  }

  @Test
  void noEndpointRamping_pickersAreExactlyAsWithoutSlowStart() {
    MetricsClock clock = new MetricsClock(new FakeTicker(), 10_000_000_000L, false, false);
    List<EndpointState> states = States.of(4, clock);
    states.get(2).rampFactor(1.0);
    Picker picker =
        Strategies.roundRobin()
            .newPicker(
                States.live(states),
                new StrategyContext(new SplittableRandom(3), new FakeTicker()));
    int[] counts = new int[4];
    for (int i = 0; i < 4_000; i++) {
      counts[States.index(states, picker.pick(PickContext.none()))]++;
    }
    assertThat(counts).containsOnly(1_000);
  }

  @Test
  void rampFactor_outOfRange_isRejected() {
    EndpointState state =
        States.of(1, new MetricsClock(new FakeTicker(), 1_000_000_000L, false, false)).get(0);
    assertThatThrownBy(() -> state.rampFactor(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rampFactor must be in (0, 1] but was 0.0");
    assertThatThrownBy(() -> state.rampFactor(1.5)).hasMessageContaining("1.5");
    assertThat(state.rampFactor()).isEqualTo(1.0);
  }

  /**
   * Three endpoints, e0 ramping at {@code factor}: e0's picks over an equal endpoint's must be
   * {@code factor} within {@code tolerance}.
   */
  private static void assertRampRatio(
      Strategy strategy, long seed, boolean holdCalls, double factor, double tolerance) {
    FakeTicker ticker = new FakeTicker();
    MetricsClock clock = new MetricsClock(ticker, 10_000_000_000L, false, false);
    List<EndpointState> states = States.of(3, clock);
    states.get(0).rampFactor(factor);
    Picker picker =
        strategy.newPicker(
            States.live(states), new StrategyContext(new SplittableRandom(seed), ticker));
    int[] counts = new int[3];
    ArrayDeque<EndpointState> held = new ArrayDeque<>();
    for (int i = 0; i < PICKS; i++) {
      EndpointState chosen = (EndpointState) picker.pick(PickContext.none());
      counts[States.index(states, chosen)]++;
      chosen.acquire();
      held.add(chosen);
      if (!holdCalls || held.size() > 100) {
        held.remove().onSuccess(1_000_000L, 0);
      }
    }
    double equalShare = (counts[1] + counts[2]) / 2.0;
    assertThat(counts[0] / equalShare)
        .as("%s seed %s: counts %s", strategy.name(), seed, java.util.Arrays.toString(counts))
        .isCloseTo(factor, within(tolerance));
  }
}
