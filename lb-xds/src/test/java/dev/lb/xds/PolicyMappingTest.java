package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.FloatValue;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Strategy;
import dev.lb.xds.PolicyMapping.Kind;
import dev.lb.xds.PolicyMapping.PolicySpec;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.subset.v3.Subset;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PolicyMappingTest {
  private static Cluster.Builder cluster() {
    return XdsIntegrationTest.edsCluster("users", "users").toBuilder().clearLbPolicy();
  }

  static LoadBalancingPolicy policies(Message... configs) {
    LoadBalancingPolicy.Builder b = LoadBalancingPolicy.newBuilder();
    for (Message m : configs) {
      b.addPolicies(
          LoadBalancingPolicy.Policy.newBuilder()
              .setTypedExtensionConfig(
                  TypedExtensionConfig.newBuilder().setName("p").setTypedConfig(Any.pack(m))));
    }
    return b.build();
  }

  private static PolicySpec typed(Message... configs) {
    return PolicyMapping.read(cluster().setLoadBalancingPolicy(policies(configs)).build());
  }

  @Test
  void typedList_firstSupportedPolicyWins_unsupportedOnesArePassedOver() {
    PolicySpec spec =
        typed(
            com.google.protobuf.Struct.getDefaultInstance(), // an unknown custom policy
            Subset.getDefaultInstance(),
            RingHash.newBuilder().setHashFunction(RingHash.HashFunction.MURMUR_HASH_2).build(),
            ClientSideWeightedRoundRobin.newBuilder()
                .addMetricNamesForComputingUtilization("named_metrics.foo")
                .build(),
            Maglev.newBuilder().setTableSize(UInt64Value.of(131_071)).build(),
            RoundRobin.getDefaultInstance());
    assertThat(spec.kind()).isEqualTo(Kind.MAGLEV);
    assertThat(spec.maglevTableSize()).isEqualTo(131_071);
    assertThat(spec.source()).isEqualTo(PolicyMapping.MAGLEV);
    assertThat(spec.strategy().name()).isEqualTo("maglev");
  }

  @Test
  void typedList_withNothingSupported_isRejected_namingEveryTypeAndWhy() {
    assertThatThrownBy(
            () ->
                typed(
                    Subset.getDefaultInstance(),
                    RingHash.newBuilder()
                        .setHashFunction(RingHash.HashFunction.MURMUR_HASH_2)
                        .build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cluster 'users'")
        .hasMessageContaining("lists no policy lb supports")
        .hasMessageContaining("subset.v3.Subset: metadata subsetting is not supported")
        .hasMessageContaining("ring_hash.v3.RingHash: MURMUR_HASH_2 is not supported");
  }

  @Test
  void supportedPolicy_withAnInvalidValue_isRejected_evenIfALaterOneWouldDo() {
    assertThatThrownBy(
            () ->
                typed(
                    Maglev.newBuilder().setTableSize(UInt64Value.of(65_536)).build(),
                    RoundRobin.getDefaultInstance()))
        .hasMessageContaining("maglev.table_size must be a prime in 3..5000011 but was 65536");
    assertThatThrownBy(
            () -> typed(LeastRequest.newBuilder().setChoiceCount(UInt32Value.of(1)).build()))
        .hasMessageContaining("least_request.choice_count must be in 2..100 but was 1");
    assertThatThrownBy(
            () ->
                typed(
                    RingHash.newBuilder()
                        .setMinimumRingSize(UInt64Value.of(4096))
                        .setMaximumRingSize(UInt64Value.of(1024))
                        .build()))
        .hasMessageContaining(
            "ring_hash.maximum_ring_size (1024) must not be below minimum_ring_size (4096)");
    assertThatThrownBy(
            () -> typed(RingHash.newBuilder().setMinimumRingSize(UInt64Value.of(0)).build()))
        .hasMessageContaining("ring_hash.minimum_ring_size must be in 1..8388608 but was 0");
    assertThatThrownBy(
            () ->
                typed(
                    ClientSideWeightedRoundRobin.newBuilder()
                        .setErrorUtilizationPenalty(FloatValue.of(-1))
                        .build()))
        .hasMessageContaining("client_side_weighted_round_robin")
        .hasMessageContaining("-1");
    assertThatThrownBy(
            () ->
                PolicyMapping.read(
                    cluster().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED).build()))
        .hasMessageContaining("lb_policy CLUSTER_PROVIDED is not supported");
    assertThatThrownBy(
            () ->
                PolicyMapping.read(
                    cluster()
                        .setLbPolicy(Cluster.LbPolicy.RING_HASH)
                        .setRingHashLbConfig(
                            Cluster.RingHashLbConfig.newBuilder()
                                .setHashFunction(
                                    Cluster.RingHashLbConfig.HashFunction.MURMUR_HASH_2))
                        .build()))
        .hasMessageContaining("ring_hash_lb_config.hash_function MURMUR_HASH_2 is not supported");
  }

  @Test
  void wrrLocality_isReadThrough_toClientSideWrr_withItsOptions() {
    ClientSideWeightedRoundRobin wrr =
        ClientSideWeightedRoundRobin.newBuilder()
            .setBlackoutPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(2))
            .setWeightExpirationPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(60))
            .setWeightUpdatePeriod(com.google.protobuf.Duration.newBuilder().setNanos(50_000_000))
            .setErrorUtilizationPenalty(FloatValue.of(0.5f))
            .setEnableOobLoadReport(com.google.protobuf.BoolValue.of(true))
            .setOobReportingPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(5))
            .build();
    PolicySpec spec =
        typed(WrrLocality.newBuilder().setEndpointPickingPolicy(policies(wrr)).build());
    assertThat(spec.kind()).isEqualTo(Kind.ORCA_WEIGHTED_ROUND_ROBIN);
    assertThat(spec.source()).isEqualTo(PolicyMapping.CLIENT_SIDE_WRR);
    OrcaWeightedRoundRobin orca = (OrcaWeightedRoundRobin) spec.strategy();
    assertThat(orca.blackoutPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(orca.weightExpirationPeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(orca.weightUpdatePeriod()).as("A58's floor").isEqualTo(Duration.ofMillis(100));
    assertThat(orca.errorUtilizationPenalty()).isEqualTo(0.5);
    assertThat(orca.enableOobLoadReport()).isTrue();
    assertThat(orca.oobReportingPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(spec)
        .isEqualTo(typed(WrrLocality.newBuilder().setEndpointPickingPolicy(policies(wrr)).build()));

    LoadBalancingPolicy nested = policies(RoundRobin.getDefaultInstance());
    for (int i = 0; i < 16; i++) {
      nested = policies(WrrLocality.newBuilder().setEndpointPickingPolicy(nested).build());
    }
    LoadBalancingPolicy tooDeep = nested;
    assertThatThrownBy(() -> PolicyMapping.read(cluster().setLoadBalancingPolicy(tooDeep).build()))
        .hasMessageContaining("nests more than 16 levels");
  }

  @Test
  void lbPolicyEnum_mapsToTheStrategies() {
    assertThat(PolicyMapping.read(cluster().build()).strategy().name())
        .isEqualTo("weighted_round_robin");
    PolicySpec lr =
        PolicyMapping.read(cluster().setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST).build());
    assertThat(lr.choiceCount()).isEqualTo(2);
    assertThat(lr.strategy().name()).isEqualTo("p2c");
    PolicySpec lr5 =
        PolicyMapping.read(
            cluster()
                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setLeastRequestLbConfig(
                    Cluster.LeastRequestLbConfig.newBuilder().setChoiceCount(UInt32Value.of(5)))
                .build());
    assertThat(lr5.strategy().name()).isEqualTo("least_request_5");
    PolicySpec ring =
        PolicyMapping.read(
            cluster()
                .setLbPolicy(Cluster.LbPolicy.RING_HASH)
                .setRingHashLbConfig(
                    Cluster.RingHashLbConfig.newBuilder()
                        .setMinimumRingSize(UInt64Value.of(4096))
                        .setMaximumRingSize(UInt64Value.of(65_536)))
                .build());
    assertThat(ring.minRingSize()).isEqualTo(4096);
    assertThat(ring.maxRingSize()).isEqualTo(65_536);
    assertThat(ring.strategy()).isEqualTo(new EnvoyRingHash(4096, 65_536));
    PolicySpec defaults =
        PolicyMapping.read(cluster().setLbPolicy(Cluster.LbPolicy.RING_HASH).build());
    assertThat(defaults.minRingSize()).isEqualTo(1024);
    assertThat(defaults.maxRingSize()).isEqualTo(8 * 1024 * 1024);
    PolicySpec maglev = PolicyMapping.read(cluster().setLbPolicy(Cluster.LbPolicy.MAGLEV).build());
    assertThat(maglev.maglevTableSize()).as("Envoy's default").isEqualTo(65_537);
    assertThat(
            PolicyMapping.read(cluster().setLbPolicy(Cluster.LbPolicy.RANDOM).build())
                .strategy()
                .name())
        .isEqualTo("random");
    assertThat(
            typed(
                    LeastRequest.newBuilder()
                        .setSelectionMethod(LeastRequest.SelectionMethod.FULL_SCAN)
                        .build())
                .strategy()
                .name())
        .isEqualTo("least_connections");
  }

  @Test
  void envoyRingHash_holdsAtLeastTheMinimumPoints_andKeysStayWhileTheScaleDoes() {
    EnvoyRingHash ring = new EnvoyRingHash(1024, 8 * 1024 * 1024);
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      endpoints.add(Endpoint.builder("10.0.0." + i, 80).weight(i * 10).build());
    }
    LoadBalancer lb = LoadBalancer.builder().strategy(ring).endpoints(endpoints).build();
    // weights 10, 20, 30: gcd 10, 6 units; ceil(1024 / 6) = 171 points per unit, 1,026 in all
    assertThat(ring.pointsPerWeight(liveOf(lb))).isEqualTo(171);
    Map<String, Integer> counts = new HashMap<>();
    Map<Integer, String> owners = new HashMap<>();
    for (int k = 0; k < 6000; k++) {
      String owner = lb.choose(PickContext.ofKey("key-" + k)).id();
      counts.merge(owner, 1, Integer::sum);
      owners.put(k, owner);
    }
    assertThat(counts.get("10.0.0.3:80") / 6000.0).isBetween(0.40, 0.60);
    // A fourth endpoint of weight 60 doubles the units: 86 points per unit, a new scale, yet
    // consistent hashing still holds among the rest for most keys.
    lb.addEndpoint(Endpoint.builder("10.0.0.4", 80).weight(60).build());
    int moved = 0;
    for (int k = 0; k < 6000; k++) {
      String owner = lb.choose(PickContext.ofKey("key-" + k)).id();
      if (!owner.equals(owners.get(k)) && !owner.equals("10.0.0.4:80")) {
        moved++;
      }
    }
    assertThat(moved / 6000.0).as("keys moved between unchanged endpoints").isLessThan(0.15);
    lb.close();
  }

  private static List<dev.lb.strategy.LiveEndpoint> liveOf(LoadBalancer lb) {
    List<dev.lb.strategy.LiveEndpoint> list = new ArrayList<>();
    for (Endpoint e : lb.endpoints()) {
      list.add(
          new dev.lb.strategy.LiveEndpoint() {
            @Override
            public Endpoint endpoint() {
              return e;
            }

            @Override
            public int weight() {
              return e.weight();
            }

            @Override
            public int inFlight() {
              return 0;
            }

            @Override
            public double latencyEwmaNanos() {
              return Double.NaN;
            }

            @Override
            public double peakEwmaNanos(long nowNanos) {
              return Double.NaN;
            }

            @Override
            public double throughputBytesPerSecond(long nowNanos) {
              return 0;
            }
          });
    }
    return list;
  }

  @Test
  void leastRequestOfN_picksTheLeastLoadedPerWeight_ofItsDraws() {
    Strategy strategy = new LeastRequestStrategy(100); // 100 draws see all four endpoints
    LoadBalancer lb =
        LoadBalancer.builder()
            .strategy(strategy)
            .random(new SplittableRandom(11))
            .endpoints(
                List.of(
                    Endpoint.builder("10.0.0.1", 80).build(),
                    Endpoint.builder("10.0.0.2", 80).build(),
                    Endpoint.builder("10.0.0.3", 80).build(),
                    Endpoint.builder("10.0.0.4", 80).weight(3).build()))
            .build();
    List<Lease> held = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      held.add(lb.pick());
    }
    Map<String, Integer> inFlight = new HashMap<>();
    for (Lease l : held) {
      inFlight.merge(l.endpoint().id(), 1, Integer::sum);
    }
    // 60 calls over weights 1, 1, 1, 3: 10, 10, 10 and 30 in flight, give or take a tie
    assertThat(inFlight.get("10.0.0.4:80")).isBetween(28, 31);
    assertThat(inFlight.get("10.0.0.1:80")).isBetween(9, 11);
    held.forEach(Lease::onCancel);
    assertThatThrownBy(() -> new LeastRequestStrategy(1)).hasMessageContaining("but was 1");
    lb.close();
  }
}
