package dev.lb.benchmarks.peers;

import com.linecorp.armeria.common.loadbalancer.LoadBalancer;
import com.linecorp.armeria.common.loadbalancer.SimpleLoadBalancer;
import dev.lb.Endpoint;
import dev.lb.benchmarks.Backends;
import java.util.List;

/**
 * Armeria's {@code com.linecorp.armeria.common.loadbalancer.LoadBalancer} family, the selection
 * core its {@code EndpointSelectionStrategy} implementations delegate to, over lb's endpoint values
 * as candidates. Armeria keeps no count of calls in flight here, so a call is a pick only.
 */
final class ArmeriaPeers {
  private ArmeriaPeers() {}

  /** Round robin, ignoring weights. */
  static PickTarget roundRobin(int n, boolean equalWeights) {
    SimpleLoadBalancer<Endpoint> balancer =
        LoadBalancer.ofRoundRobin(Backends.endpoints(n, equalWeights));
    return PickTarget.pickOnly(balancer::pick);
  }

  /** Weighted round robin by the endpoints' weights. */
  static PickTarget weightedRoundRobin(int n, boolean equalWeights) {
    SimpleLoadBalancer<Endpoint> balancer =
        LoadBalancer.ofWeightedRoundRobin(Backends.endpoints(n, equalWeights), Endpoint::weight);
    return PickTarget.pickOnly(balancer::pick);
  }

  /** Weighted random by the endpoints' weights. */
  static PickTarget weightedRandom(int n, boolean equalWeights) {
    SimpleLoadBalancer<Endpoint> balancer =
        LoadBalancer.ofWeightedRandom(Backends.endpoints(n, equalWeights), Endpoint::weight);
    return PickTarget.pickOnly(balancer::pick);
  }

  /** Sticky (consistent) selection by a precomputed 64-bit key hash. */
  static KeyedTarget sticky(int n, int keyCount) {
    List<Endpoint> endpoints = Backends.endpoints(n);
    long[] keys = Backends.longKeys(keyCount);
    LoadBalancer<Endpoint, Integer> balancer =
        LoadBalancer.ofSticky(endpoints, keyIndex -> keys[keyIndex]);
    Integer[] boxed = new Integer[keys.length];
    for (int i = 0; i < boxed.length; i++) {
      boxed[i] = i;
    }
    return keyIndex -> balancer.pick(boxed[keyIndex]);
  }
}
