package dev.lb.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test builder of EDS assignments: one locality per (zone, priority), endpoints in order. */
final class Assignments {
  private Assignments() {}

  static Builder cluster(String name) {
    return new Builder(name);
  }

  static LbEndpoint lbEndpoint(String host, int port, int weight, HealthStatus health) {
    LbEndpoint.Builder b =
        LbEndpoint.newBuilder()
            .setHealthStatus(health)
            .setEndpoint(
                io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder().setAddress(host).setPortValue(port))));
    if (weight >= 0) {
      b.setLoadBalancingWeight(UInt32Value.of(weight));
    }
    return b.build();
  }

  static final class Builder {
    private final ClusterLoadAssignment.Builder cla;
    private final Map<String, LocalityLbEndpoints.Builder> localities = new LinkedHashMap<>();

    private Builder(String name) {
      cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    }

    /** Adds an endpoint; {@code weight} -1 leaves load_balancing_weight unset. */
    Builder endpoint(
        String zone, int priority, String host, int port, int weight, HealthStatus health) {
      locality(zone, priority).addLbEndpoints(lbEndpoint(host, port, weight, health));
      return this;
    }

    Builder localityWeight(String zone, int priority, int weight) {
      locality(zone, priority).setLoadBalancingWeight(UInt32Value.of(weight));
      return this;
    }

    Builder policy(ClusterLoadAssignment.Policy policy) {
      cla.setPolicy(policy);
      return this;
    }

    private LocalityLbEndpoints.Builder locality(String zone, int priority) {
      return localities.computeIfAbsent(
          zone + "/" + priority,
          k ->
              LocalityLbEndpoints.newBuilder()
                  .setPriority(priority)
                  .setLocality(Locality.newBuilder().setRegion("eu").setZone(zone)));
    }

    ClusterLoadAssignment build() {
      for (LocalityLbEndpoints.Builder l : localities.values()) {
        cla.addEndpoints(l);
      }
      return cla.build();
    }
  }
}
