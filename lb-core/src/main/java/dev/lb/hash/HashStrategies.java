package dev.lb.hash;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;

/**
 * The hash-based strategies: calls with the same key go to the same endpoint, and as few keys as
 * possible move when endpoints come and go. Each reads the key from the call's {@link
 * dev.lb.PickContext} ({@code balancer.pick(PickContext.ofKey(userId))}) and hashes it with {@link
 * XxHash64}, so placement is the same on every JVM and machine.
 *
 * <table>
 *   <caption>Which hashing when</caption>
 *   <tr><th>name</th><th>use it for</th><th>weights</th><th>per pick</th><th>keys moved when 1 of
 *       n leaves</th></tr>
 *   <tr><td>{@code ring_hash}</td><td>caches and stateful backends: the general choice</td>
 *       <td>yes</td><td>O(1), index + short scan</td><td>its own, 1/n, while the weights' gcd and
 *       the cap's halvings stay (see {@link Builder#maxRingSize(int)})</td></tr>
 *   <tr><td>{@code maglev}</td><td>the fastest lookup and the best balance; large memberships</td>
 *       <td>yes</td><td>O(1), one table read</td><td>its own and more: 1.05/n at 10, 1.35/n at 100,
 *       3.0/n at 1,000 (see {@link Builder#maglev()})</td></tr>
 *   <tr><td>{@code rendezvous_hash}</td><td>small memberships (tens), weights exact, no table</td>
 *       <td>yes</td><td>O(n) hashes</td><td>its own, 1/n</td></tr>
 *   <tr><td>{@code jump_hash}</td><td>numbered shards that grow or shrink at the end</td>
 *       <td>ignored</td><td>O(ln n), no memory</td><td>its own, if it is the last</td></tr>
 *   <tr><td>{@code bounded_load_hash}</td><td>affinity with hot keys: no endpoint over
 *       {@code (1 + epsilon)} x the average in flight</td><td>yes</td><td>O(n) (sums in-flight
 *       counts)</td><td>its own, plus overflow that follows load</td></tr>
 *   <tr><td>{@code modulo_hash}</td><td>fixed memberships only</td><td>yes</td><td>O(1)</td>
 *       <td>nearly all: 1 - 1/n</td></tr>
 * </table>
 *
 * <p>For sticky sessions that the first call places by load, see {@link #sticky(Strategy,
 * StickTable)}.
 *
 * <p><b>Unavailable endpoints.</b> Every hash strategy builds its pickers over all members ({@link
 * Strategy#stableMembership()}); when the key's endpoint is unhealthy, ejected or draining, the
 * balancer asks for the key's next choice in the algorithm's own order (the next endpoint clockwise
 * on the ring, the next distinct Maglev table entry, the next-highest rendezvous score), so only
 * that endpoint's keys move, and they come back when it does.
 *
 * <p><b>Calls without a key</b> go to the fallback strategy, {@link Strategies#roundRobin()} unless
 * {@link Builder#fallback(Strategy) configured}.
 *
 * <p>The strategies are immutable and thread-safe; one instance may serve any number of balancers.
 * Picking is lock-free and allocates nothing for {@code long}, {@code byte[]} and {@link
 * CharSequence} keys; tables are built on the balancer's update path.
 */
public final class HashStrategies {
  private static final Strategy RING_HASH = builder().ringHash();
  private static final Strategy MAGLEV = builder().maglev();
  private static final Strategy RENDEZVOUS_HASH = builder().rendezvousHash();
  private static final Strategy JUMP_HASH = builder().jumpHash();
  private static final Strategy BOUNDED_LOAD_HASH = builder().boundedLoadHash();
  private static final Strategy MODULO_HASH = builder().moduloHash();

  /**
   * Ring points per unit of weight. Chosen from measurement (docs/ARCHITECTURE.md, "Consistent
   * hashing and affinity"): the smallest power of two whose ring keeps the standard deviation of
   * per-endpoint load within 3% at 100 endpoints with a margin; 160 (libketama) gives 8%, 1024
   * gives 3.3%.
   */
  static final int DEFAULT_VIRTUAL_NODES_PER_WEIGHT = 2048;

  /**
   * At most 2^21 ring points by default: 1,024 units of weight (after dividing the weights by their
   * gcd) at {@value #DEFAULT_VIRTUAL_NODES_PER_WEIGHT} points each, so 1,000 equal endpoints fit;
   * about 20 bytes a point, 40 MiB when full.
   */
  static final int DEFAULT_MAX_RING_SIZE = 1 << 21;

  /** The largest ring the builder accepts: 2^26 points, 512 MiB. */
  static final int MAX_RING_SIZE_LIMIT = 1 << 26;

  /**
   * The smallest Maglev table the default sizing chooses, a prime; up to 65 endpoints get it (see
   * {@link MaglevPlacement#tableSizeFor}).
   */
  static final int DEFAULT_MAGLEV_TABLE_SIZE = 65_537;

  /** The largest Maglev table the builder accepts. */
  static final int MAX_MAGLEV_TABLE_SIZE = 1 << 26;

  /** Vimeo's and HAProxy's default: no endpoint above 125% of the average. */
  static final double DEFAULT_EPSILON = 0.25;

  private HashStrategies() {}

  /**
   * Ring hash with the default options: {@value #DEFAULT_VIRTUAL_NODES_PER_WEIGHT} virtual nodes
   * per unit of weight (weights divided by their gcd), at most 2^21 points, seed 0, round-robin
   * fallback.
   *
   * @return a {@code ring_hash} strategy
   */
  public static Strategy ringHash() {
    return RING_HASH;
  }

  /**
   * Maglev with the default options: table size chosen from the endpoint count (see {@link
   * Builder#maglev()}), seed 0, round-robin fallback.
   *
   * @return a {@code maglev} strategy
   */
  public static Strategy maglev() {
    return MAGLEV;
  }

  /**
   * Weighted rendezvous (highest random weight) hashing with seed 0 and a round-robin fallback.
   *
   * @return a {@code rendezvous_hash} strategy
   */
  public static Strategy rendezvousHash() {
    return RENDEZVOUS_HASH;
  }

  /**
   * Jump consistent hash over the members' positions, with seed 0 and a round-robin fallback.
   *
   * @return a {@code jump_hash} strategy
   */
  public static Strategy jumpHash() {
    return JUMP_HASH;
  }

  /**
   * Consistent hashing with bounded loads on the default ring, epsilon 0.25, seed 0, round-robin
   * fallback.
   *
   * @return a {@code bounded_load_hash} strategy
   */
  public static Strategy boundedLoadHash() {
    return BOUNDED_LOAD_HASH;
  }

  /**
   * Modulo hashing with seed 0 and a round-robin fallback. Moves nearly every key whenever
   * membership changes; see the table above.
   *
   * @return a {@code modulo_hash} strategy
   */
  public static Strategy moduloHash() {
    return MODULO_HASH;
  }

  /**
   * Sticky sessions placed by least connections: see {@link #sticky(Strategy, StickTable)}.
   *
   * @param table where sessions are remembered, one table per balancer; must not be null
   * @return a new {@code sticky} strategy over {@link Strategies#leastConnections()}
   * @throws NullPointerException if {@code table} is null
   */
  public static Strategy sticky(StickTable table) {
    return sticky(Strategies.leastConnections(), table);
  }

  /**
   * Sticky sessions: the first call of a session (its key) is placed by {@code placement}, usually
   * a load-aware strategy, and the session then sticks to that endpoint, remembered in {@code
   * table}, as long as the endpoint is a member and can take calls and the session is not idle past
   * the table's timeout. If the endpoint goes away, or the balancer asks for an alternative, the
   * session is placed again and sticks to its new endpoint. Calls without a key are placed by
   * {@code placement} and remembered nowhere.
   *
   * <p>Unlike the hash strategies, this one holds state: give every balancer its own table, as two
   * balancers sharing one would overwrite each other's sessions.
   *
   * @param placement places the first call of each session, and calls without a key; must not be
   *     null
   * @param table where sessions are remembered; must not be null
   * @return a new {@code sticky} strategy
   * @throws NullPointerException if {@code placement} or {@code table} is null
   */
  public static Strategy sticky(Strategy placement, StickTable table) {
    checkNotNull(placement, "placement");
    checkNotNull(table, "table");
    return new StickyStrategy(placement, table);
  }

  /**
   * Returns a builder for hash strategies with non-default options.
   *
   * <pre>{@code
   * Strategy ring = HashStrategies.builder().seed(42).fallback(Strategies.p2c()).ringHash();
   * Strategy maglev = HashStrategies.builder().maglevTableSize(655_373).maglev();
   * }</pre>
   *
   * @return a new builder with every option at its default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds hash strategies with non-default options. Each option applies to the strategies its
   * documentation names; the others ignore it. Not thread-safe; every option is validated when set.
   */
  public static final class Builder {
    private long seed;
    private Strategy fallback = Strategies.roundRobin();
    private int virtualNodesPerWeight = DEFAULT_VIRTUAL_NODES_PER_WEIGHT;
    private int maxRingSize = DEFAULT_MAX_RING_SIZE;

    /** 0: chosen from the endpoint count. */
    private int maglevTableSize;

    private double epsilon = DEFAULT_EPSILON;

    private Builder() {}

    /**
     * Sets the hash seed (all strategies). Balancers with different seeds place the same keys
     * independently, for example two cache tiers that should not fail together. Defaults to 0.
     *
     * @param seed the seed for hashing keys and endpoint ids
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets the strategy for calls without a key (all strategies). Its picker is built over the same
     * members, unavailable ones included, and the balancer skips those by asking it for further
     * attempts. Defaults to {@link Strategies#roundRobin()}.
     *
     * @param fallback the strategy for calls whose context has no key; must not be null
     * @return this builder
     * @throws NullPointerException if {@code fallback} is null
     */
    public Builder fallback(Strategy fallback) {
      this.fallback = checkNotNull(fallback, "fallback");
      return this;
    }

    /**
     * Sets the ring's virtual nodes per unit of weight ({@code ring_hash}, {@code
     * bounded_load_hash}): an endpoint of weight {@code w} gets {@code w / g x
     * virtualNodesPerWeight} points, {@code g} being the greatest common divisor of all members'
     * weights, so the ring holds that many points per unit of total weight. More points balance
     * better (standard deviation of load about {@code 1 / sqrt(points per endpoint)}) and cost 8
     * bytes each. Defaults to {@value #DEFAULT_VIRTUAL_NODES_PER_WEIGHT}.
     *
     * @param virtualNodesPerWeight points per unit of weight, in 1..65536
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder virtualNodesPerWeight(int virtualNodesPerWeight) {
      if (virtualNodesPerWeight < 1 || virtualNodesPerWeight > 65_536) {
        throw new IllegalArgumentException(
            "virtualNodesPerWeight must be in 1..65536 but was " + virtualNodesPerWeight);
      }
      this.virtualNodesPerWeight = virtualNodesPerWeight;
      return this;
    }

    /**
     * Caps the ring's size ({@code ring_hash}, {@code bounded_load_hash}). When the points would
     * exceed it, every endpoint's count is halved, as often as needed (at least one point each).
     *
     * <p>When one endpoint joins, leaves or is reweighted, no key moves between two endpoints that
     * did not change, provided the change leaves the same greatest common divisor {@code g} of the
     * weights and the same number of halvings: with the defaults, as long as the weight sum divided
     * by {@code g} stays within 1..1,024 units (1,000 equal endpoints fit), or within one of the
     * bands (1,024, 2,048], (2,048, 4,096], ... Otherwise every count changes and keys move between
     * unchanged endpoints too, measured: weights 100, 100, 100 then a 50 joins (g from 100 to 50)
     * moves 29% of the keys between the three; 1,024 to 1,025 equal endpoints (one halving) 50%.
     * The ring never depends on the history of changes, so clients of one service agree.
     *
     * <p>Defaults to 2^21 (2,097,152) points: about 20 bytes each, 40 MiB when full.
     *
     * @param maxRingSize the most points the ring may hold, in 1..2^26
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxRingSize(int maxRingSize) {
      if (maxRingSize < 1 || maxRingSize > MAX_RING_SIZE_LIMIT) {
        throw new IllegalArgumentException(
            "maxRingSize must be in 1.." + MAX_RING_SIZE_LIMIT + " but was " + maxRingSize);
      }
      this.maxRingSize = maxRingSize;
      return this;
    }

    /**
     * Fixes the Maglev lookup table's size {@code M} ({@code maglev}), a prime. Keep it above 1,000
     * times the number of endpoints for little disruption (see {@link #maglev()}); it must exceed
     * the number of endpoints, or building a picker fails. By default the size is chosen from the
     * endpoint count, at least 1,000 times it, from 65,537 and the largest primes below 2^17 ..
     * 2^26; a fixed size never changes with membership, so no change of size reshuffles the keys.
     *
     * @param maglevTableSize a prime in 3..2^26
     * @return this builder
     * @throws IllegalArgumentException if not a prime in range
     */
    public Builder maglevTableSize(int maglevTableSize) {
      if (maglevTableSize < 3 || maglevTableSize > MAX_MAGLEV_TABLE_SIZE) {
        throw new IllegalArgumentException(
            "maglevTableSize must be a prime in 3.."
                + MAX_MAGLEV_TABLE_SIZE
                + " but was "
                + maglevTableSize);
      }
      if (!MaglevPlacement.isPrime(maglevTableSize)) {
        throw new IllegalArgumentException(
            "maglevTableSize must be a prime but was " + maglevTableSize);
      }
      this.maglevTableSize = maglevTableSize;
      return this;
    }

    /**
     * Sets how far above the average in-flight load an endpoint may go ({@code bounded_load_hash}):
     * none takes a call that would put it above {@code ceil((1 + epsilon) x average)}. Smaller is
     * more even and moves more keys off their first choice. Defaults to 0.25.
     *
     * @param epsilon the allowed excess over the average, positive and finite
     * @return this builder
     * @throws IllegalArgumentException if not positive and finite
     */
    public Builder epsilon(double epsilon) {
      if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
        throw new IllegalArgumentException(
            "epsilon must be positive and finite but was " + epsilon);
      }
      this.epsilon = epsilon;
      return this;
    }

    /**
     * Returns a ring hash strategy with this builder's seed, fallback, virtual nodes and maximum
     * ring size.
     *
     * @return a new {@code ring_hash} strategy
     */
    public Strategy ringHash() {
      int vnodes = virtualNodesPerWeight;
      int max = maxRingSize;
      return new HashStrategy(
          "ring_hash",
          "virtualNodesPerWeight=" + vnodes + ", maxRingSize=" + max,
          seed,
          fallback,
          (endpoints, s, previous) ->
              new RingPlacement(
                  Ring.update(
                      previous instanceof RingPlacement ring ? ring.ring() : null,
                      endpoints,
                      s,
                      vnodes,
                      max)));
    }

    /**
     * Returns a Maglev strategy with this builder's seed, fallback and table size.
     *
     * <p>Unless {@link #maglevTableSize(int) fixed}, the table size {@code M} is the smallest of
     * 65,537 and the largest primes below 2^17 .. 2^26 that is at least 1,000 times the number of
     * endpoints. Keys moved when one of {@code n} equal endpoints leaves, measured with 300,000
     * keys: 1.03-1.05/n at n = 10 (M = 65,537), 1.33-1.35/n at n = 100 (M = 131,071), 2.9-3.1/n at
     * n = 1,000 (M = 1,048,573); the ideal is 1/n. When a change takes the endpoint count across a
     * step of the sizing (66, 132, 263, 525, 1,049, ... endpoints), {@code M} changes and nearly
     * every key moves.
     *
     * @return a new {@code maglev} strategy
     */
    public Strategy maglev() {
      int size = maglevTableSize;
      return new HashStrategy(
          "maglev",
          "tableSize=" + (size == 0 ? "auto" : size),
          seed,
          fallback,
          (endpoints, s, previous) ->
              MaglevPlacement.build(
                  endpoints,
                  s,
                  size != 0 ? size : MaglevPlacement.tableSizeFor(endpoints.length),
                  previous));
    }

    /**
     * Returns a weighted rendezvous hash strategy with this builder's seed and fallback.
     *
     * @return a new {@code rendezvous_hash} strategy
     */
    public Strategy rendezvousHash() {
      return new HashStrategy(
          "rendezvous_hash",
          "weighted",
          seed,
          fallback,
          (endpoints, s, previous) -> new RendezvousPlacement(endpoints, s));
    }

    /**
     * Returns a jump consistent hash strategy with this builder's seed and fallback.
     *
     * @return a new {@code jump_hash} strategy
     */
    public Strategy jumpHash() {
      return new HashStrategy(
          "jump_hash",
          "weights ignored",
          seed,
          fallback,
          (endpoints, s, previous) -> new JumpPlacement(endpoints.length));
    }

    /**
     * Returns a bounded-load consistent hash strategy with this builder's seed, fallback, epsilon,
     * virtual nodes and maximum ring size.
     *
     * @return a new {@code bounded_load_hash} strategy
     */
    public Strategy boundedLoadHash() {
      int vnodes = virtualNodesPerWeight;
      int max = maxRingSize;
      double eps = epsilon;
      return new HashStrategy(
          "bounded_load_hash",
          "epsilon=" + eps + ", virtualNodesPerWeight=" + vnodes + ", maxRingSize=" + max,
          seed,
          fallback,
          (endpoints, s, previous) ->
              new BoundedLoadPlacement(
                  Ring.update(
                      previous instanceof BoundedLoadPlacement bounded ? bounded.ring() : null,
                      endpoints,
                      s,
                      vnodes,
                      max),
                  endpoints,
                  eps));
    }

    /**
     * Returns a modulo hash strategy with this builder's seed and fallback.
     *
     * @return a new {@code modulo_hash} strategy
     */
    public Strategy moduloHash() {
      return new HashStrategy(
          "modulo_hash",
          "not consistent",
          seed,
          fallback,
          (endpoints, s, previous) -> new ModuloPlacement(endpoints));
    }
  }
}
