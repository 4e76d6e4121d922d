package dev.lb.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.testing.FakeTicker;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The public strategy SPI, used the way a custom {@link LiveEndpoint} or a caller would use it. */
class StrategySpiTest {
  private static final StrategyContext CONTEXT =
      new StrategyContext(new SplittableRandom(1), new FakeTicker());

  @Test
  void everyBuiltIn_buildsAndPicksOverCustomLiveEndpoints() {
    for (String name : StrategyRegistry.names()) {
      Strategy strategy = StrategyRegistry.byName(name);
      for (int n : new int[] {1, 2, 5}) {
        List<LiveEndpoint> endpoints = CustomLiveEndpoint.endpoints(n);
        Picker picker = strategy.newPicker(endpoints, CONTEXT);
        Set<LiveEndpoint> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
          PickContext context = i % 2 == 0 ? PickContext.none() : PickContext.ofKey(i);
          LiveEndpoint chosen = picker.pick(context);
          assertThat(chosen).as("%s over %s endpoints", name, n).isIn(endpoints);
          seen.add(chosen);
          LiveEndpoint alternative = picker.pick(context, 1);
          assertThat(alternative).as("%s alternative", name).isIn(endpoints);
          seen.add(alternative);
        }
        assertThat(seen).as("%s reaches every custom endpoint", name).hasSize(n);
      }
    }
  }

  @Test
  void loadAwareBuiltIns_rankCustomEndpointsByWhatTheyReport() {
    // e1 of three has 5 calls in flight, the others none: every least-connections variant and
    // p2c avoid it, through LiveEndpoint alone.
    for (Strategy strategy :
        List.of(
            Strategies.leastConnections(),
            Strategies.weightedLeastConnections(),
            Strategies.powerOfTwoChoices())) {
      List<LiveEndpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        endpoints.add(
            new CustomLiveEndpoint(dev.lb.Endpoint.builder("10.0.2." + i, 80).id("e" + i).build()));
      }
      ((CustomLiveEndpoint) endpoints.get(1)).inFlight = 5;
      Picker picker = strategy.newPicker(endpoints, CONTEXT);
      for (int i = 0; i < 1_000; i++) {
        assertThat(picker.pick(PickContext.none()))
            .as(strategy.name())
            .isNotSameAs(endpoints.get(1));
      }
    }
  }

  @Test
  void newPicker_emptyList_failsEarlyNamingTheStrategy() {
    for (String name : StrategyRegistry.names()) {
      Strategy strategy = StrategyRegistry.byName(name);
      if (strategy.stableMembership()) {
        continue; // hash strategies: owned by dev.lb.hash
      }
      assertThatThrownBy(() -> strategy.newPicker(List.of(), CONTEXT))
          .as(name)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("strategy " + name)
          .hasMessageContaining("endpoints was empty");
    }
  }

  @Test
  void strategyContext_nullComponents_throwNullPointerExceptionNamingThem() {
    assertThatThrownBy(() -> new StrategyContext(null, new FakeTicker()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("random must not be null");
    assertThatThrownBy(() -> new StrategyContext(new SplittableRandom(1), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
  }

  @Test
  void newPicker_nullArguments_throwNullPointerExceptionNamingTheParameter() {
    for (String name : StrategyRegistry.names()) {
      Strategy strategy = StrategyRegistry.byName(name);
      if (strategy.stableMembership()) {
        continue;
      }
      assertThatThrownBy(() -> strategy.newPicker(null, CONTEXT))
          .as(name)
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("endpoints");
      assertThatThrownBy(() -> strategy.newPicker(CustomLiveEndpoint.endpoints(2), null))
          .as(name)
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("context");
      List<LiveEndpoint> withNull = new ArrayList<>(CustomLiveEndpoint.endpoints(2));
      withNull.add(null);
      assertThatThrownBy(() -> strategy.newPicker(withNull, CONTEXT))
          .as(name)
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("endpoints[2]");
    }
  }
}
