package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.internal.JsonParser;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsNameResolverProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same snapshot, read by lb and by gRPC's own xDS client ({@code io.grpc:grpc-xds}, whose Envoy
 * protos are shaded, so both share one class path): one bootstrap JSON configures both, a gRPC
 * channel to {@code xds:///users} calls real backends on 127.0.0.1, and what gRPC reaches, and how
 * often, is compared with the endpoints, weights and priorities lb derives.
 */
@Timeout(60)
class GrpcXdsCrossCheckTest {
  private static final int CALLS = 3000;
  private static final double TOLERANCE = 0.035; // gRPC draws localities at random: ~4 sigma

  private ControlPlane controlPlane;
  private Backends backends;
  private final Map<Integer, String> names = new HashMap<>();
  private XdsNameResolverProvider grpcXds;
  private ManagedChannel grpcChannel;
  private XdsCluster lb;
  private LoadBalancer balancer;

  @BeforeEach
  void start() throws Exception {
    controlPlane = new ControlPlane();
    backends = new Backends();
  }

  @AfterEach
  void stop() throws Exception {
    if (grpcChannel != null) {
      grpcChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (grpcXds != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(grpcXds);
    }
    if (balancer != null) {
      balancer.close();
    }
    if (lb != null) {
      lb.close();
    }
    backends.close();
    controlPlane.close();
  }

  private int backend(String name) throws Exception {
    int port = backends.grpc(name);
    names.put(port, name);
    return port;
  }

  private String bootstrap() {
    return """
        {
          "xds_servers": [{
            "server_uri": "127.0.0.1:%d",
            "channel_creds": [{"type": "insecure"}],
            "server_features": ["xds_v3"]
          }],
          "node": {"id": "cross-check", "cluster": "checkout"}
        }
        """
        .formatted(controlPlane.port());
  }

  /** The listener and route gRPC needs to find cluster {@code users} for target {@code users}. */
  private static Listener listener() {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setRouteConfig(
                RouteConfiguration.newBuilder()
                    .setName("users-route")
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName("users")
                            .addDomains("*")
                            .addRoutes(
                                Route.newBuilder()
                                    .setMatch(RouteMatch.newBuilder().setPrefix(""))
                                    .setRoute(RouteAction.newBuilder().setCluster("users")))))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.router")
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    return Listener.newBuilder()
        .setName("users")
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build();
  }

  private void snapshot(String version, ClusterLoadAssignment assignment) {
    Cluster cluster =
        XdsIntegrationTest.edsCluster("users", "users-eds").toBuilder()
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
            .build();
    controlPlane.snapshot(version, List.of(cluster), List.of(assignment), List.of(listener()));
  }

  @SuppressWarnings("unchecked")
  private void startBoth() throws Exception {
    String json = bootstrap();
    grpcXds =
        XdsNameResolverProvider.createForTest("xdscheck", (Map<String, ?>) JsonParser.parse(json));
    NameResolverRegistry.getDefaultRegistry().register(grpcXds);
    grpcChannel = NettyChannelBuilder.forTarget("xdscheck:///users").usePlaintext().build();

    // lb opens its ADS channel from the same bootstrap (and closes it with the cluster).
    lb = XdsCluster.builder(XdsBootstrap.parse(json), "users").build();
    balancer = lb.newBalancer(LoadBalancer.builder().name("users").random(new SplittableRandom(5)));
  }

  private String grpcCall() {
    return ClientCalls.blockingUnaryCall(
        grpcChannel,
        Backends.NAME,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS).withWaitForReady(),
        "");
  }

  /** Shares of calls per backend name over {@code calls} calls. */
  private static Map<String, Double> shares(int calls, Supplier<String> call) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < calls; i++) {
      counts.merge(call.get(), 1, Integer::sum);
    }
    Map<String, Double> shares = new TreeMap<>();
    counts.forEach((k, v) -> shares.put(k, v / (double) calls));
    return shares;
  }

  /** lb's shares: the balancer's own picks, by the weights and priorities lb derived. */
  private Map<String, Double> lbShares(int calls) {
    return shares(calls, () -> names.get(balancer.choose(PickContext.none()).port()));
  }

  /** Waits until gRPC's calls reach exactly {@code expected} (its config has arrived). */
  private void awaitGrpcReaches(java.util.Set<String> expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Map<String, Double> seen = Map.of();
    while (System.nanoTime() < deadline) {
      seen = shares(200, this::grpcCall);
      if (seen.keySet().equals(expected)) {
        return;
      }
    }
    throw new AssertionError("gRPC reached " + seen.keySet() + ", not " + expected);
  }

  private void awaitLb(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("lb did not get there: " + balancer.endpoints());
      }
      Thread.onSpinWait();
    }
  }

  private static void assertSameShares(Map<String, Double> grpc, Map<String, Double> lb) {
    System.out.println("lb-xds cross-check: gRPC " + grpc + ", lb " + lb);
    assertThat(lb.keySet()).as("the endpoints that take calls").isEqualTo(grpc.keySet());
    grpc.forEach(
        (name, share) ->
            assertThat(lb.get(name)).as("share of %s", name).isCloseTo(share, within()));
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(TOLERANCE);
  }

  @Test
  void sameSnapshot_sameEndpointsWeightsAndPriorities_asGrpcXds() throws Exception {
    int a = backend("a");
    int b = backend("b");
    int c = backend("c");
    int d = backend("d");
    int e = backend("e");
    int x = backend("x");
    int y = backend("y");
    int f = backend("f");
    // Priority 0: z1 (locality weight 3) holds a (HEALTHY) and b (UNKNOWN), plus x, UNHEALTHY;
    // z2 (weight 1) holds f, c (DEGRADED) and y (DRAINING). Priority 1: z3 holds d and e.
    // gRPC calls HEALTHY and UNKNOWN endpoints only: a and b share z1's 3/4, f has z2's 1/4.
    ClusterLoadAssignment cla =
        Assignments.cluster("users-eds")
            .endpoint("z1", 0, "127.0.0.1", a, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "127.0.0.1", b, 1, HealthStatus.UNKNOWN)
            .endpoint("z1", 0, "127.0.0.1", x, 1, HealthStatus.UNHEALTHY)
            .endpoint("z2", 0, "127.0.0.1", f, 1, HealthStatus.HEALTHY)
            .endpoint("z2", 0, "127.0.0.1", c, 1, HealthStatus.DEGRADED)
            .endpoint("z2", 0, "127.0.0.1", y, 1, HealthStatus.DRAINING)
            .endpoint("z3", 1, "127.0.0.1", d, 1, HealthStatus.HEALTHY)
            .endpoint("z3", 1, "127.0.0.1", e, 1, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 3)
            .localityWeight("z2", 0, 1)
            .localityWeight("z3", 1, 1)
            .build();
    snapshot("1", cla);
    startBoth();
    awaitLb(() -> balancer.endpoints().size() == 6);

    // What lb derived: the set without x and y (c as a backup, which gRPC never calls and lb calls
    // only when no primary can take calls), priorities 0 and 1, locality shares in the weights.
    Map<String, Endpoint> derived = new HashMap<>();
    for (Endpoint ep : balancer.endpoints()) {
      derived.put(names.get(ep.port()), ep);
    }
    assertThat(derived).containsOnlyKeys("a", "b", "c", "d", "e", "f");
    assertThat(derived.get("c").backup()).isTrue();
    assertThat(derived.get("d").priority()).isEqualTo(1);
    assertThat(derived.get("a").priority()).isZero();
    assertThat(derived.get("a").weight()).isEqualTo(1500);
    assertThat(derived.get("f").weight()).isEqualTo(1000);

    awaitGrpcReaches(java.util.Set.of("a", "b", "f"));
    assertSameShares(shares(CALLS, this::grpcCall), lbShares(CALLS));

    // Priority 0 loses every endpoint (all UNHEALTHY): both send everything to priority 1.
    ClusterLoadAssignment failover =
        Assignments.cluster("users-eds")
            .endpoint("z1", 0, "127.0.0.1", a, 1, HealthStatus.UNHEALTHY)
            .endpoint("z1", 0, "127.0.0.1", b, 1, HealthStatus.UNHEALTHY)
            .endpoint("z3", 1, "127.0.0.1", d, 1, HealthStatus.HEALTHY)
            .endpoint("z3", 1, "127.0.0.1", e, 1, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 3)
            .localityWeight("z3", 1, 1)
            .build();
    snapshot("2", failover);
    awaitLb(() -> balancer.endpoints().size() == 2);
    awaitGrpcReaches(java.util.Set.of("d", "e"));
    assertSameShares(shares(CALLS, this::grpcCall), lbShares(CALLS));

    // Endpoint weights within a locality: the one place they differ. gRPC's round_robin child
    // spreads the locality's share evenly and ignores load_balancing_weight; lb splits it by
    // weight, as Envoy's ROUND_ROBIN does (lb maps ROUND_ROBIN to weighted_round_robin).
    ClusterLoadAssignment weighted =
        Assignments.cluster("users-eds")
            .endpoint("z1", 0, "127.0.0.1", a, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "127.0.0.1", b, 3, HealthStatus.HEALTHY)
            .localityWeight("z1", 0, 1)
            .build();
    snapshot("3", weighted);
    awaitLb(() -> balancer.endpoints().size() == 2 && balancer.endpoints().get(0).port() != d);
    awaitGrpcReaches(java.util.Set.of("a", "b"));
    Map<String, Double> grpc = shares(CALLS, this::grpcCall);
    Map<String, Double> ours = lbShares(CALLS);
    System.out.println(
        "lb-xds cross-check, unequal endpoint weights: gRPC " + grpc + ", lb " + ours);
    assertThat(grpc.get("a")).as("gRPC: even").isCloseTo(0.5, within());
    assertThat(ours.get("a")).as("lb: by weight").isCloseTo(0.25, within());
  }

  private String grpcOutcome() {
    try {
      grpcCall();
      return "served";
    } catch (io.grpc.StatusRuntimeException e) {
      String description = String.valueOf(e.getStatus().getDescription());
      // grpc-xds's cluster_impl policy: UNAVAILABLE "Dropped: <category>".
      assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
      assertThat(description).startsWith("Dropped: ");
      return description.substring("Dropped: ".length());
    }
  }

  private String lbOutcome() {
    try {
      balancer.pick().onSuccess(1_000);
      return "served";
    } catch (dev.lb.NoEndpointAvailableException e) {
      assertThat(e.reason()).isEqualTo(dev.lb.NoEndpointAvailableException.Reason.DROPPED);
      return String.valueOf(e.dropCategory());
    }
  }

  @Test
  void sameDropOverloads_sameShareDroppedPerCategory_asGrpcXds() throws Exception {
    int a = backend("a");
    int b = backend("b");
    snapshot("1", twoBackends(a, b).build());
    startBoth();
    awaitLb(() -> balancer.endpoints().size() == 2);
    awaitGrpcReaches(java.util.Set.of("a", "b"));

    // Two categories, drawn in order by both: throttle drops 20% of all calls, lb 25% of the rest
    // (20% of all), 60% served.
    ClusterLoadAssignment.Policy drops =
        ClusterLoadAssignment.Policy.newBuilder()
            .addDropOverloads(drop("throttle", 20, FractionalPercent.DenominatorType.HUNDRED))
            .addDropOverloads(drop("lb", 250_000, FractionalPercent.DenominatorType.MILLION))
            .build();
    snapshot("2", twoBackends(a, b).policy(drops).build());
    awaitLb(() -> !lb.trafficPolicy().drops().isEmpty());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!grpcOutcome().equals("throttle")) {
      assertThat(System.nanoTime()).as("gRPC starts dropping").isLessThan(deadline);
    }
    Map<String, Double> grpc = shares(CALLS, this::grpcOutcome);
    Map<String, Double> ours = shares(CALLS, this::lbOutcome);
    System.out.println("lb-xds cross-check, drop_overloads: gRPC " + grpc + ", lb " + ours);
    assertThat(ours.keySet()).isEqualTo(grpc.keySet()).containsOnly("served", "throttle", "lb");
    grpc.forEach(
        (outcome, share) ->
            assertThat(ours.get(outcome)).as("share %s", outcome).isCloseTo(share, within()));
    assertThat(ours.get("lb")).isCloseTo(0.2, within());
  }

  private static Assignments.Builder twoBackends(int a, int b) {
    return Assignments.cluster("users-eds")
        .endpoint("z1", 0, "127.0.0.1", a, 1, HealthStatus.HEALTHY)
        .endpoint("z1", 0, "127.0.0.1", b, 1, HealthStatus.HEALTHY)
        .localityWeight("z1", 0, 1);
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
