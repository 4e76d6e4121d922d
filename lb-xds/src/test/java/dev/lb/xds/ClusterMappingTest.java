package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.lb.discovery.EndpointSink;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClusterMappingTest {
  @Test
  void edsCluster_namesItsService_orItself() {
    ClusterMapping.ClusterConfig c =
        ClusterMapping.read(XdsIntegrationTest.edsCluster("users", "users-eds"));
    assertThat(c.edsServiceName()).isEqualTo("users-eds");
    assertThat(c.policy().source()).isEqualTo("LEAST_REQUEST");
    assertThat(c.policy().choiceCount()).isEqualTo(2);
    Cluster unnamed =
        XdsIntegrationTest.edsCluster("users", "").toBuilder()
            .setLbPolicy(Cluster.LbPolicy.RING_HASH)
            .build();
    ClusterMapping.ClusterConfig u = ClusterMapping.read(unnamed);
    assertThat(u.edsServiceName()).isEqualTo("users");
    assertThat(u.policy().source()).isEqualTo("RING_HASH");
    assertThat(u.policy().choiceCount()).isZero();
  }

  @Test
  void leastRequestChoiceCount_isReadAndBounded() {
    Cluster c =
        XdsIntegrationTest.edsCluster("users", "users").toBuilder()
            .setLeastRequestLbConfig(
                Cluster.LeastRequestLbConfig.newBuilder().setChoiceCount(UInt32Value.of(3)))
            .build();
    assertThat(ClusterMapping.read(c).policy().choiceCount()).isEqualTo(3);
    Cluster bad =
        c.toBuilder()
            .setLeastRequestLbConfig(
                Cluster.LeastRequestLbConfig.newBuilder().setChoiceCount(UInt32Value.of(1)))
            .build();
    assertThatThrownBy(() -> ClusterMapping.read(bad))
        .hasMessageContaining("Cluster 'users'")
        .hasMessageContaining("choice_count must be in 2..100 but was 1");
  }

  @Test
  void typedLoadBalancingPolicy_isReportedByTypeUrl() {
    String wrr =
        "type.googleapis.com/envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin";
    Cluster c =
        XdsIntegrationTest.edsCluster("users", "users").toBuilder()
            .setLoadBalancingPolicy(
                LoadBalancingPolicy.newBuilder()
                    .addPolicies(
                        LoadBalancingPolicy.Policy.newBuilder()
                            .setTypedExtensionConfig(
                                TypedExtensionConfig.newBuilder()
                                    .setName("wrr")
                                    .setTypedConfig(Any.newBuilder().setTypeUrl(wrr)))))
            .build();
    assertThat(ClusterMapping.read(c).policy().source()).isEqualTo(wrr);
    Cluster empty =
        c.toBuilder().setLoadBalancingPolicy(LoadBalancingPolicy.getDefaultInstance()).build();
    assertThatThrownBy(() -> ClusterMapping.read(empty)).hasMessageContaining("lists no policy");
  }

  @Test
  void staticCluster_carriesItsAssignmentInline_dnsClustersAreRejected() {
    Cluster s =
        Cluster.newBuilder()
            .setName("static")
            .setType(Cluster.DiscoveryType.STATIC)
            .setLoadAssignment(
                Assignments.cluster("")
                    .endpoint("z", 0, "10.0.0.1", 80, 1, HealthStatus.HEALTHY)
                    .build())
            .build();
    ClusterMapping.ClusterConfig c = ClusterMapping.read(s);
    assertThat(c.inlineAssignment().getClusterName()).isEqualTo("static");
    assertThat(c.edsServiceName()).isNull();
    assertThatThrownBy(() -> ClusterMapping.read(s.toBuilder().clearLoadAssignment().build()))
        .hasMessageContaining("needs a load_assignment");
    assertThatThrownBy(
            () ->
                ClusterMapping.read(
                    s.toBuilder().setType(Cluster.DiscoveryType.STRICT_DNS).build()))
        .hasMessageContaining("cluster type STRICT_DNS is not supported");
    assertThatThrownBy(
            () ->
                ClusterMapping.read(
                    s.toBuilder()
                        .setClusterType(Cluster.CustomClusterType.newBuilder().setName("x"))
                        .build()))
        .hasMessageContaining("custom cluster types are not supported");
  }

  @Test
  void backoff_growsBy1point6_isCapped_andJittered() {
    Backoff b = new Backoff(Duration.ofMillis(100).toNanos(), Duration.ofSeconds(2).toNanos());
    SplittableRandom random = new SplittableRandom(7);
    for (int attempt = 1; attempt < 40; attempt++) {
      double base = Math.min(100e6 * Math.pow(1.6, attempt - 1), 2e9);
      long d = b.delayNanos(attempt, random);
      assertThat((double) d).as("attempt %d", attempt).isBetween(base * 0.8, base * 1.2);
    }
  }

  @Test
  void builder_rejectsBadOptions_withTheValue() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", 1).usePlaintext().build();
    try {
      assertThatThrownBy(() -> XdsEndpointSource.builder(channel, " "))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cluster must not be blank but was ' '");
      assertThatThrownBy(() -> XdsEndpointSource.builder(null, "c"))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("channel");
      XdsEndpointSource.Builder b = XdsEndpointSource.builder(channel, "c");
      assertThatThrownBy(() -> b.reconnectBackoff(Duration.ZERO, Duration.ofSeconds(1)))
          .hasMessageContaining("initial must be positive but was PT0S");
      assertThatThrownBy(() -> b.reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
          .hasMessageContaining("max must be at least initial (PT2S) but was PT1S");
      assertThatThrownBy(() -> b.node(io.envoyproxy.envoy.config.core.v3.Node.getDefaultInstance()))
          .hasMessageContaining("node id must not be blank");
      XdsEndpointSource source = b.build();
      assertThat(source.name()).isEqualTo("xds:c");
      assertThat(source.clusterPolicy()).isNull();
      EndpointSink sink =
          new EndpointSink() {
            @Override
            public void update(java.util.List<dev.lb.Endpoint> endpoints) {}

            @Override
            public void fail(Throwable error) {}
          };
      source.start(sink);
      assertThatThrownBy(() -> source.start(sink)).isInstanceOf(IllegalStateException.class);
      source.close();
      source.close();
    } finally {
      channel.shutdownNow();
    }
  }
}
