package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.List;

/**
 * Each endpoint in turn, ignoring weights. See {@link StripedSequence} for the concurrency design.
 */
final class RoundRobinStrategy implements Strategy {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  @Override
  public String name() {
    return "round_robin";
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = endpoints.toArray(new LiveEndpoint[0]);
    StripedSequence sequence = new StripedSequence(array.length, context.random());
    return (PickContext ignored) -> array[sequence.next()];
  }

  @Override
  public String toString() {
    return name();
  }
}
