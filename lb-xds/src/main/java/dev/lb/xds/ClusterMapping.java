package dev.lb.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import org.jspecify.annotations.Nullable;

/**
 * The pure part of reading a CDS {@code Cluster}: where its endpoints come from and which policy
 * balances it. No state, no I/O.
 *
 * <p>Supported, as for gRPC's proxyless clients (gRFC A28): {@code EDS} clusters, whose endpoints
 * come from the EDS resource named by {@code eds_cluster_config.service_name} (the cluster's own
 * name when empty), and {@code STATIC} clusters, whose {@code load_assignment} is inline. DNS,
 * original-destination and custom cluster types are rejected (NACKed). The load-balancing policy is
 * read by {@link PolicyMapping}.
 */
final class ClusterMapping {
  private ClusterMapping() {}

  /** What one cluster resource says, validated. */
  record ClusterConfig(
      String name,
      @Nullable String edsServiceName,
      @Nullable ClusterLoadAssignment inlineAssignment,
      PolicyMapping.PolicySpec policy) {}

  /**
   * Reads {@code cluster}.
   *
   * @throws IllegalArgumentException naming the cluster when its type is not supported or its
   *     settings are invalid
   */
  static ClusterConfig read(Cluster cluster) {
    String name = cluster.getName();
    String edsServiceName = null;
    ClusterLoadAssignment inline = null;
    if (cluster.getClusterDiscoveryTypeCase() != Cluster.ClusterDiscoveryTypeCase.TYPE
        && cluster.getClusterDiscoveryTypeCase()
            != Cluster.ClusterDiscoveryTypeCase.CLUSTERDISCOVERYTYPE_NOT_SET) {
      throw invalid(name, "custom cluster types are not supported");
    }
    switch (cluster.getType()) {
      case EDS -> {
        String service = cluster.getEdsClusterConfig().getServiceName();
        edsServiceName = service.isEmpty() ? name : service;
      }
      case STATIC -> {
        if (!cluster.hasLoadAssignment()) {
          throw invalid(name, "a STATIC cluster needs a load_assignment");
        }
        inline = cluster.getLoadAssignment();
        if (inline.getClusterName().isEmpty()) {
          inline = inline.toBuilder().setClusterName(name).build();
        }
      }
      default ->
          throw invalid(
              name, "cluster type " + cluster.getType() + " is not supported (EDS or STATIC)");
    }
    return new ClusterConfig(name, edsServiceName, inline, PolicyMapping.read(cluster));
  }

  private static IllegalArgumentException invalid(String cluster, String problem) {
    return new IllegalArgumentException("Cluster '" + cluster + "': " + problem);
  }
}
