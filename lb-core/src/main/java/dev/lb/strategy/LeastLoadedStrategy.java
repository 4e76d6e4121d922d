package dev.lb.strategy;

import dev.lb.PickContext;
import dev.lb.Ticker;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Scans every endpoint and picks the one with the lowest {@link Load} score: least connections,
 * least response time, least bandwidth. O(n) per pick; for large groups {@link
 * PowerOfTwoChoicesStrategy} gives nearly the same balance in O(1).
 *
 * <p>Ties are broken at random in proportion to weight (weighted reservoir sampling over the tied
 * endpoints), never in favour of the first endpoint: with sequential calls every endpoint is idle
 * at pick time and ties are the norm, so the tie-break decides the distribution. For weighted
 * variants that makes an idle group share calls by weight, like nginx, which falls back to weighted
 * round robin among ties.
 *
 * <p>Unweighted {@code least_connections} honours slow start: while some endpoint's {@link
 * LiveEndpoint#rampFactor()} is below 1, it ranks by {@code load / rampFactor} and breaks ties in
 * proportion to the factors, as Envoy's least request does with slow start; with no endpoint
 * ramping it is exactly the unweighted scan. Every measure adds the endpoint's {@linkplain
 * LiveEndpoint#failurePenalty failure penalty} to its calls in flight (see {@link Load}).
 */
final class LeastLoadedStrategy implements Strategy {
  private final String name;
  private final Load load;
  private final boolean weighted;

  LeastLoadedStrategy(String name, Load load, boolean weighted) {
    this.name = name;
    this.load = load;
    this.weighted = weighted;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean usesResponseTime() {
    return load == Load.RESPONSE_TIME;
  }

  @Override
  public boolean usesThroughput() {
    return load == Load.BANDWIDTH;
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] states = StrategyArguments.endpoints(endpoints, context, name);
    int[] ramped = weighted ? null : Weights.ramped(states);
    int[] weights =
        weighted ? Weights.of(states) : ramped != null ? ramped : Weights.ones(states.length);
    Load load = this.load;
    double[] weightTerms = new double[weights.length];
    for (int i = 0; i < weights.length; i++) {
      weightTerms[i] = load.weightTerm(weights[i]);
    }
    RandomGenerator random = context.random();
    Ticker ticker = context.ticker();
    return (PickContext ignored) -> {
      int best = 0;
      double bestScore = load.score(states[0], weightTerms[0], ticker);
      long tiedWeight = weights[0];
      for (int i = 1; i < states.length; i++) {
        double score = load.score(states[i], weightTerms[i], ticker);
        if (score < bestScore) {
          best = i;
          bestScore = score;
          tiedWeight = weights[i];
        } else if (score == bestScore) {
          tiedWeight += weights[i];
          if (random.nextLong(tiedWeight) < weights[i]) {
            best = i;
          }
        }
      }
      return states[best];
    };
  }

  @Override
  public String toString() {
    return name;
  }
}
