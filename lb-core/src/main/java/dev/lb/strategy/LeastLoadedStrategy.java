package dev.lb.strategy;

import dev.lb.PickContext;
import dev.lb.Ticker;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Picks the endpoint with the lowest {@link Load} score: least connections, least response time,
 * least bandwidth. Groups of {@value LoadIndex#MIN_ENDPOINTS} endpoints or more are kept in a
 * {@link LoadIndex}, a tournament tree the endpoints repair on every change of their load, so a
 * pick costs O(1) (O(log n) when some but not all endpoints tie) and each call's two changes
 * (acquire, release) O(log n); smaller groups, and endpoints that are not the balancer's, are
 * scanned, O(n) per pick. Both give the same answer on one thread: the index is exact once its
 * repairs are done (see {@link LoadIndex} for what concurrent changes can delay).
 *
 * <p>When the balancer's first choice cannot take the call (at its concurrency limit, excluded,
 * behind a breaker), its second attempt gets the runner-up (the best endpoint among those the first
 * choice beat in the tree), later ones the better of two random endpoints.
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
    Scan scan = new Scan(states, weights, weightTerms, load, random, ticker);
    if (!LoadIndex.supports(states, weights)) {
      return scan;
    }
    return new Indexed(new LoadIndex(states, weights, weightTerms, load, ticker, random), scan);
  }

  /**
   * The picker over an index: the index's answer, or the scan's while the index cannot give one
   * (superseded by a newer picker, or too many failure penalties decaying). For the balancer's
   * second attempt, the runner-up; for later ones, the better of two random endpoints.
   */
  static final class Indexed implements Picker {
    private final LoadIndex index;
    private final Scan scan;

    Indexed(LoadIndex index, Scan scan) {
      this.index = index;
      this.scan = scan;
    }

    /** The index; for tests. */
    LoadIndex index() {
      return index;
    }

    @Override
    public LiveEndpoint pick(PickContext context) {
      LiveEndpoint e = index.pick();
      return e != null ? e : scan.pick(context);
    }

    @Override
    public LiveEndpoint pick(PickContext context, int attempt) {
      if (attempt <= 0) {
        return pick(context);
      }
      if (attempt == 1) {
        LiveEndpoint e = index.runnerUp();
        if (e != null) {
          return e;
        }
      }
      return scan.pickOfTwo();
    }
  }

  /** Scores every endpoint per pick: O(n), and the rule the index answers exactly. */
  static final class Scan implements Picker {
    private final LiveEndpoint[] states;
    private final int[] weights;
    private final double[] weightTerms;
    private final Load load;
    private final RandomGenerator random;
    private final Ticker ticker;

    Scan(
        LiveEndpoint[] states,
        int[] weights,
        double[] weightTerms,
        Load load,
        RandomGenerator random,
        Ticker ticker) {
      this.states = states;
      this.weights = weights;
      this.weightTerms = weightTerms;
      this.load = load;
      this.random = random;
      this.ticker = ticker;
    }

    @Override
    public LiveEndpoint pick(PickContext ignored) {
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
    }

    /** The lower-scoring of two distinct endpoints drawn uniformly; an alternative in O(1). */
    LiveEndpoint pickOfTwo() {
      int n = states.length;
      if (n == 1) {
        return states[0];
      }
      long r = random.nextLong();
      int a = PowerOfTwoChoicesStrategy.index((int) (r >>> 32), n);
      int b = PowerOfTwoChoicesStrategy.other((int) r, n, a);
      return load.score(states[b], weightTerms[b], ticker)
              < load.score(states[a], weightTerms[a], ticker)
          ? states[b]
          : states[a];
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
