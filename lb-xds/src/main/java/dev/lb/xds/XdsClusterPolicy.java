package dev.lb.xds;

import dev.lb.strategy.Strategy;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the control plane says about how to balance one cluster, beyond its endpoints: the CDS
 * cluster's load-balancing policy (and the lb strategy it maps to) and the EDS assignment's
 * overprovisioning factor and drops.
 *
 * <p>The strategy is applied by the source itself to a {@link dev.lb.SwitchableStrategy} given to
 * {@link XdsEndpointSource.Builder#strategy}, at run time, whenever the cluster's policy changes
 * (see {@link XdsEndpointSource}). The overprovisioning factor and the drops are applied by the
 * source to a {@link dev.lb.TrafficPolicy} given to {@link XdsEndpointSource.Builder#trafficPolicy}
 * (as {@link XdsCluster} does), with each accepted assignment; without one they are only reported
 * here.
 *
 * <p>Immutable and thread-safe.
 */
public final class XdsClusterPolicy {
  private final String cluster;
  private final PolicyMapping.PolicySpec spec;
  private final Strategy strategy;
  private final double overprovisioningFactor;
  private final Map<String, Double> drops;

  XdsClusterPolicy(
      String cluster,
      PolicyMapping.PolicySpec spec,
      Strategy strategy,
      double overprovisioningFactor,
      Map<String, Double> drops) {
    this.cluster = cluster;
    this.spec = spec;
    this.strategy = strategy;
    this.overprovisioningFactor = overprovisioningFactor;
    this.drops = Map.copyOf(drops);
  }

  /**
   * The cluster's name, as subscribed to.
   *
   * @return the CDS cluster (or, without CDS, the EDS service) name
   */
  public String cluster() {
    return cluster;
  }

  /**
   * The cluster's load-balancing policy: the name of Envoy's {@code lb_policy} ({@code
   * ROUND_ROBIN}, {@code LEAST_REQUEST}, {@code RING_HASH}, {@code MAGLEV}, {@code RANDOM}), or,
   * when the cluster sets the typed {@code load_balancing_policy}, the type URL of the policy
   * chosen from it (the first lb supports, such as {@code
   * type.googleapis.com/envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin}).
   * {@code ROUND_ROBIN} when the source runs without CDS.
   *
   * @return the policy's name, never blank
   */
  public String lbPolicy() {
    return spec.source();
  }

  /**
   * The lb strategy the policy maps to (the table in the {@link XdsEndpointSource} documentation),
   * the one the source applies to its {@linkplain XdsEndpointSource.Builder#strategy switchable
   * strategy}; the same instance while the policy does not change.
   *
   * @return the strategy, such as {@code weighted_round_robin} for {@code ROUND_ROBIN}
   */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * For {@code LEAST_REQUEST}, how many endpoints each pick compares ({@code
   * least_request_lb_config.choice_count}, 2 when unset); 0 for the other policies.
   *
   * @return the choice count, or 0
   */
  public int choiceCount() {
    return spec.choiceCount();
  }

  /**
   * The EDS assignment's overprovisioning factor ({@code policy.overprovisioning_factor} / 100;
   * 1.4, Envoy's default, when unset), as set on the source's {@link dev.lb.TrafficPolicy}.
   *
   * @return the factor, 1 or more
   */
  public double overprovisioningFactor() {
    return overprovisioningFactor;
  }

  /**
   * The assignment's {@code drop_overloads}: category to the fraction of calls to drop, in [0, 1],
   * in draw order; balancers following the source's {@link dev.lb.TrafficPolicy} drop them.
   *
   * @return an immutable map, empty when nothing is to be dropped
   */
  public Map<String, Double> drops() {
    return drops;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof XdsClusterPolicy p
        && cluster.equals(p.cluster)
        && spec.equals(p.spec)
        && Double.compare(overprovisioningFactor, p.overprovisioningFactor) == 0
        && drops.equals(p.drops);
  }

  @Override
  public int hashCode() {
    return Objects.hash(cluster, spec, overprovisioningFactor, drops);
  }

  @Override
  public String toString() {
    return "XdsClusterPolicy{cluster="
        + cluster
        + ", lbPolicy="
        + spec.source()
        + ", strategy="
        + strategy
        + ", overprovisioningFactor="
        + overprovisioningFactor
        + (drops.isEmpty() ? "" : ", drops=" + drops)
        + '}';
  }
}
