package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.SwitchableStrategy;
import dev.lb.TrafficPolicy;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.DiscoveryListener;
import dev.lb.discovery.DiscoveryStatus;
import dev.lb.health.SlowStart;
import dev.lb.strategy.Strategies;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The source against Envoy's java-control-plane (its {@code V3DiscoveryServer} over a {@code
 * SimpleCache}) serving ADS on 127.0.0.1: snapshots set on the cache reach a real balancer's
 * picker. Waits are on conditions signalled by the binding's listener, bounded; nothing sleeps.
 */
class XdsIntegrationTest {
  private static final Duration PROPAGATION_BOUND = Duration.ofMillis(500);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String GROUP = "lb-test";

  private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  private final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger smallestSet = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger recoveries = new AtomicInteger();

  /** A traffic policy under test, and what it said when the binding last delivered a set. */
  private volatile TrafficPolicy watched;

  private volatile String policyAtDelivery = "";
  private final Object signal = new Object();
  private Server server;
  private int port;
  private ManagedChannel channel;
  private LoadBalancer balancer;
  private DiscoveryBinding binding;
  private XdsEndpointSource source;

  private final DiscoveryListener listener =
      new DiscoveryListener() {
        @Override
        public void onUpdated(DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {
          smallestSet.accumulateAndGet(endpoints.size(), Math::min);
          TrafficPolicy w = watched;
          policyAtDelivery = w == null ? "" : w.toString();
          wake();
        }

        @Override
        public void onFailed(DiscoveryStatus status, Throwable error, List<Endpoint> kept) {
          wake();
        }

        @Override
        public void onRecovered(DiscoveryStatus status, int failedAttempts) {
          recoveries.incrementAndGet();
        }
      };

  @BeforeEach
  void start() throws Exception {
    startServer(0);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    balancer = LoadBalancer.builder().name("users").build();
  }

  private void startServer(int onPort) throws Exception {
    DiscoveryServerCallbacks callbacks =
        new DiscoveryServerCallbacks() {
          @Override
          public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            requests.add(request);
            wake();
          }

          @Override
          public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}
        };
    V3DiscoveryServer xds = new V3DiscoveryServer(callbacks, cache);
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort))
            .addService(xds.getAggregatedDiscoveryServiceImpl())
            .build()
            .start();
    port = server.getPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (binding != null) {
      binding.close();
    }
    balancer.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private DiscoveryBinding bind(XdsEndpointSource.Builder builder) {
    source =
        builder
            .node(Node.newBuilder().setId("checkout-1").setCluster("checkout").build())
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  private DiscoveryBinding bind() {
    return bind(XdsEndpointSource.builder(channel, "users"));
  }

  static Cluster edsCluster(String name, String service) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
        .setEdsClusterConfig(
            Cluster.EdsClusterConfig.newBuilder()
                .setServiceName(service)
                .setEdsConfig(
                    ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .build();
  }

  private void snapshot(String version, List<Cluster> clusters, ClusterLoadAssignment... cla) {
    cache.setSnapshot(
        GROUP, Snapshot.create(clusters, List.of(cla), List.of(), List.of(), List.of(), version));
  }

  private static Set<String> idsOf(LoadBalancer b) {
    return b.endpoints().stream().map(Endpoint::id).collect(Collectors.toSet());
  }

  private void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private long await(String what, BooleanSupplier condition) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + WAIT.toNanos();
    synchronized (signal) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "timed out waiting for "
                  + what
                  + "; balancer has "
                  + idsOf(balancer)
                  + ", "
                  + binding);
        }
        signal.wait(Math.max(1, Math.min(50, left / 1_000_000)));
      }
    }
    return System.nanoTime() - start;
  }

  private static void report(String what, long nanos) {
    System.out.printf("lb-xds: %s reached the picker in %.1f ms%n", what, nanos / 1e6);
  }

  private static ClusterLoadAssignment users(int... lastOctets) {
    Assignments.Builder b = Assignments.cluster("users-eds");
    for (int octet : lastOctets) {
      b.endpoint("z1", 0, "10.0.0." + octet, 8080, 1, HealthStatus.HEALTHY);
    }
    return b.build();
  }

  @Test
  void snapshot_reachesPicker_andUpdatesPropagate() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    long start = System.nanoTime();
    binding = bind();
    await("the first set", () -> idsOf(balancer).size() == 2);
    report("the initial set (connect, CDS, EDS)", System.nanoTime() - start);
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
    Lease lease = balancer.pick();
    assertThat(lease.endpoint().zone()).isEqualTo("z1");
    lease.onSuccess(1);
    assertThat(source.clusterPolicy().lbPolicy()).isEqualTo("LEAST_REQUEST");
    assertThat(source.clusterPolicy().choiceCount()).isEqualTo(2);

    // Warm: the stream is open; a new snapshot is one push away. Measure several and keep the
    // worst.
    long worst = 0;
    for (int round = 0; round < 5; round++) {
      int[] octets = {1, 2, 3 + round};
      long t0 = System.nanoTime();
      snapshot("2." + round, List.of(edsCluster("users", "users-eds")), users(octets));
      String expected = "10.0.0." + (3 + round) + ":8080";
      await("update " + round, () -> idsOf(balancer).contains(expected));
      worst = Math.max(worst, System.nanoTime() - t0);
    }
    report("a snapshot change (worst of 5)", worst);
    assertThat(Duration.ofNanos(worst)).isLessThan(PROPAGATION_BOUND);

    // Every response was ACKed with its version and nonce.
    await(
        "the last ACK",
        () ->
            requests.stream()
                .anyMatch(
                    r ->
                        r.getTypeUrl().equals(XdsEndpointSource.ASSIGNMENT_TYPE)
                            && r.getVersionInfo().equals("2.4")));
    DiscoveryRequest lastEds =
        requests.stream()
            .filter(r -> r.getTypeUrl().equals(XdsEndpointSource.ASSIGNMENT_TYPE))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(lastEds.getVersionInfo()).isEqualTo("2.4");
    assertThat(lastEds.getResponseNonce()).isNotEmpty();
    assertThat(lastEds.hasErrorDetail()).isFalse();
    assertThat(lastEds.getNode().getId()).isEqualTo("checkout-1");
  }

  @Test
  void invalidAssignment_isNacked_andPreviousEndpointsStay() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    binding = bind();
    await("the first set", () -> idsOf(balancer).size() == 2);

    ClusterLoadAssignment bad =
        Assignments.cluster("users-eds")
            .endpoint("z1", 0, "10.0.0.1", 8080, 1, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.9", 70000, 1, HealthStatus.HEALTHY)
            .build();
    snapshot("2", List.of(edsCluster("users", "users-eds")), bad);
    await(
        "a NACK",
        () ->
            requests.stream()
                .anyMatch(
                    r ->
                        r.hasErrorDetail()
                            && r.getTypeUrl().equals(XdsEndpointSource.ASSIGNMENT_TYPE)));
    DiscoveryRequest nack =
        requests.stream().filter(DiscoveryRequest::hasErrorDetail).findFirst().orElseThrow();
    assertThat(nack.getVersionInfo()).isEqualTo("1"); // the last accepted version
    assertThat(nack.getResponseNonce()).isNotEmpty();
    assertThat(nack.getErrorDetail().getMessage())
        .contains("port must be in 1..65535 but was 70000");
    await("the failure status", () -> binding.status().consecutiveFailures() > 0);
    assertThat(binding.status().lastError()).hasMessageContaining("70000");
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");

    // A good version after the bad one is applied and ends the failure streak.
    snapshot("3", List.of(edsCluster("users", "users-eds")), users(1, 2, 3));
    await("the fixed set", () -> idsOf(balancer).size() == 3);
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void controlPlaneRestart_reconnectsAndResyncs_keepingEndpointsMeanwhile() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    binding = bind();
    await("the first set", () -> idsOf(balancer).size() == 2);
    smallestSet.set(Integer.MAX_VALUE);

    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    await("the outage to be noticed", () -> binding.status().consecutiveFailures() > 0);
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");

    // The control plane comes back on the same port with newer state.
    snapshot("2", List.of(edsCluster("users", "users-eds")), users(1, 2, 3));
    long t0 = System.nanoTime();
    startServer(port);
    await("the resync", () -> idsOf(balancer).size() == 3 && binding.status().isHealthy());
    report("the resync after a control-plane restart", System.nanoTime() - t0);
    assertThat(recoveries.get()).isPositive();
    assertThat(smallestSet.get()).isGreaterThanOrEqualTo(2); // never emptied in between
  }

  @Test
  void clusterRemovedFromCds_deliversEmptySet_whichTheBindingRefuses() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    binding = bind(XdsEndpointSource.builder(channel, "users").wildcardCds(true));
    await("the first set", () -> idsOf(balancer).size() == 2);

    snapshot("2", List.of(edsCluster("orders", "orders-eds")), users(1, 2));
    await(
        "the removal",
        () ->
            binding.status().lastError() != null
                && binding.status().lastError().getMessage().contains("removed cluster 'users'"));
    // allowEmpty is off: the binding keeps the last set and reports the removal.
    assertThat(idsOf(balancer)).hasSize(2);

    // The cluster comes back: its endpoints are delivered again.
    snapshot("3", List.of(edsCluster("users", "users-eds")), users(1, 2, 4));
    await("the cluster back", () -> idsOf(balancer).size() == 3 && binding.status().isHealthy());
  }

  @Test
  void clusterRemoved_withAllowEmpty_emptiesTheBalancer() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    source =
        XdsEndpointSource.builder(channel, "users")
            .wildcardCds(true)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    binding = DiscoveryBinding.builder(source).listener(listener).allowEmpty(true).bind(balancer);
    await("the first set", () -> idsOf(balancer).size() == 2);
    snapshot("2", List.of(), users(1, 2));
    await("the empty set", () -> idsOf(balancer).isEmpty());
  }

  @Test
  void clusterRemoved_withIgnoreResourceDeletion_keepsEndpoints() throws Exception {
    snapshot("1", List.of(edsCluster("users", "users-eds")), users(1, 2));
    source =
        XdsEndpointSource.builder(channel, "users")
            .ignoreResourceDeletion(true)
            .wildcardCds(true)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    binding = DiscoveryBinding.builder(source).listener(listener).allowEmpty(true).bind(balancer);
    await("the first set", () -> idsOf(balancer).size() == 2);
    snapshot("2", List.of(), users(1, 2));
    // The snapshot's EDS response may come after the CDS one and end the failure streak (the
    // assignment is still applied): wait for the report itself, which the status keeps.
    await(
        "the removal report",
        () ->
            binding.status().lastError() != null
                && String.valueOf(binding.status().lastError().getMessage())
                    .contains("ignoreResourceDeletion"));
    assertThat(idsOf(balancer)).hasSize(2);
  }

  @Test
  void edsOnly_withoutCds() throws Exception {
    snapshot("1", List.of(), users(5, 6));
    binding = bind(XdsEndpointSource.builder(channel, "users-eds").cds(false));
    await("the set", () -> idsOf(balancer).size() == 2);
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.5:8080", "10.0.0.6:8080");
    assertThat(source.clusterPolicy().lbPolicy()).isEqualTo("ROUND_ROBIN");
  }

  @Test
  void unhealthyAndDrainingEndpoints_leave_degradedStay() throws Exception {
    ClusterLoadAssignment cla =
        Assignments.cluster("users-eds")
            .endpoint("z1", 0, "10.0.0.1", 8080, 3, HealthStatus.HEALTHY)
            .endpoint("z1", 0, "10.0.0.2", 8080, 1, HealthStatus.DRAINING)
            .endpoint("z2", 1, "10.0.0.3", 8080, 1, HealthStatus.DEGRADED)
            .endpoint("z2", 1, "10.0.0.4", 8080, 1, HealthStatus.UNHEALTHY)
            .build();
    snapshot("1", List.of(edsCluster("users", "users-eds")), cla);
    binding = bind();
    await("the set", () -> idsOf(balancer).size() == 2);
    Endpoint healthy =
        balancer.endpoints().stream()
            .filter(e -> e.host().equals("10.0.0.1"))
            .findFirst()
            .orElseThrow();
    Endpoint degraded =
        balancer.endpoints().stream()
            .filter(e -> e.host().equals("10.0.0.3"))
            .findFirst()
            .orElseThrow();
    assertThat(healthy.weight()).isEqualTo(3);
    assertThat(healthy.priority()).isZero();
    assertThat(degraded.priority()).isEqualTo(1);
    assertThat(degraded.zone()).isEqualTo("z2");
    assertThat(degraded.metadata()).containsEntry(AssignmentMapping.HEALTH, "DEGRADED");
    assertThat(degraded.backup()).isTrue();
    assertThat(healthy.backup()).isFalse();
  }

  @Test
  void invalidCluster_isNacked_andStaticClusterCarriesItsEndpoints() throws Exception {
    Cluster inline =
        Cluster.newBuilder()
            .setName("users")
            .setType(Cluster.DiscoveryType.STATIC)
            .setLoadAssignment(users(7, 8))
            .build();
    snapshot("1", List.of(inline));
    binding = bind();
    await("the inline set", () -> idsOf(balancer).size() == 2);
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.7:8080", "10.0.0.8:8080");

    Cluster dns = inline.toBuilder().setType(Cluster.DiscoveryType.LOGICAL_DNS).build();
    snapshot("2", List.of(dns));
    await(
        "a CDS NACK",
        () ->
            requests.stream()
                .anyMatch(
                    r ->
                        r.hasErrorDetail()
                            && r.getTypeUrl().equals(XdsEndpointSource.CLUSTER_TYPE)
                            && r.getVersionInfo().equals("1")));
    await("the failure status", () -> binding.status().consecutiveFailures() > 0);
    assertThat(binding.status().lastError()).hasMessageContaining("LOGICAL_DNS is not supported");
    assertThat(idsOf(balancer)).hasSize(2);
  }

  private static Cluster withPolicy(Cluster.LbPolicy policy) {
    return edsCluster("users", "users-eds").toBuilder().setLbPolicy(policy).build();
  }

  private boolean nacked(String type, String text) {
    return requests.stream()
        .anyMatch(
            r ->
                r.hasErrorDetail()
                    && r.getTypeUrl().equals(type)
                    && r.getErrorDetail().getMessage().contains(text));
  }

  /** Ten priority-0 endpoints and five priority-1 ones, with the given EDS policy. */
  private static ClusterLoadAssignment levels(ClusterLoadAssignment.Policy policy) {
    Assignments.Builder b = Assignments.cluster("users-eds");
    for (int i = 0; i < 10; i++) {
      b.endpoint("z1", 0, "10.0.0." + i, 8080, 1, HealthStatus.HEALTHY);
    }
    for (int i = 0; i < 5; i++) {
      b.endpoint("z1", 1, "10.0.1." + i, 8080, 1, HealthStatus.HEALTHY);
    }
    return b.policy(policy).build();
  }

  private static ClusterLoadAssignment.Policy policy(int factorPercent, int dropPercent) {
    ClusterLoadAssignment.Policy.Builder p =
        ClusterLoadAssignment.Policy.newBuilder()
            .setOverprovisioningFactor(com.google.protobuf.UInt32Value.of(factorPercent));
    if (dropPercent > 0) {
      p.addDropOverloads(
          ClusterLoadAssignment.Policy.DropOverload.newBuilder()
              .setCategory("lb")
              .setDropPercentage(
                  io.envoyproxy.envoy.type.v3.FractionalPercent.newBuilder()
                      .setNumerator(dropPercent)
                      .setDenominator(
                          io.envoyproxy.envoy.type.v3.FractionalPercent.DenominatorType.HUNDRED)));
    }
    return p.build();
  }

  /** Picks {@code n} times: the share dropped, and the share of the rest on priority 1. */
  private double[] dropAndSpill(int n) {
    int dropped = 0;
    int p1 = 0;
    for (int i = 0; i < n; i++) {
      try {
        Lease lease = balancer.pick();
        p1 += lease.endpoint().priority() == 1 ? 1 : 0;
        lease.onSuccess(1_000);
      } catch (dev.lb.NoEndpointAvailableException e) {
        assertThat(e.reason()).isEqualTo(dev.lb.NoEndpointAvailableException.Reason.DROPPED);
        assertThat(e.dropCategory()).isEqualTo("lb");
        dropped++;
      }
    }
    return new double[] {dropped / (double) n, p1 / (double) Math.max(1, n - dropped)};
  }

  @Test
  void dropOverloadsAndOverprovisioning_fromEds_applyToTheRunningBalancer() throws Exception {
    TrafficPolicy traffic = TrafficPolicy.create();
    watched = traffic;
    balancer.close();
    balancer =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .trafficPolicy(traffic)
            .build();
    snapshot("1", List.of(edsCluster("users", "users-eds")), levels(policy(140, 0)));
    binding = bind(XdsEndpointSource.builder(channel, "users").trafficPolicy(traffic));
    await("the first set", () -> idsOf(balancer).size() == 15);
    // 6 of P0's 10 healthy: 1.4 x 0.6 = 0.84 stays, 16% spills to P1; nothing dropped.
    for (int i = 0; i < 4; i++) {
      balancer.markDown("10.0.0." + i + ":8080", "test");
    }
    double[] before = dropAndSpill(4_000);
    assertThat(before[0]).isZero();
    assertThat(before[1]).isCloseTo(0.16, org.assertj.core.api.Assertions.within(0.03));

    // The control plane sheds half the calls and raises the factor to 2: 1.2 caps at 1, no spill.
    // The source sets both before it delivers the assignment's endpoints (and each balancer has
    // routed with the new factor when the setter returns): wait for that delivery.
    long t0 = System.nanoTime();
    snapshot("2", List.of(edsCluster("users", "users-eds")), levels(policy(200, 50)));
    long took =
        await(
            "the new drops and factor",
            () ->
                policyAtDelivery.equals(
                    "TrafficPolicy{drops=[Drop[category=lb, fraction=0.5]],"
                        + " overprovisioningFactor=2.0}"));
    report("an EDS drop_overloads/overprovisioning change", System.nanoTime() - t0);
    assertThat(Duration.ofNanos(took)).isLessThan(PROPAGATION_BOUND);
    double[] shed = dropAndSpill(4_000);
    assertThat(shed[0]).isCloseTo(0.5, org.assertj.core.api.Assertions.within(0.04));
    assertThat(shed[1]).isZero();
    assertThat(source.clusterPolicy().drops()).containsExactly(java.util.Map.entry("lb", 0.5));
    assertThat(balancer.stats().inFlight()).isZero();

    // Drops lifted: every call is served again.
    snapshot("3", List.of(edsCluster("users", "users-eds")), levels(policy(200, 0)));
    await("drops lifted", () -> policyAtDelivery.contains("drops=[]"));
    assertThat(dropAndSpill(1_000)[0]).isZero();
  }

  @Test
  void clusterPolicyChange_switchesTheRunningBalancersStrategy_endpointsAndStatisticsStay()
      throws Exception {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.weightedRoundRobin());
    balancer.close();
    balancer = LoadBalancer.builder().name("users").strategy(strategy).build();
    snapshot("1", List.of(withPolicy(Cluster.LbPolicy.ROUND_ROBIN)), users(1, 2, 3));
    binding = bind(XdsEndpointSource.builder(channel, "users").strategy(strategy));
    await("the first set", () -> idsOf(balancer).size() == 3);
    assertThat(balancer.stats().strategyName()).isEqualTo("weighted_round_robin");
    for (int i = 0; i < 30; i++) {
      balancer.pick().onSuccess(1_000_000L);
    }

    List<Cluster> changes =
        List.of(
            withPolicy(Cluster.LbPolicy.RING_HASH),
            edsCluster("users", "users-eds").toBuilder()
                .clearLbPolicy()
                .setLoadBalancingPolicy(
                    PolicyMappingTest.policies(
                        io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev
                            .getDefaultInstance()))
                .build(),
            withPolicy(Cluster.LbPolicy.LEAST_REQUEST).toBuilder()
                .setLeastRequestLbConfig(
                    Cluster.LeastRequestLbConfig.newBuilder()
                        .setChoiceCount(com.google.protobuf.UInt32Value.of(3)))
                .build(),
            withPolicy(Cluster.LbPolicy.RING_HASH));
    List<String> expected = List.of("ring_hash", "maglev", "least_request_3", "ring_hash");
    long worst = 0;
    for (int round = 0; round < changes.size(); round++) {
      String name = expected.get(round);
      long t0 = System.nanoTime();
      snapshot("2." + round, List.of(changes.get(round)), users(1, 2, 3));
      await("strategy " + name, () -> balancer.stats().strategyName().equals(name));
      long took = System.nanoTime() - t0;
      report("policy change to " + name, took);
      worst = Math.max(worst, took);
    }
    report("a CDS policy change (worst of 4)", worst);
    assertThat(Duration.ofNanos(worst)).isLessThan(PROPAGATION_BOUND);
    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    assertThat(balancer.stats().endpoints().stream().mapToLong(e -> e.successes()).sum())
        .as("statistics survive every switch")
        .isEqualTo(30);
    await("the policy report", () -> source.clusterPolicy().lbPolicy().equals("RING_HASH"));
    assertThat(source.clusterPolicy().strategy()).isSameAs(strategy.current());
    for (int k = 0; k < 20; k++) {
      dev.lb.PickContext key = dev.lb.PickContext.ofKey("user-" + k);
      String owner = balancer.choose(key).id();
      for (int i = 0; i < 3; i++) {
        assertThat(balancer.choose(key).id()).isEqualTo(owner);
      }
    }

    // A typed list with nothing lb supports is NACKed; the strategy in force stays.
    Cluster unsupported =
        edsCluster("users", "users-eds").toBuilder()
            .clearLbPolicy()
            .setLoadBalancingPolicy(
                PolicyMappingTest.policies(
                    io.envoyproxy.envoy.extensions.load_balancing_policies.subset.v3.Subset
                        .getDefaultInstance()))
            .build();
    snapshot("3", List.of(unsupported), users(1, 2, 3));
    await(
        "a CDS NACK", () -> nacked(XdsEndpointSource.CLUSTER_TYPE, "lists no policy lb supports"));
    await("the failure status", () -> binding.status().consecutiveFailures() > 0);
    assertThat(binding.status().lastError()).hasMessageContaining("subset.v3.Subset");
    assertThat(balancer.stats().strategyName()).isEqualTo("ring_hash");
  }

  @Test
  void hashPolicy_forABalancerWithSlowStart_isNacked_andRoundRobinStays() throws Exception {
    SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.weightedRoundRobin());
    balancer.close();
    balancer =
        LoadBalancer.builder()
            .name("users")
            .strategy(strategy)
            .slowStart(SlowStart.of(Duration.ofSeconds(30)))
            .build();
    snapshot("1", List.of(withPolicy(Cluster.LbPolicy.ROUND_ROBIN)), users(1, 2));
    binding = bind(XdsEndpointSource.builder(channel, "users").strategy(strategy));
    await("the first set", () -> idsOf(balancer).size() == 2);
    snapshot("2", List.of(withPolicy(Cluster.LbPolicy.MAGLEV)), users(1, 2, 3));
    await("a CDS NACK", () -> nacked(XdsEndpointSource.CLUSTER_TYPE, "slow start"));
    assertThat(balancer.stats().strategyName()).isEqualTo("weighted_round_robin");
    // The assignment is another resource, answered on its own: it is applied.
    await("the new assignment", () -> idsOf(balancer).size() == 3);
  }
}
