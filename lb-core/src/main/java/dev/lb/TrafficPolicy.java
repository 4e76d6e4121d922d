package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * What a control plane says about a cluster's traffic besides its endpoints and its strategy, and
 * may change while the balancers built with it run ({@link LoadBalancer.Builder#trafficPolicy}):
 * the share of calls to drop, by category, and the overprovisioning factor of the priority and zone
 * spill-over. lb-xds keeps one per cluster and sets both from each EDS assignment's {@code policy}
 * ({@code drop_overloads}, {@code overprovisioning_factor}); an operator can use one to shed a
 * fixed share of load by hand.
 *
 * <pre>{@code
 * TrafficPolicy policy = TrafficPolicy.create();
 * LoadBalancer balancer = LoadBalancer.builder().trafficPolicy(policy).endpoints(list).build();
 * policy.setDrops(List.of(TrafficPolicy.Drop.of("throttle", 0.25)));  // a quarter of calls fail
 * }</pre>
 *
 * <p><b>Drops.</b> Each call a balancer admits ({@link LoadBalancer#pick}, {@link
 * LoadBalancer#tryPick}, {@link LoadBalancer#pickAsync}) draws once against each category in order,
 * as xDS clients do: the first category whose draw hits drops the call, so categories of 20% and
 * 50% drop 20% and 40% of all calls (60% together). A dropped call takes nothing (no balancer-wide
 * slot, no endpoint, no breaker permission) and fails with {@link
 * NoEndpointAvailableException.Reason#DROPPED}, whose exception names the {@link
 * NoEndpointAvailableException#dropCategory() category}; listeners hear of it as of any refusal.
 * The draw is made once per call, before the endpoint is chosen: the stale-snapshot retry and the
 * diagnosis of a failed pick do not draw again, and {@code pickAsync} does not wait on a drop.
 * {@link LoadBalancer#choose} (no call) never drops. The adapters report a drop as such: lb-grpc
 * fails the RPC with a drop (UNAVAILABLE, not retried, wait-for-ready or not), lb-okhttp with an
 * {@code IOException}; a retry or hedge that is dropped is not made. Draws use the balancer's
 * {@link LoadBalancer.Builder#random random source}.
 *
 * <p><b>Overprovisioning.</b> {@link #setOverprovisioningFactor} replaces the factor of every
 * balancer built with this policy: each routes anew with it on its update path before the call
 * returns, as {@link SwitchableStrategy#switchTo} does for a strategy.
 *
 * <p>Thread-safe. The setters are serialized and take each balancer's update lock in turn, so they
 * must not be called from a {@link LoadBalancerListener} callback of one of those balancers. A pick
 * reads the drops with one volatile read, and a policy without drops costs a pick nothing more.
 */
@Experimental("new in 0.1: the contract may change")
public final class TrafficPolicy {
  private static final Drop[] NO_DROPS = new Drop[0];

  /** The default overprovisioning factor, Envoy's: 1.4. */
  public static final double DEFAULT_OVERPROVISIONING_FACTOR = 1.4;

  private final CopyOnWriteArrayList<Attachment> balancers = new CopyOnWriteArrayList<>();
  private volatile Drop[] drops = NO_DROPS;
  private volatile double overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR;

  /** A balancer built with this policy: told of a new factor on its own path. */
  interface Attachment {
    /** Routes anew with the policy's current factor, before returning. */
    void overprovisioningChanged();
  }

  private TrafficPolicy() {}

  /**
   * Returns a policy that drops nothing, with the default overprovisioning factor 1.4.
   *
   * @return a new policy
   */
  public static TrafficPolicy create() {
    return new TrafficPolicy();
  }

  /**
   * Replaces the drop categories; the next call any balancer built with this policy admits draws
   * against them.
   *
   * @param drops the categories in the order they are drawn; empty to drop nothing; must not be
   *     null nor hold null or two categories of one name
   * @throws NullPointerException if {@code drops} or one of them is null
   * @throws IllegalArgumentException if two categories have the same name
   */
  public synchronized void setDrops(List<Drop> drops) {
    checkNotNull(drops, "drops");
    List<Drop> kept = new ArrayList<>(drops.size());
    for (Drop d : drops) {
      checkNotNull(d, "drop");
      for (Drop k : kept) {
        checkArgument(
            !k.category().equals(d.category()),
            "drops must name each category once but named '%s' twice",
            d.category());
      }
      if (d.fraction() > 0) {
        kept.add(d);
      }
    }
    this.drops = kept.toArray(NO_DROPS);
  }

  /**
   * The drop categories that can drop a call (those with a fraction above zero), in draw order.
   *
   * @return an immutable list
   */
  public List<Drop> drops() {
    return List.of(drops);
  }

  /**
   * Replaces the overprovisioning factor ({@link LoadBalancer.Builder#overprovisioningFactor}) of
   * every balancer built with this policy; each has routed with it when this method returns.
   * Nothing happens if it is the current factor.
   *
   * @param factor 1 or more (1.4 is Envoy's default)
   * @return true if the factor changed
   * @throws IllegalArgumentException if {@code factor} is below 1, infinite or NaN
   */
  public synchronized boolean setOverprovisioningFactor(double factor) {
    checkOverprovisioning(factor);
    if (factor == overprovisioningFactor) {
      return false;
    }
    overprovisioningFactor = factor;
    for (Attachment a : balancers) {
      a.overprovisioningChanged();
    }
    return true;
  }

  /**
   * The overprovisioning factor balancers built with this policy route with.
   *
   * @return 1 or more
   */
  public double overprovisioningFactor() {
    return overprovisioningFactor;
  }

  static void checkOverprovisioning(double factor) {
    checkArgument(
        factor >= 1 && Double.isFinite(factor),
        "overprovisioningFactor must be 1 or more but was %s",
        factor);
  }

  /** Draws a call's drop: the category that drops it, or null. Lock-free and allocation-free. */
  @Nullable Drop draw(RandomGenerator random) {
    Drop[] d = drops;
    for (Drop drop : d) {
      if (random.nextDouble() < drop.fraction()) {
        return drop;
      }
    }
    return null;
  }

  /** Called by a balancer's engine when it is built with this policy. */
  void attach(Attachment balancer) {
    balancers.add(balancer);
  }

  /** Called by a balancer's engine when it closes. */
  void detach(Attachment balancer) {
    balancers.remove(balancer);
  }

  /** The number of open balancers built with this policy, for tests. */
  int attached() {
    return balancers.size();
  }

  @Override
  public String toString() {
    return "TrafficPolicy{drops="
        + List.of(drops)
        + ", overprovisioningFactor="
        + overprovisioningFactor
        + '}';
  }

  /**
   * One drop category: a name and the share of calls it drops, of those that reach it (categories
   * are drawn in order).
   *
   * @param category the category's name, as the control plane gives it; not blank
   * @param fraction the share of calls to drop, in [0, 1]
   */
  public record Drop(String category, double fraction) {
    /**
     * Checks the arguments.
     *
     * @param category the category's name; not blank
     * @param fraction in [0, 1]
     * @throws NullPointerException if {@code category} is null
     * @throws IllegalArgumentException if {@code category} is blank or {@code fraction} is not in
     *     [0, 1]
     */
    public Drop {
      checkNotBlank(category, "category");
      checkArgument(
          fraction >= 0 && fraction <= 1,
          "fraction of drop category '%s' must be in [0, 1] but was %s",
          category,
          fraction);
    }

    /**
     * Returns a category dropping {@code fraction} of the calls that reach it.
     *
     * @param category the category's name; not blank
     * @param fraction in [0, 1]
     * @return the category
     * @throws NullPointerException if {@code category} is null
     * @throws IllegalArgumentException if {@code category} is blank or {@code fraction} is not in
     *     [0, 1]
     */
    public static Drop of(String category, double fraction) {
      return new Drop(category, fraction);
    }
  }
}
