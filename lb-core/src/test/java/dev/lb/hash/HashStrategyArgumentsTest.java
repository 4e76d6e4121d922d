package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.testing.FakeTicker;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Strategy#newPicker} is a public SPI: bad arguments fail early, naming the strategy. */
class HashStrategyArgumentsTest {
  private static final StrategyContext CONTEXT =
      new StrategyContext(new SplittableRandom(1), new FakeTicker());

  private static List<Strategy> all() {
    List<Strategy> all = new ArrayList<>(HashStrategiesTest.ALL);
    all.add(
        HashStrategies.sticky(
            StickTable.bounded(16, java.time.Duration.ofMinutes(1), new FakeTicker())));
    return all;
  }

  @Test
  @Timeout(10) // Maglev used to loop forever on an empty list
  void newPicker_emptyList_illegalArgumentNamingTheStrategy() {
    for (Strategy strategy : all()) {
      assertThatThrownBy(() -> strategy.newPicker(List.of(), CONTEXT))
          .as(strategy.name())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(strategy.name())
          .hasMessageContaining("endpoints must not be empty");
      assertThatThrownBy(() -> strategy.newPicker(List.of(), CONTEXT, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("endpoints must not be empty");
    }
  }

  @Test
  void newPicker_nullArguments_nullPointerNamingTheParameter() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(3);
    for (Strategy strategy : all()) {
      assertThatThrownBy(() -> strategy.newPicker(null, CONTEXT))
          .as(strategy.name())
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("endpoints");
      assertThatThrownBy(() -> strategy.newPicker(endpoints, null))
          .as(strategy.name())
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("context");
    }
  }
}
