package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.List;

/**
 * Each endpoint in turn, ignoring weights. See {@link StripedSequence} for the concurrency design.
 *
 * <p>Slow start: while some endpoint's {@link LiveEndpoint#rampFactor()} is below 1, the picker
 * follows the smooth weighted round-robin schedule of weights in proportion to the factors (see
 * {@link SmoothWeightedRoundRobinStrategy}), so a warming endpoint gets its factor's share of an
 * equal endpoint's turns; with no endpoint ramping it is plain round robin.
 */
final class RoundRobinStrategy implements Strategy {
  static final RoundRobinStrategy INSTANCE = new RoundRobinStrategy();

  @Override
  public String name() {
    return "round_robin";
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = StrategyArguments.endpoints(endpoints, context, name());
    int[] ramped = Weights.ramped(array);
    if (ramped != null) {
      int[] schedule = SmoothWeightedRoundRobinStrategy.schedule(ramped);
      StripedSequence turns = new StripedSequence(schedule.length, context.random());
      return (PickContext ignored) -> array[schedule[turns.next()]];
    }
    StripedSequence sequence = new StripedSequence(array.length, context.random());
    return (PickContext ignored) -> array[sequence.next()];
  }

  @Override
  public String toString() {
    return name();
  }
}
