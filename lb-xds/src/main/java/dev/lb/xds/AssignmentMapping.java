package dev.lb.xds;

import dev.lb.Endpoint;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pure part of {@link XdsEndpointSource}: one EDS {@code ClusterLoadAssignment} to lb endpoints
 * and the assignment's policy. No state, no I/O; every rule is unit-tested on its own.
 *
 * <p>Design note. The rules follow the xDS client behaviour gRPC specifies for proxyless clients
 * (gRFC A27 "xDS-Based Global Load Balancing", A42 for ring hash): {@code HEALTHY} and {@code
 * UNKNOWN} endpoints take calls; {@code DEGRADED} ones become backups ({@link Endpoint#backup()}:
 * calls only while no primary endpoint is available, where gRPC never calls them and Envoy calls
 * them when the healthy ones do not suffice; GrpcXdsCrossCheckTest shows gRPC's choice); {@code
 * UNHEALTHY}, {@code DRAINING} and {@code TIMEOUT} ones do not take calls; priorities must be
 * contiguous from 0; an assignment that breaks a rule is rejected whole (and NACKed), never applied
 * in part. Locality weights follow gRPC's weighted target: each locality gets its weight's share of
 * its priority, split among its endpoints by their own weights (see {@link #endpoints}).
 */
final class AssignmentMapping {
  /** Metadata key: the locality's region. */
  static final String REGION = "xds.region";

  /** Metadata key: the locality's sub-zone. */
  static final String SUB_ZONE = "xds.subZone";

  /** Metadata key: the endpoint's health status when it is not {@code HEALTHY}/{@code UNKNOWN}. */
  static final String HEALTH = "xds.health";

  /** Metadata key: the endpoint's hostname, when the control plane gives one. */
  static final String HOSTNAME = "xds.hostname";

  /**
   * With locality weights, the weight one locality of weight 1 spreads over its endpoints; large
   * enough that the integer weights keep the shares to within 0.1% of the smallest locality's.
   */
  static final long LOCALITY_SCALE = 1000;

  private AssignmentMapping() {}

  /** Whether an endpoint of this health takes calls, as a primary or (DEGRADED) a backup. */
  static boolean takesCalls(HealthStatus status) {
    return status == HealthStatus.HEALTHY
        || status == HealthStatus.UNKNOWN
        || status == HealthStatus.DEGRADED;
  }

  /**
   * The endpoints of {@code assignment} that take calls, sorted by id ({@code host:port}).
   *
   * <p>Zone is the locality's {@code zone}; region and sub-zone go to metadata. Priority is the
   * locality's {@code priority}. Weight: when every locality of the assignment carries a {@code
   * load_balancing_weight}, an endpoint's weight is {@code 1000 × localityWeight × endpointWeight /
   * (sum of the weights of the endpoints in its locality that take calls as it does: primaries, or
   * backups)}, rounded, at least 1, so that each locality gets its weight's share of its priority
   * as under gRPC's weighted target; otherwise (no locality weights, or only some) it is the
   * endpoint's own {@code load_balancing_weight} (1 when unset), as Envoy does without
   * locality-weighted balancing.
   *
   * @throws IllegalArgumentException naming the place when the assignment is invalid: an endpoint
   *     without a socket address, a named port or a port outside 1..65535, a weight of 0, an
   *     address listed twice, priorities that are not contiguous from 0, or a weight too large for
   *     lb
   */
  static List<Endpoint> endpoints(ClusterLoadAssignment assignment) {
    String cluster = assignment.getClusterName();
    boolean localityWeighted = assignment.getEndpointsCount() > 0;
    Set<Integer> priorities = new TreeSet<>();
    for (int l = 0; l < assignment.getEndpointsCount(); l++) {
      LocalityLbEndpoints locality = assignment.getEndpoints(l);
      if (locality.hasLoadBalancingWeight()) {
        if (locality.getLoadBalancingWeight().getValue() == 0) {
          throw invalid(
              cluster, "locality " + l, "load_balancing_weight must be 1 or more but was 0");
        }
      } else {
        localityWeighted = false;
      }
      priorities.add(locality.getPriority());
    }
    int expected = 0;
    for (int p : priorities) {
      if (p != expected) {
        throw invalid(
            cluster,
            "priorities " + priorities,
            "priorities must be contiguous from 0 (missing "
                + Integer.toUnsignedString(expected)
                + ")");
      }
      expected++;
    }
    List<Endpoint> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int l = 0; l < assignment.getEndpointsCount(); l++) {
      LocalityLbEndpoints locality = assignment.getEndpoints(l);
      // The locality's share is split among the endpoints that take calls, as gRPC's weighted
      // target gives the whole share to the child's READY endpoints: one draining endpoint must
      // not shrink its locality's share (GrpcXdsCrossCheckTest found this).
      // Backups (DEGRADED) split the locality's share among themselves, for when they are used.
      long primaryWeightSum = 0;
      long backupWeightSum = 0;
      for (int e = 0; e < locality.getLbEndpointsCount(); e++) {
        long w = endpointWeight(cluster, l, e, locality.getLbEndpoints(e));
        HealthStatus health = locality.getLbEndpoints(e).getHealthStatus();
        if (health == HealthStatus.DEGRADED) {
          backupWeightSum += w;
        } else if (takesCalls(health)) {
          primaryWeightSum += w;
        }
      }
      for (int e = 0; e < locality.getLbEndpointsCount(); e++) {
        LbEndpoint lbEndpoint = locality.getLbEndpoints(e);
        String place = "locality " + l + " endpoint " + e;
        long own = endpointWeight(cluster, l, e, lbEndpoint);
        if (!lbEndpoint.hasEndpoint() || !lbEndpoint.getEndpoint().hasAddress()) {
          throw invalid(cluster, place, "has no address");
        }
        if (!lbEndpoint.getEndpoint().getAddress().hasSocketAddress()) {
          throw invalid(
              cluster,
              place,
              "has no socket address (pipes and internal addresses are not supported)");
        }
        SocketAddress socket = lbEndpoint.getEndpoint().getAddress().getSocketAddress();
        if (socket.getPortSpecifierCase() != SocketAddress.PortSpecifierCase.PORT_VALUE) {
          throw invalid(cluster, place, "must give port_value (named ports are not supported)");
        }
        int port = socket.getPortValue();
        if (port < 1 || port > 65535) {
          throw invalid(
              cluster, place, "port must be in 1..65535 but was " + Integer.toUnsignedString(port));
        }
        String host = socket.getAddress();
        if (host.startsWith("[") && host.endsWith("]")) {
          host = host.substring(1, host.length() - 1);
        }
        long weight = own;
        if (localityWeighted) {
          long localityWeight =
              Integer.toUnsignedLong(locality.getLoadBalancingWeight().getValue());
          weight =
              Math.max(
                  1,
                  Math.round(
                      (double) LOCALITY_SCALE
                          * localityWeight
                          * own
                          / Math.max(
                              1,
                              lbEndpoint.getHealthStatus() == HealthStatus.DEGRADED
                                  ? backupWeightSum
                                  : primaryWeightSum)));
        }
        if (weight > Integer.MAX_VALUE) {
          throw invalid(
              cluster,
              place,
              "weight " + weight + " is larger than lb's maximum " + Integer.MAX_VALUE);
        }
        Endpoint endpoint;
        try {
          endpoint = endpoint(host, port, (int) weight, locality, lbEndpoint);
        } catch (IllegalArgumentException ex) {
          throw invalid(cluster, place, String.valueOf(ex.getMessage()));
        }
        if (!ids.add(endpoint.id())) {
          throw invalid(cluster, place, "address " + endpoint.id() + " is listed twice");
        }
        if (takesCalls(lbEndpoint.getHealthStatus())) {
          out.add(endpoint);
        }
      }
    }
    out.sort(Comparator.comparing(Endpoint::id));
    return List.copyOf(out);
  }

  private static long endpointWeight(String cluster, int l, int e, LbEndpoint lbEndpoint) {
    if (!lbEndpoint.hasLoadBalancingWeight()) {
      return 1;
    }
    long w = Integer.toUnsignedLong(lbEndpoint.getLoadBalancingWeight().getValue());
    if (w == 0) {
      throw invalid(
          cluster,
          "locality " + l + " endpoint " + e,
          "load_balancing_weight must be 1 or more but was 0");
    }
    return w;
  }

  private static Endpoint endpoint(
      String host, int port, int weight, LocalityLbEndpoints locality, LbEndpoint lbEndpoint) {
    Endpoint.Builder b = Endpoint.builder(host, port).weight(weight);
    // A uint32 in the proto: Java sees values above 2^31 - 1 as negative.
    if (locality.getPriority() < 0) {
      throw new IllegalArgumentException(
          "priority " + Integer.toUnsignedString(locality.getPriority()) + " is too large");
    }
    b.priority(locality.getPriority());
    Locality where = locality.getLocality();
    if (!where.getZone().isBlank()) {
      b.zone(where.getZone());
    }
    if (!where.getRegion().isBlank()) {
      b.metadata(REGION, where.getRegion());
    }
    if (!where.getSubZone().isBlank()) {
      b.metadata(SUB_ZONE, where.getSubZone());
    }
    HealthStatus health = lbEndpoint.getHealthStatus();
    if (health != HealthStatus.HEALTHY && health != HealthStatus.UNKNOWN) {
      b.metadata(HEALTH, health.name());
    }
    if (health == HealthStatus.DEGRADED) {
      b.backup(true);
    }
    String hostname = lbEndpoint.getEndpoint().getHostname();
    if (!hostname.isBlank()) {
      b.metadata(HOSTNAME, hostname);
    }
    return b.build();
  }

  /**
   * The assignment's overprovisioning factor: {@code policy.overprovisioning_factor} / 100, 1.4
   * when unset (Envoy's default). A factor below 100 (under 1.0) is invalid: lb's factor is 1 or
   * more.
   */
  static double overprovisioningFactor(ClusterLoadAssignment assignment) {
    if (!assignment.hasPolicy() || !assignment.getPolicy().hasOverprovisioningFactor()) {
      return 1.4;
    }
    long percent =
        Integer.toUnsignedLong(assignment.getPolicy().getOverprovisioningFactor().getValue());
    if (percent < 100) {
      throw invalid(
          assignment.getClusterName(),
          "policy",
          "overprovisioning_factor must be 100 or more for lb but was " + percent);
    }
    return percent / 100.0;
  }

  /**
   * The assignment's drop categories, each as a fraction of calls in [0, 1], in the control plane's
   * order.
   *
   * @throws IllegalArgumentException when a category repeats or a fraction is over 100%
   */
  static Map<String, Double> drops(ClusterLoadAssignment assignment) {
    Map<String, Double> drops = new LinkedHashMap<>();
    if (!assignment.hasPolicy()) {
      return drops;
    }
    for (ClusterLoadAssignment.Policy.DropOverload drop :
        assignment.getPolicy().getDropOverloadsList()) {
      FractionalPercent percent = drop.getDropPercentage();
      double denominator =
          switch (percent.getDenominator()) {
            case HUNDRED -> 100.0;
            case TEN_THOUSAND -> 10_000.0;
            case MILLION -> 1_000_000.0;
            case UNRECOGNIZED ->
                throw invalid(
                    assignment.getClusterName(),
                    "drop_overloads " + drop.getCategory(),
                    "has an unknown denominator");
          };
      // Envoy caps a numerator above its denominator at 100%.
      double fraction = Math.min(1.0, Integer.toUnsignedLong(percent.getNumerator()) / denominator);
      if (drops.put(drop.getCategory(), fraction) != null) {
        throw invalid(
            assignment.getClusterName(),
            "drop_overloads",
            "category '" + drop.getCategory() + "' is listed twice");
      }
    }
    return drops;
  }

  static IllegalArgumentException invalid(String cluster, String place, String problem) {
    return new IllegalArgumentException(
        "ClusterLoadAssignment '" + cluster + "': " + place + " " + problem);
  }
}
