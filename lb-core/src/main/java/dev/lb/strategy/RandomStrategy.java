package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Uniformly random, or random in proportion to weight (through an {@link AliasTable}).
 *
 * <p>Slow start: unweighted {@code random} picks in proportion to the endpoints' {@link
 * LiveEndpoint#rampFactor()} while some factor is below 1, and uniformly otherwise; {@code
 * weighted_random} sees the ramp in {@link LiveEndpoint#weight()}.
 */
final class RandomStrategy implements Strategy {
  static final RandomStrategy UNWEIGHTED = new RandomStrategy(false);
  static final RandomStrategy WEIGHTED = new RandomStrategy(true);

  private final boolean weighted;

  private RandomStrategy(boolean weighted) {
    this.weighted = weighted;
  }

  @Override
  public String name() {
    return weighted ? "weighted_random" : "random";
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = StrategyArguments.endpoints(endpoints, context, name());
    RandomGenerator random = context.random();
    int[] weights = weighted ? Weights.of(array) : Weights.ramped(array);
    if (weights == null || AliasTable.allEqual(weights)) {
      return (PickContext ignored) -> array[random.nextInt(array.length)];
    }
    AliasTable table = new AliasTable(weights);
    return (PickContext ignored) -> array[table.sample(random)];
  }

  @Override
  public String toString() {
    return name();
  }
}
