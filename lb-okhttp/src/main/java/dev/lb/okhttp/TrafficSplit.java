package dev.lb.okhttp;

import dev.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Splits a route's traffic between endpoint groups by weight, for canary releases (95/5) and
 * blue-green switches (100/0 → 0/100). Each arm is a {@link LoadBalancer} over one group.
 *
 * <pre>{@code
 * TrafficSplit split = TrafficSplit.builder()
 *     .arm("stable", stableBalancer, 95)
 *     .arm("canary", canaryBalancer, 5)
 *     .build();
 * }</pre>
 *
 * <p><b>Stickiness.</b> A call with an affinity key (see {@link KeyExtractor}) goes to the arm that
 * a stable 64-bit hash of the key falls into, so a user stays in one arm across calls, processes
 * and restarts. Arms own consecutive ranges of the hash space in the order they were added, so
 * growing the last arm (5% → 10%) moves users only into it: nobody already in the canary leaves it.
 * The ranges are fractions of the whole hash space, so this holds whatever the weights add up to
 * (1:1 → 1:3 as well as 95:5 → 75:25). A call without a key goes to a random arm, by weight.
 *
 * <p><b>Changing weights on a live client.</b> {@link #withWeight} derives a split with new
 * weights; {@link Service#updateDefaultTarget} and {@link Service#updateRoutes} (with {@link
 * Route#withTarget}) swap it in atomically for the calls that start afterwards, with no new
 * interceptor or client.
 *
 * <p>A split with one arm is how a route names a single group; {@link #of(LoadBalancer)} builds it.
 *
 * <p>Immutable and thread-safe.
 */
public final class TrafficSplit {
  private final List<Arm> arms;
  private final long totalWeight;
  private final long[] upperBounds;

  private TrafficSplit(List<Arm> arms) {
    this.arms = List.copyOf(arms);
    this.upperBounds = new long[arms.size()];
    long sum = 0;
    for (int i = 0; i < arms.size(); i++) {
      sum += arms.get(i).weight();
      upperBounds[i] = sum;
    }
    this.totalWeight = sum;
  }

  /**
   * Returns a split with one arm that takes every call.
   *
   * @param balancer the group's balancer; must not be null
   * @return a new split whose only arm is named after the balancer
   * @throws NullPointerException if {@code balancer} is null
   */
  public static TrafficSplit of(LoadBalancer balancer) {
    LoadBalancer b = Options.notNull(balancer, "balancer");
    return builder().arm(b.name(), b, 1).build();
  }

  /**
   * Returns a builder with no arms.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The arms, in the order they were added.
   *
   * @return an immutable list of at least one arm
   */
  public List<Arm> arms() {
    return arms;
  }

  /**
   * Returns the arm for a call: by the key's hash if there is a key, else at random by weight.
   *
   * @param key the call's affinity key, or null if it has none
   * @param random the random source for calls without a key
   * @return the chosen arm's balancer
   */
  LoadBalancer choose(@Nullable String key, RandomGenerator random) {
    if (arms.size() == 1) {
      return arms.get(0).balancer();
    }
    long point =
        key != null ? scale(SplitHash.hash(key), totalWeight) : random.nextLong(totalWeight);
    for (int i = 0; i < upperBounds.length; i++) {
      if (point < upperBounds[i]) {
        return arms.get(i).balancer();
      }
    }
    return arms.get(arms.size() - 1).balancer(); // unreachable: point < totalWeight
  }

  /**
   * Maps a 64-bit hash onto {@code 0..total-1} by its position in the whole hash space, {@code
   * floor(hash / 2^64 * total)}, the high half of the unsigned 128-bit product. Unlike {@code hash
   * mod total}, a key keeps its place in {@code [0, 1)} whatever the weights add up to, so a change
   * of weights moves only the keys whose part of the range changed arm.
   */
  static long scale(long hash, long total) {
    return Math.multiplyHigh(hash, total) + ((hash >> 63) & total); // unsigned high; total > 0
  }

  /**
   * Returns a copy of this split with one arm's weight changed, the arms in the same order, for a
   * {@link Service#updateDefaultTarget} or a {@link Route#withTarget} on a live client.
   *
   * @param arm the arm's name
   * @param weight its new weight, 0 or more
   * @return a new split
   * @throws NullPointerException if {@code arm} is null
   * @throws IllegalArgumentException if there is no such arm, {@code weight} is negative, or every
   *     arm would have weight 0
   */
  public TrafficSplit withWeight(String arm, int weight) {
    Options.notNull(arm, "arm");
    Builder b = builder();
    boolean found = false;
    for (Arm a : arms) {
      boolean match = a.name().equals(arm);
      found |= match;
      b.arm(a.name(), a.balancer(), match ? weight : a.weight());
    }
    if (!found) {
      throw new IllegalArgumentException(
          "traffic split has no arm '" + arm + "'; its arms are " + b.names);
    }
    return b.build();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("TrafficSplit{");
    for (int i = 0; i < arms.size(); i++) {
      Arm a = arms.get(i);
      sb.append(i == 0 ? "" : ", ").append(a.name()).append('=').append(a.weight());
    }
    return sb.append('}').toString();
  }

  /**
   * One arm of a split: a named group and its weight.
   *
   * @param name the arm's name, such as {@code canary}; unique within the split
   * @param balancer the balancer over the arm's endpoints
   * @param weight the arm's relative share; 0 turns the arm off (blue-green)
   */
  public record Arm(String name, LoadBalancer balancer, int weight) {}

  /** Builds a {@link TrafficSplit}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private final List<Arm> arms = new ArrayList<>();
    private final Set<String> names = new LinkedHashSet<>();

    private Builder() {}

    /**
     * Adds an arm after those already added.
     *
     * @param name the arm's name, unique within the split; must not be null or blank
     * @param balancer the balancer over the arm's endpoints; must not be null
     * @param weight the arm's relative share, 0 or more; 0 keeps the arm configured but sends it
     *     nothing
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank or repeats, {@code balancer} is
     *     null, or {@code weight} is negative
     */
    public Builder arm(String name, LoadBalancer balancer, int weight) {
      String n = Options.notBlank(name, "arm name");
      LoadBalancer b = Options.notNull(balancer, "balancer of arm '" + n + "'");
      if (weight < 0) {
        throw new IllegalArgumentException(
            "weight of arm '" + n + "' must be 0 or more but was " + weight);
      }
      if (!names.add(n)) {
        throw new IllegalArgumentException("arm names must be distinct but '" + n + "' repeats");
      }
      arms.add(new Arm(n, b, weight));
      return this;
    }

    /**
     * Returns the split.
     *
     * @return a new immutable split over the arms added
     * @throws IllegalArgumentException if no arm was added, or every arm has weight 0
     */
    public TrafficSplit build() {
      if (arms.isEmpty()) {
        throw new IllegalArgumentException("a traffic split needs at least one arm but has none");
      }
      if (arms.stream().allMatch(a -> a.weight() == 0)) {
        throw new IllegalArgumentException(
            "a traffic split needs an arm of positive weight but all are 0: " + names);
      }
      return new TrafficSplit(arms);
    }
  }
}
