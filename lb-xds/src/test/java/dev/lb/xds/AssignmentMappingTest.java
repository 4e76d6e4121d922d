package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import dev.lb.Endpoint;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AssignmentMappingTest {
  private static Map<String, Endpoint> byHost(List<Endpoint> endpoints) {
    return endpoints.stream().collect(Collectors.toMap(Endpoint::host, Function.identity()));
  }

  @Test
  void localityWeights_giveEachLocalityItsShare_splitByEndpointWeights() {
    // Locality z1 (weight 1) has three endpoints of weight 1, 1, 2; z2 (weight 3) has one. Under
    // gRPC's weighted target z2 takes 3/4 of the calls and z1's 1/4 splits 1:1:2.
    ClusterLoadAssignment cla =
        Assignments.cluster("users")
            .endpoint("z1", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.2", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.3", 80, 2, HealthStatus.HEALTHY)
            .endpoint("z2", 0, "10.0.0.4", 80, 5, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 1)
            .localityWeight("z2", 0, 3)
            .build();
    Map<String, Endpoint> e = byHost(AssignmentMapping.endpoints(cla));
    assertThat(e.get("10.0.0.1").weight()).isEqualTo(250);
    assertThat(e.get("10.0.0.2").weight()).isEqualTo(250);
    assertThat(e.get("10.0.0.3").weight()).isEqualTo(500);
    assertThat(e.get("10.0.0.4").weight()).isEqualTo(3000);
    assertThat(e.get("10.0.0.4").zone()).isEqualTo("z2");
    assertThat(e.get("10.0.0.4").metadata()).containsEntry(AssignmentMapping.REGION, "eu");
  }

  @Test
  void localityWeights_aDrainingEndpoint_doesNotShrinkItsLocalitysShare() {
    // z1 (weight 1): one healthy endpoint and one draining; z2 (weight 1): one healthy. gRPC's
    // weighted target gives each locality half, all of z1's to its one READY endpoint.
    ClusterLoadAssignment cla =
        Assignments.cluster("users")
            .endpoint("z1", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.2", 80, 3, HealthStatus.DRAINING)
            .endpoint("z2", 0, "10.0.0.3", 80, 1, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 1)
            .localityWeight("z2", 0, 1)
            .build();
    Map<String, Endpoint> e = byHost(AssignmentMapping.endpoints(cla));
    assertThat(e).containsOnlyKeys("10.0.0.1", "10.0.0.3");
    assertThat(e.get("10.0.0.1").weight()).isEqualTo(e.get("10.0.0.3").weight()).isEqualTo(1000);
  }

  @Test
  void localityWeights_onlyOnSomeLocalities_areIgnored_endpointWeightsUsed() {
    ClusterLoadAssignment cla =
        Assignments.cluster("users")
            .endpoint("z1", 0, "10.0.0.1", 80, 2, HealthStatus.HEALTHY)
            .endpoint("z2", 0, "10.0.0.2", 80, -1, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 7)
            .build();
    Map<String, Endpoint> e = byHost(AssignmentMapping.endpoints(cla));
    assertThat(e.get("10.0.0.1").weight()).isEqualTo(2);
    assertThat(e.get("10.0.0.2").weight()).isEqualTo(1);
  }

  @Test
  void localityShares_matchTheDocumentedFormula_overManySeeds() {
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      Assignments.Builder b = Assignments.cluster("c");
      int localities = 1 + random.nextInt(5);
      int[] localityWeight = new int[localities];
      long[] sums = new long[localities];
      int host = 0;
      for (int l = 0; l < localities; l++) {
        localityWeight[l] = 1 + random.nextInt(100);
        int n = 1 + random.nextInt(20);
        for (int i = 0; i < n; i++) {
          int w = 1 + random.nextInt(50);
          sums[l] += w;
          b.endpoint(
              "z" + l,
              0,
              "10.0." + (host / 250) + "." + (host % 250 + 1),
              80,
              w,
              HealthStatus.HEALTHY);
          host++;
        }
        b.localityWeight("z" + l, 0, localityWeight[l]);
      }
      List<Endpoint> endpoints = AssignmentMapping.endpoints(b.build());
      assertThat(endpoints).hasSize(host);
      double totalLocalityWeight = 0;
      for (int w : localityWeight) {
        totalLocalityWeight += w;
      }
      double total = endpoints.stream().mapToDouble(Endpoint::weight).sum();
      for (int l = 0; l < localities; l++) {
        String zone = "z" + l;
        double share =
            endpoints.stream()
                    .filter(x -> zone.equals(x.zone()))
                    .mapToDouble(Endpoint::weight)
                    .sum()
                / total;
        // Rounding each endpoint to an integer moves a locality's share by well under 1%.
        assertThat(share)
            .as("seed %d locality %d", seed, l)
            .isCloseTo(
                localityWeight[l] / totalLocalityWeight, org.assertj.core.data.Offset.offset(0.01));
      }
    }
  }

  @Test
  void health_unhealthyDrainingTimeout_leave_degradedStaysMarked() {
    ClusterLoadAssignment cla =
        Assignments.cluster("users")
            .endpoint("z1", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.2", 80, 1, HealthStatus.UNKNOWN)
            .endpoint("z1", 0, "10.0.0.3", 80, 1, HealthStatus.DEGRADED)
            .endpoint("z1", 0, "10.0.0.4", 80, 1, HealthStatus.UNHEALTHY)
            .endpoint("z1", 0, "10.0.0.5", 80, 1, HealthStatus.DRAINING)
            .endpoint("z1", 0, "10.0.0.6", 80, 1, HealthStatus.TIMEOUT)
            .build();
    Map<String, Endpoint> e = byHost(AssignmentMapping.endpoints(cla));
    assertThat(e).containsOnlyKeys("10.0.0.1", "10.0.0.2", "10.0.0.3");
    assertThat(e.get("10.0.0.3").metadata()).containsEntry(AssignmentMapping.HEALTH, "DEGRADED");
    assertThat(e.get("10.0.0.3").backup()).as("DEGRADED: a backup").isTrue();
    assertThat(e.get("10.0.0.1").metadata()).doesNotContainKey(AssignmentMapping.HEALTH);
  }

  @Test
  void priorities_mapAndMustBeContiguous() {
    ClusterLoadAssignment ok =
        Assignments.cluster("users")
            .endpoint("z1", 1, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.2", 80, 1, HealthStatus.HEALTHY)
            .build();
    assertThat(byHost(AssignmentMapping.endpoints(ok)).get("10.0.0.1").priority()).isEqualTo(1);
    ClusterLoadAssignment gap =
        Assignments.cluster("users")
            .endpoint("z1", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 2, "10.0.0.2", 80, 1, HealthStatus.HEALTHY)
            .build();
    assertThatThrownBy(() -> AssignmentMapping.endpoints(gap))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'users'")
        .hasMessageContaining("contiguous from 0 (missing 1)");
  }

  @Test
  void invalidEndpoints_areRejectedNamingThePlace() {
    assertInvalid(
        Assignments.cluster("c").endpoint("z", 0, "10.0.0.1", 0, 1, HealthStatus.HEALTHY).build(),
        "locality 0 endpoint 0 port must be in 1..65535 but was 0");
    assertInvalid(
        Assignments.cluster("c").endpoint("z", 0, "10.0.0.1", 80, 0, HealthStatus.HEALTHY).build(),
        "load_balancing_weight must be 1 or more but was 0");
    assertInvalid(
        Assignments.cluster("c")
            .endpoint("z", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .endpoint("y", 1, "10.0.0.1", 80, 1, HealthStatus.UNHEALTHY)
            .build(),
        "address 10.0.0.1:80 is listed twice");
    assertInvalid(
        Assignments.cluster("c")
            .endpoint("z", 0, "not a host", 80, 1, HealthStatus.HEALTHY)
            .build(),
        "locality 0 endpoint 0");
    assertInvalid(
        Assignments.cluster("c")
            .endpoint("z", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
            .localityWeight("z", 0, 0)
            .build(),
        "locality 0 load_balancing_weight must be 1 or more but was 0");
    LbEndpoint named =
        LbEndpoint.newBuilder()
            .setEndpoint(
                io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder()
                                    .setAddress("10.0.0.1")
                                    .setNamedPort("http"))))
            .build();
    assertInvalid(one(named), "named ports are not supported");
    LbEndpoint pipe =
        LbEndpoint.newBuilder()
            .setEndpoint(
                io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setAddress(Address.newBuilder().setPipe(Pipe.newBuilder().setPath("/tmp/s"))))
            .build();
    assertInvalid(one(pipe), "has no socket address");
    assertInvalid(one(LbEndpoint.getDefaultInstance()), "has no address");
  }

  private static ClusterLoadAssignment one(LbEndpoint e) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(e))
        .build();
  }

  private static void assertInvalid(ClusterLoadAssignment cla, String message) {
    assertThatThrownBy(() -> AssignmentMapping.endpoints(cla))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ClusterLoadAssignment 'c'")
        .hasMessageContaining(message);
  }

  @Test
  void ipv6InBrackets_andHostnameMetadata() {
    LbEndpoint e =
        LbEndpoint.newBuilder()
            .setEndpoint(
                io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setHostname("users-0.shop")
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder().setAddress("[::1]").setPortValue(8080))))
            .build();
    Endpoint endpoint = AssignmentMapping.endpoints(one(e)).get(0);
    assertThat(endpoint.host()).isEqualTo("::1");
    assertThat(endpoint.metadata()).containsEntry(AssignmentMapping.HOSTNAME, "users-0.shop");
    assertThat(endpoint.zone()).isNull();
  }

  @Test
  void thousandEndpoints_sortedById() {
    Assignments.Builder b = Assignments.cluster("c");
    for (int i = 999; i >= 0; i--) {
      b.endpoint(
          "z" + (i % 3),
          0,
          "10.1." + (i / 250) + "." + (i % 250 + 1),
          8080,
          1 + i % 4,
          HealthStatus.HEALTHY);
    }
    List<Endpoint> endpoints = AssignmentMapping.endpoints(b.build());
    assertThat(endpoints).hasSize(1000);
    assertThat(endpoints).isSortedAccordingTo(java.util.Comparator.comparing(Endpoint::id));
  }

  @Test
  void policy_overprovisioningAndDrops() {
    ClusterLoadAssignment none = Assignments.cluster("c").build();
    assertThat(AssignmentMapping.overprovisioningFactor(none)).isEqualTo(1.4);
    assertThat(AssignmentMapping.drops(none)).isEmpty();
    ClusterLoadAssignment cla =
        Assignments.cluster("c")
            .policy(
                ClusterLoadAssignment.Policy.newBuilder()
                    .setOverprovisioningFactor(UInt32Value.of(200))
                    .addDropOverloads(drop("lb", 5, FractionalPercent.DenominatorType.HUNDRED))
                    .addDropOverloads(
                        drop("throttle", 250, FractionalPercent.DenominatorType.MILLION))
                    .addDropOverloads(drop("all", 300, FractionalPercent.DenominatorType.HUNDRED))
                    .build())
            .build();
    assertThat(AssignmentMapping.overprovisioningFactor(cla)).isEqualTo(2.0);
    assertThat(AssignmentMapping.drops(cla))
        .containsExactly(
            Map.entry("lb", 0.05), Map.entry("throttle", 0.00025), Map.entry("all", 1.0));
    ClusterLoadAssignment low =
        Assignments.cluster("c")
            .policy(
                ClusterLoadAssignment.Policy.newBuilder()
                    .setOverprovisioningFactor(UInt32Value.of(50))
                    .addDropOverloads(drop("x", 1, FractionalPercent.DenominatorType.HUNDRED))
                    .addDropOverloads(drop("x", 2, FractionalPercent.DenominatorType.HUNDRED))
                    .build())
            .build();
    assertThatThrownBy(() -> AssignmentMapping.overprovisioningFactor(low))
        .hasMessageContaining("overprovisioning_factor must be 100 or more for lb but was 50");
    assertThatThrownBy(() -> AssignmentMapping.drops(low))
        .hasMessageContaining("category 'x' is listed twice");
  }

  private static ClusterLoadAssignment.Policy.DropOverload drop(
      String category, int numerator, FractionalPercent.DenominatorType denominator) {
    return ClusterLoadAssignment.Policy.DropOverload.newBuilder()
        .setCategory(category)
        .setDropPercentage(
            FractionalPercent.newBuilder().setNumerator(numerator).setDenominator(denominator))
        .build();
  }
}
