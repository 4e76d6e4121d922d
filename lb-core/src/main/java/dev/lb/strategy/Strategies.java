package dev.lb.strategy;

/**
 * The built-in selection strategies. Each is an immutable, shareable singleton; one strategy
 * instance may serve any number of balancers.
 *
 * <table>
 *   <caption>Which strategy when</caption>
 *   <tr><th>name</th><th>picks</th><th>weights</th><th>cost per pick</th></tr>
 *   <tr><td>{@code round_robin}</td><td>each endpoint in turn</td><td>ignored</td><td>O(1)</td></tr>
 *   <tr><td>{@code weighted_round_robin}</td><td>in turn, smoothly interleaved by weight (nginx)</td>
 *       <td>yes</td><td>O(1)</td></tr>
 *   <tr><td>{@code random}</td><td>uniformly at random</td><td>ignored</td><td>O(1)</td></tr>
 *   <tr><td>{@code weighted_random}</td><td>at random, in proportion to weight</td><td>yes</td>
 *       <td>O(1)</td></tr>
 *   <tr><td>{@code least_connections}</td><td>fewest calls in flight</td><td>ignored</td>
 *       <td>O(1) (O(log n) on partial ties; O(n) below 16 endpoints)</td></tr>
 *   <tr><td>{@code weighted_least_connections}</td><td>fewest calls in flight per unit of weight</td>
 *       <td>yes</td><td>O(1) (as above)</td></tr>
 *   <tr><td>{@code least_response_time}</td><td>lowest latency EWMA x (in flight + 1)</td>
 *       <td>yes</td><td>O(1) (as above)</td></tr>
 *   <tr><td>{@code least_bandwidth}</td><td>lowest recent response throughput x (in flight + 1)</td><td>yes</td>
 *       <td>O(1) (as above)</td></tr>
 *   <tr><td>{@code p2c}</td><td>less loaded (in flight) of two random endpoints</td><td>yes</td>
 *       <td>O(1)</td></tr>
 *   <tr><td>{@code peak_ewma}</td><td>cheaper (peak latency x load) of two random endpoints</td>
 *       <td>yes</td><td>O(1)</td></tr>
 *   <tr><td>{@code orca_weighted_round_robin}</td><td>in turn, by weights from the load backends
 *       report (gRFC A58; see {@link OrcaWeightedRoundRobin})</td><td>while reports are missing</td>
 *       <td>O(1) expected</td></tr>
 *   <tr><td>{@code prequal}</td><td>by probes of the backends' own load: the fastest of the recent
 *       answers whose requests in flight are not hot, or the least loaded if all are (see {@link
 *       Prequal}); peak EWMA without answers or below 8 endpoints</td><td>no</td>
 *       <td>O(pool size), 8 by default</td></tr>
 *   <tr><td>{@code ring_hash}, {@code maglev}, {@code rendezvous_hash}, {@code jump_hash},
 *       {@code bounded_load_hash}, {@code modulo_hash}</td><td>by the call's key: the same key to the
 *       same endpoint (consistent hashing, see {@code dev.lb.hash.HashStrategies})</td><td>yes (jump: no)</td>
 *       <td>O(1) (rendezvous, bounded load: O(n))</td></tr>
 * </table>
 *
 * <p>{@link dev.lb.StrategyRegistry} finds them, and the hash strategies, by name.
 *
 * <p>Every load-aware strategy (least connections, least response time, least bandwidth, p2c, peak
 * EWMA) counts an endpoint's recent failures as extra calls in flight, decaying over the decay
 * window ({@link LiveEndpoint#failurePenalty}), so a backend that fails fast never looks less
 * loaded than one that answers. {@code round_robin}, {@code random} and {@code least_connections}
 * honour slow start through {@link LiveEndpoint#rampFactor()}. Every built-in reads endpoints only
 * through {@link LiveEndpoint}, so they all work over a custom implementation.
 *
 * <p>For latency-sensitive traffic over backends that can slow down, {@link #peakEwma()} reacts
 * fastest; for equal backends and cheap calls, {@link #roundRobin()} is simplest and cheapest.
 */
public final class Strategies {
  private static final Strategy LEAST_CONNECTIONS =
      new LeastLoadedStrategy("least_connections", Load.IN_FLIGHT, false);
  private static final Strategy WEIGHTED_LEAST_CONNECTIONS =
      new LeastLoadedStrategy("weighted_least_connections", Load.IN_FLIGHT, true);
  private static final Strategy LEAST_RESPONSE_TIME =
      new LeastLoadedStrategy("least_response_time", Load.RESPONSE_TIME, true);
  private static final Strategy LEAST_BANDWIDTH =
      new LeastLoadedStrategy("least_bandwidth", Load.BANDWIDTH, true);

  private Strategies() {}

  /**
   * Each endpoint in turn, ignoring weights.
   *
   * @return the {@code round_robin} strategy
   */
  public static Strategy roundRobin() {
    return RoundRobinStrategy.INSTANCE;
  }

  /**
   * Smooth weighted round robin (nginx): each endpoint in turn as often as its weight says, with
   * the turns of heavy endpoints spread out. Weights 5, 1, 1 give {@code a a b a c a a}.
   *
   * @return the {@code weighted_round_robin} strategy
   */
  public static Strategy weightedRoundRobin() {
    return SmoothWeightedRoundRobinStrategy.INSTANCE;
  }

  /**
   * Uniformly at random, ignoring weights.
   *
   * @return the {@code random} strategy
   */
  public static Strategy random() {
    return RandomStrategy.UNWEIGHTED;
  }

  /**
   * At random, in proportion to weight.
   *
   * @return the {@code weighted_random} strategy
   */
  public static Strategy weightedRandom() {
    return RandomStrategy.WEIGHTED;
  }

  /**
   * The endpoint with the fewest calls in flight; ties broken at random.
   *
   * @return the {@code least_connections} strategy
   */
  public static Strategy leastConnections() {
    return LEAST_CONNECTIONS;
  }

  /**
   * The endpoint with the fewest calls in flight per unit of weight; ties broken at random in
   * proportion to weight.
   *
   * @return the {@code weighted_least_connections} strategy
   */
  public static Strategy weightedLeastConnections() {
    return WEIGHTED_LEAST_CONNECTIONS;
  }

  /**
   * The endpoint with the lowest latency EWMA x (calls in flight + 1) / weight. The estimate it
   * ranks by decays towards zero over the balancer's {@linkplain
   * dev.lb.LoadBalancer.Builder#decayWindow decay window} while an endpoint gets no calls, so an
   * endpoint once slow is probed again. Endpoints without a measured latency are probed one call at
   * a time. Recent failures count as calls in flight ({@link LiveEndpoint#failurePenalty}).
   *
   * @return the {@code least_response_time} strategy
   */
  public static Strategy leastResponseTime() {
    return LEAST_RESPONSE_TIME;
  }

  /**
   * The endpoint with the least recent response throughput x (calls in flight + 1) per unit of
   * weight, from the byte counts callers report with {@link dev.lb.Lease#onSuccess(long, long)}.
   * The in-flight factor keeps a backlogged endpoint, which completes few responses, from looking
   * idle; an endpoint with no bytes yet is probed one call at a time. The throughput decays over
   * the balancer's {@linkplain dev.lb.LoadBalancer.Builder#decayWindow decay window}.
   *
   * @return the {@code least_bandwidth} strategy
   */
  public static Strategy leastBandwidth() {
    return LEAST_BANDWIDTH;
  }

  /**
   * Power of two choices, least request: of two endpoints drawn at random (by weight), the one with
   * fewer calls in flight per unit of weight.
   *
   * @return the {@code p2c} strategy
   */
  public static Strategy powerOfTwoChoices() {
    return PowerOfTwoChoicesStrategy.LEAST_REQUEST;
  }

  /**
   * Power of two choices with Finagle's peak-EWMA cost: of two endpoints drawn at random (by
   * weight), the one with the lower peak-sensitive latency x (calls in flight + 1) / weight.
   * Latency decays over the balancer's {@linkplain dev.lb.LoadBalancer.Builder#decayWindow decay
   * window} (10 s by default). A new endpoint is probed one call at a time until its first latency
   * is known.
   *
   * @return the {@code peak_ewma} strategy
   */
  public static Strategy peakEwma() {
    return PowerOfTwoChoicesStrategy.PEAK_EWMA;
  }

  /**
   * Weighted round robin with weights from the load the backends report (gRFC A58, gRPC's {@code
   * weighted_round_robin}): {@code qps / (utilization + 1.0 x eps / qps)} per endpoint, after a 10
   * s blackout, expiring after 3 min, recomputed every second; the static weights while fewer than
   * two endpoints report. {@link OrcaWeightedRoundRobin#builder()} sets other options.
   *
   * @return the {@code orca_weighted_round_robin} strategy with A58's defaults
   */
  public static OrcaWeightedRoundRobin orcaWeightedRoundRobin() {
    return OrcaWeightedRoundRobin.DEFAULT;
  }

  /**
   * Prequal (NSDI 2024): picks by probes of the backends' requests in flight and latency, with the
   * hot/cold rule over a small pool of recent answers, and peak EWMA when the pool is empty or the
   * group has fewer than 8 endpoints. This instance has no prober, so it picks as peak EWMA does
   * until one is supplied ({@link Prequal#withProber}, or {@link Prequal#builder()} for the other
   * options); lb-okhttp and lb-grpc have probers.
   *
   * @return the {@code prequal} strategy with the defaults and no prober
   */
  public static Prequal prequal() {
    return Prequal.DEFAULT;
  }
}
