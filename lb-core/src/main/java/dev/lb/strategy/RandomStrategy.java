package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.List;
import java.util.random.RandomGenerator;

/** Uniformly random, or random in proportion to weight (through an {@link AliasTable}). */
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
    LiveEndpoint[] array = endpoints.toArray(new LiveEndpoint[0]);
    RandomGenerator random = context.random();
    int[] weights = Weights.of(array);
    if (!weighted || AliasTable.allEqual(weights)) {
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
