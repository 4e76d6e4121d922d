package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.BalancerStats;
import dev.lb.LoadBalancer;
import dev.lb.grpc.EndpointRegistry;
import dev.lb.grpc.LbChannels;
import dev.lb.grpc.LbLoadBalancerProvider;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.CallOptions;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code lb:}-style clients backed by xDS: an {@link XdsCluster} over java-control-plane on
 * 127.0.0.1 feeds lb-okhttp's interceptor and an lb-grpc {@code lb:///} channel, and calls reach
 * the real backends of the snapshot; a snapshot change moves the traffic.
 */
@Timeout(60)
class XdsAdaptersIntegrationTest {
  private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(1);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private ControlPlane controlPlane;
  private Backends backends;
  private ManagedChannel ads;
  private XdsCluster users;

  @BeforeEach
  void start() throws Exception {
    controlPlane = new ControlPlane();
    backends = new Backends();
    ads = NettyChannelBuilder.forTarget(controlPlane.target()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (users != null) {
      users.close();
    }
    ads.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    backends.close();
    controlPlane.close();
  }

  private static Cluster cluster(Cluster.LbPolicy policy) {
    return XdsIntegrationTest.edsCluster("users", "users-eds").toBuilder()
        .setLbPolicy(policy)
        .build();
  }

  private static ClusterLoadAssignment assignment(int... ports) {
    Assignments.Builder b = Assignments.cluster("users-eds");
    for (int port : ports) {
      b.endpoint("z1", 0, "127.0.0.1", port, 1, HealthStatus.HEALTHY);
    }
    return b.build();
  }

  private XdsCluster watch() {
    return XdsCluster.builder(ads, "users")
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .build();
  }

  /**
   * Calls until {@code call} answers {@code expected}, bounded by {@link #WAIT}; the time taken.
   */
  private static long until(String expected, Supplier<String> call) {
    long start = System.nanoTime();
    long deadline = start + WAIT.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = call.get();
      if (expected.equals(last)) {
        return System.nanoTime() - start;
      }
    }
    throw new AssertionError("no call reached " + expected + " in " + WAIT + "; last: " + last);
  }

  private static Map<String, Integer> count(int calls, Supplier<String> call) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      counts.merge(call.get(), 1, Integer::sum);
    }
    return counts;
  }

  private static void report(String what, long nanos) {
    System.out.printf("lb-xds: %s in %.1f ms%n", what, nanos / 1e6);
  }

  @Test
  void okHttpService_overAnXdsCluster_reachesTheSnapshotsBackends_andFollowsAChange()
      throws Exception {
    int a = backends.http("a");
    int b = backends.http("b");
    int c = backends.http("c");
    controlPlane.snapshot(
        "1", List.of(cluster(Cluster.LbPolicy.ROUND_ROBIN)), List.of(assignment(a, b)));
    users = watch();
    LoadBalancer balancer = users.newBalancer();
    OkHttpClient client =
        new OkHttpClient.Builder()
            .addInterceptor(
                LoadBalancingInterceptor.builder().service(Service.of("users", balancer)).build())
            .build();
    Supplier<String> call =
        () -> {
          try (Response r =
              client.newCall(new Request.Builder().url("http://users/who").build()).execute()) {
            return r.body().string();
          } catch (java.io.IOException e) {
            return "error: " + e;
          }
        };
    until("a", call);
    assertThat(count(40, call)).containsOnlyKeys("a", "b").containsEntry("a", 20);

    long t0 = System.nanoTime();
    controlPlane.snapshot(
        "2", List.of(cluster(Cluster.LbPolicy.ROUND_ROBIN)), List.of(assignment(c)));
    long moved = until("c", call);
    report("lb-okhttp: a snapshot change reached the calls", System.nanoTime() - t0);
    assertThat(Duration.ofNanos(moved)).isLessThan(PROPAGATION_BOUND);
    assertThat(count(20, call)).containsOnlyKeys("c");
    balancer.close();
  }

  @Test
  void grpcLbTarget_overAnXdsCluster_reachesTheSnapshotsBackends_andFollowsPolicyAndEndpoints()
      throws Exception {
    int a = backends.grpc("a");
    int b = backends.grpc("b");
    int c = backends.grpc("c");
    controlPlane.snapshot(
        "1", List.of(cluster(Cluster.LbPolicy.ROUND_ROBIN)), List.of(assignment(a, b)));
    users = watch();
    String group = "xds-users-" + System.nanoTime();
    users.subscribe(EndpointRegistry.global().updater(group));
    LbLoadBalancerProvider provider =
        new LbLoadBalancerProvider("lb_xds_users_test", users.strategy(), users.trafficPolicy());
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    String target = "lb:///" + group;
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(target)
            .defaultLoadBalancingPolicy("lb_xds_users_test")
            .usePlaintext()
            .build();
    try {
      Supplier<String> call =
          () ->
              ClientCalls.blockingUnaryCall(
                  channel,
                  Backends.NAME,
                  CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS).withWaitForReady(),
                  "");
      until("a", call);
      until("b", call); // both subchannels READY
      Map<String, Integer> counts = count(40, call);
      assertThat(counts).containsOnlyKeys("a", "b");
      assertThat(counts.get("a")).isBetween(18, 22);
      assertThat(strategyOf(target)).isEqualTo("weighted_round_robin");

      long t0 = System.nanoTime();
      controlPlane.snapshot(
          "2", List.of(cluster(Cluster.LbPolicy.RING_HASH)), List.of(assignment(b, c)));
      long moved = until("c", call);
      report("lb-grpc: a snapshot change reached the calls", System.nanoTime() - t0);
      assertThat(Duration.ofNanos(moved)).isLessThan(PROPAGATION_BOUND);
      assertThat(count(20, call)).doesNotContainKey("a");
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!"ring_hash".equals(strategyOf(target)) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(strategyOf(target))
          .as("the channel's balancer follows the CDS policy")
          .isEqualTo("ring_hash");

      // The assignment sheds every call (drop_overloads 100%): gRPC calls fail as drops, at once,
      // wait-for-ready or not; the backends see none.
      ClusterLoadAssignment shedAll =
          assignment(b, c).toBuilder()
              .setPolicy(
                  ClusterLoadAssignment.Policy.newBuilder()
                      .addDropOverloads(
                          ClusterLoadAssignment.Policy.DropOverload.newBuilder()
                              .setCategory("lb")
                              .setDropPercentage(
                                  io.envoyproxy.envoy.type.v3.FractionalPercent.newBuilder()
                                      .setNumerator(100))))
              .build();
      controlPlane.snapshot("3", List.of(cluster(Cluster.LbPolicy.RING_HASH)), List.of(shedAll));
      deadline = System.nanoTime() + WAIT.toNanos();
      while (users.trafficPolicy().drops().isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      for (int i = 0; i < 5; i++) {
        assertThatThrownBy(call::get)
            .isInstanceOfSatisfying(
                io.grpc.StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
                  assertThat(e.getStatus().getDescription()).contains("dropped the call", "'lb'");
                });
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      LoadBalancerRegistry.getDefaultRegistry().deregister(provider);
      EndpointRegistry.global().remove(group);
    }
  }

  @Test
  void xdsCluster_feedsLateSubscribers_dropsClosedBalancers_andChecksItsOptions() throws Exception {
    controlPlane.snapshot(
        "1", List.of(cluster(Cluster.LbPolicy.MAGLEV)), List.of(assignment(8001, 8002)));
    users = watch();
    LoadBalancer first = users.newBalancer();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (first.endpoints().size() != 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(users.endpoints()).hasSize(2);
    assertThat(first.endpoints()).hasSize(2);
    assertThat(first.stats().strategyName()).isEqualTo("maglev");
    XdsClusterPolicy policy = users.clusterPolicy();
    assertThat(policy.lbPolicy()).isEqualTo("MAGLEV");
    assertThat(policy.strategy().name()).isEqualTo("maglev");
    assertThat(policy.choiceCount()).isZero();
    assertThat(policy.cluster()).isEqualTo("users");
    assertThat(policy.overprovisioningFactor()).isEqualTo(1.4);
    assertThat(policy.drops()).isEmpty();
    assertThat(users.clusterPolicy()).isEqualTo(policy).hasSameHashCodeAs(policy);
    assertThat(policy).isNotEqualTo("MAGLEV");
    assertThat(policy.toString()).contains("lbPolicy=MAGLEV").contains("strategy=maglev");
    assertThat(users.status().isHealthy()).isTrue();
    assertThat(users.source().name()).isEqualTo("xds:users");
    assertThat(users.toString()).contains("2 endpoints");

    java.util.concurrent.CopyOnWriteArrayList<Integer> sizes =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    AutoCloseable subscription = users.subscribe(list -> sizes.add(list.size()));
    assertThat(sizes).as("the current set, at once").containsExactly(2);
    LoadBalancer second = users.newBalancer(LoadBalancer.builder().name("second"));
    assertThat(second.endpoints()).as("built with the current set").hasSize(2);
    first.close();

    controlPlane.snapshot(
        "2", List.of(cluster(Cluster.LbPolicy.MAGLEV)), List.of(assignment(8001, 8002, 8003)));
    deadline = System.nanoTime() + WAIT.toNanos();
    while (second.endpoints().size() != 3 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(second.endpoints()).as("a closed balancer does not stop the others").hasSize(3);
    assertThat(sizes).containsExactly(2, 3);
    assertThat(users.clusterPolicy()).as("the same policy, delivered again").isEqualTo(policy);
    subscription.close();
    second.close();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> XdsCluster.builder(ads, " "))
        .hasMessage("cluster must not be blank but was ' '");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                XdsCluster.builder(ads, "c").reconnectBackoff(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("initial must be positive but was PT0S");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                XdsCluster.builder(ads, "c")
                    .reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("max must be at least initial (PT2S) but was PT1S");
  }

  private static String strategyOf(String target) {
    List<BalancerStats> stats = LbChannels.stats(target);
    return stats.isEmpty() ? "" : stats.get(0).strategyName();
  }
}
