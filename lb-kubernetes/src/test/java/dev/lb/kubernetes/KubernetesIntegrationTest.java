package dev.lb.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.DiscoveryListener;
import dev.lb.discovery.DiscoveryStatus;
import dev.lb.health.HealthStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The source against fabric8's mock API server in CRUD mode on 127.0.0.1: slices written through
 * the API reach a real balancer's picker. Waits are on conditions signalled by the binding's
 * listener, bounded; nothing sleeps.
 */
class KubernetesIntegrationTest {
  private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(1);
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final GoneDispatcher dispatcher = new GoneDispatcher();

  /**
   * The CRUD dispatcher, able to answer the next watches with 410 Gone ("too old resource
   * version"), as an API server does once the version a watch resumes from has been compacted.
   */
  static final class GoneDispatcher extends KubernetesCrudDispatcher {
    final AtomicInteger goneToServe = new AtomicInteger();
    final AtomicInteger goneServed = new AtomicInteger();
    final AtomicInteger listsAfterGone = new AtomicInteger();

    @Override
    public MockResponse handleWatch(String path) {
      if (goneToServe.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        goneServed.incrementAndGet();
        // What an API server does for a watch from a compacted resource version: it accepts the
        // watch and sends one ERROR event with a 410 Status, then ends the stream.
        return new MockResponse()
            .withWebSocketUpgrade(
                new WebSocketListener() {
                  @Override
                  public void onOpen(WebSocket socket, Response response) {
                    socket.send(
                        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
                            + "\"apiVersion\":\"v1\",\"status\":\"Failure\","
                            + "\"message\":\"too old resource version: 1 (5)\","
                            + "\"reason\":\"Expired\",\"code\":410}}");
                    socket.close(1000, "");
                  }
                });
      }
      return super.handleWatch(path);
    }

    @Override
    public MockResponse handleGet(String path) {
      // A list of the service's slices (not a get of one slice by name, as writers do).
      if (goneServed.get() > 0 && path.contains("/endpointslices?")) {
        listsAfterGone.incrementAndGet();
      }
      return super.handleGet(path);
    }
  }

  private KubernetesMockServer server;
  private int port;
  private KubernetesClient client;
  private LoadBalancer balancer;
  private DiscoveryBinding binding;
  private final Object signal = new Object();
  private final AtomicInteger smallestSetAfterFirst = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger recoveries = new AtomicInteger();

  private final DiscoveryListener listener =
      new DiscoveryListener() {
        @Override
        public void onUpdated(DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {
          smallestSetAfterFirst.accumulateAndGet(endpoints.size(), Math::min);
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

  /**
   * Loads and links the client, informer, mock server and balancer classes once, so that the
   * propagation figures measure a running process, not the JVM's first use of fabric8 (which adds
   * some 0.5 to 1 s of class loading to whichever test runs first).
   */
  @BeforeAll
  static void warmUp() throws Exception {
    KubernetesIntegrationTest warm = new KubernetesIntegrationTest();
    warm.startServer();
    try {
      warm.put(Slices.slice("users-a", "users").port("http", 8080).ready("10.0.0.1", "z1").build());
      warm.binding = warm.bind();
      warm.await("the warm-up set", () -> idsOf(warm.balancer).size() == 1);
      warm.put(
          Slices.slice("users-a", "users")
              .port("http", 8080)
              .ready("10.0.0.1", "z1")
              .ready("10.0.0.2", "z1")
              .build());
      warm.await("the warm-up scale-up", () -> idsOf(warm.balancer).size() == 2);
    } finally {
      warm.stop();
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    server = newServer();
    server.init(loopback(), 0);
    port = server.getPort();
    client = server.createClient();
    balancer = LoadBalancer.builder().name("users").build();
  }

  /** 127.0.0.1 itself, whatever the resolver or IPv6 preference says about "localhost". */
  private static InetAddress loopback() throws java.net.UnknownHostException {
    return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
  }

  private KubernetesMockServer newServer() {
    return new KubernetesMockServer(
        new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
  }

  @AfterEach
  void stop() {
    if (binding != null) {
      binding.close();
    }
    balancer.close();
    client.close();
    server.destroy();
  }

  private DiscoveryBinding bind() {
    return DiscoveryBinding.builder(
            KubernetesEndpointSource.builder(client, "shop", "users").portName("http").build())
        .listener(listener)
        .bind(balancer);
  }

  private void put(EndpointSlice slice) {
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("shop")
        .resource(slice)
        .createOr(r -> r.update());
  }

  private static java.util.Set<String> idsOf(LoadBalancer b) {
    return b.endpoints().stream().map(Endpoint::id).collect(Collectors.toSet());
  }

  private void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  /** Waits until {@code condition} holds, woken by the binding's events; returns nanos waited. */
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
        // Bounded wait: events wake it; the short cap re-checks conditions no event announces.
        signal.wait(Math.max(1, Math.min(50, left / 1_000_000)));
      }
    }
    return System.nanoTime() - start;
  }

  private static void report(String what, long nanos) {
    System.out.printf("lb-kubernetes: %s reached the picker in %.1f ms%n", what, nanos / 1e6);
  }

  @Test
  void createdSlice_reachesPicker_withinOneSecond() throws Exception {
    binding = bind();
    long start = System.nanoTime();
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .port("metrics", 9090)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z2")
            .build());
    await("the first slice", () -> idsOf(balancer).size() == 2);
    long nanos = System.nanoTime() - start;
    report("a new slice", nanos);
    assertThat(Duration.ofNanos(nanos)).isLessThan(PROPAGATION_BOUND);
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
    {
      Lease lease = balancer.pick();
      assertThat(lease.endpoint().port()).isEqualTo(8080);
      lease.onSuccess(1);
    }
    Endpoint first = balancer.endpoints().get(0);
    assertThat(first.zone()).isEqualTo("z1");
    assertThat(first.metadata())
        .containsEntry(SliceMapping.POD, "pod-10.0.0.1")
        .containsEntry(SliceMapping.NODE, "node-z1");
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void scaleUp_reachesPicker_withinOneSecond() throws Exception {
    put(Slices.slice("users-a", "users").port("http", 8080).ready("10.0.0.1", "z1").build());
    binding = bind();
    await("the initial set", () -> idsOf(balancer).size() == 1);

    long start = System.nanoTime();
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .build());
    await("the scale-up", () -> idsOf(balancer).contains("10.0.0.2:8080"));
    long nanos = System.nanoTime() - start;
    report("a scale-up", nanos);
    assertThat(Duration.ofNanos(nanos)).isLessThan(PROPAGATION_BOUND);

    java.util.Set<String> picked = new java.util.HashSet<>();
    for (int i = 0; i < 10; i++) {
      {
        Lease lease = balancer.pick();
        picked.add(lease.endpoint().id());
        lease.onSuccess(1);
      }
    }
    assertThat(picked).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
  }

  @Test
  void terminatingPod_drains_andTakesNoNewCalls() throws Exception {
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .build());
    binding = bind();
    await("the initial set", () -> idsOf(balancer).size() == 2);
    Lease onLeaving = null;
    for (int i = 0; i < 4 && onLeaving == null; i++) {
      Lease lease = balancer.pick();
      if (lease.endpoint().id().equals("10.0.0.2:8080")) {
        onLeaving = lease;
      } else {
        lease.onSuccess(1);
      }
    }
    assertThat(onLeaving).isNotNull();

    long start = System.nanoTime();
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .terminating("10.0.0.2", "z1")
            .build());
    await("the pod to leave", () -> idsOf(balancer).equals(java.util.Set.of("10.0.0.1:8080")));
    report("a terminating pod", System.nanoTime() - start);
    // Its call in flight keeps it draining; new calls go elsewhere.
    assertThat(balancer.health("10.0.0.2:8080")).isEqualTo(HealthStatus.DRAINING);
    for (int i = 0; i < 10; i++) {
      {
        Lease lease = balancer.pick();
        assertThat(lease.endpoint().id()).isEqualTo("10.0.0.1:8080");
        lease.onSuccess(1);
      }
    }
    onLeaving.onSuccess(1);
    assertThat(balancer.health("10.0.0.2:8080")).isNull(); // drained: its last call finished
  }

  @Test
  void notReadyPod_leaves() throws Exception {
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .build());
    binding = bind();
    await("the initial set", () -> idsOf(balancer).size() == 2);
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .notReady("10.0.0.2", "z1")
            .build());
    await("the unready pod to leave", () -> idsOf(balancer).size() == 1);
    assertThat(idsOf(balancer)).containsExactly("10.0.0.1:8080");
  }

  @Test
  void secondSlice_merges_andDeletingItRemovesOnlyItsEndpoints() throws Exception {
    put(Slices.slice("users-a", "users").port("http", 8080).ready("10.0.0.1", "z1").build());
    // Another service's slice in the same namespace is not ours.
    put(Slices.slice("orders-a", "orders").port("http", 8080).ready("10.0.9.9", "z1").build());
    binding = bind();
    await("the initial set", () -> idsOf(balancer).size() == 1);

    put(
        Slices.slice("users-b", "users")
            .ipv6()
            .port("http", 8080)
            .ready("fd00::2", "z2")
            .ready("fd00::3", "z2")
            .build());
    await("the second slice", () -> idsOf(balancer).size() == 3);
    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "[fd00::2]:8080", "[fd00::3]:8080");

    client.discovery().v1().endpointSlices().inNamespace("shop").withName("users-b").delete();
    await("the second slice to go", () -> idsOf(balancer).size() == 1);
    assertThat(idsOf(balancer)).containsExactly("10.0.0.1:8080");
  }

  @Test
  void badSlice_isRejectedWithAClearStatus_andNeverEmptiesTheBalancer() throws Exception {
    put(Slices.slice("users-a", "users").port("http", 8080).ready("10.0.0.1", "z1").build());
    binding = bind();
    await("the initial set", () -> idsOf(balancer).size() == 1);

    // The slice loses its named port: rejected, its last endpoints kept.
    put(Slices.slice("users-a", "users").port("grpc", 9000).ready("10.0.0.1", "z1").build());
    await("the rejection", () -> binding.status().consecutiveFailures() > 0);
    assertThat(binding.status().lastError())
        .hasMessageContaining("EndpointSlice users-a has no port named 'http' (ports: [grpc])");
    assertThat(idsOf(balancer)).containsExactly("10.0.0.1:8080");

    // A new slice with a port out of range: rejected too; the good ones keep flowing.
    put(Slices.slice("users-b", "users").port("http", 70000).ready("10.0.0.2", "z1").build());
    put(Slices.slice("users-c", "users").port("http", 8080).ready("10.0.0.3", "z1").build());
    await("the good slice", () -> idsOf(balancer).contains("10.0.0.3:8080"));
    await(
        "the port's rejection",
        () ->
            binding.status().lastError() != null
                && binding.status().lastError().getMessage().contains("70000"));
    assertThat(binding.status().lastError())
        .hasMessageContaining(
            "EndpointSlice users-b: port 'http' must be in 1..65535 but was 70000");
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.3:8080");

    // Fixed: healthy again.
    put(Slices.slice("users-a", "users").port("http", 8080).ready("10.0.0.1", "z1").build());
    put(Slices.slice("users-b", "users").port("http", 8080).ready("10.0.0.2", "z1").build());
    await("the fix", () -> binding.status().isHealthy() && idsOf(balancer).size() == 3);
    assertThat(smallestSetAfterFirst.get()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void apiServerOutage_keepsTheLastSet_andRestartResyncs() throws Exception {
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .build());
    binding =
        DiscoveryBinding.builder(
                KubernetesEndpointSource.builder(client, "shop", "users")
                    .portName("http")
                    .watchCheckInterval(Duration.ofMillis(100))
                    .build())
            .listener(listener)
            .bind(balancer);
    await("the initial set", () -> idsOf(balancer).size() == 2);
    // A change that arrives proves the watch runs before the server goes.
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z2")
            .build());
    await("the watch", () -> "z2".equals(balancer.endpoints().get(1).zone()));

    server.destroy();
    await("the outage to be reported", () -> binding.status().consecutiveFailures() > 0);
    assertThat(binding.status().isHealthy()).isFalse();
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
    {
      Lease lease = balancer.pick();
      lease.onSuccess(1);
    }

    // The API server comes back on the same address with the same state, and a scale-up lands
    // at once, racing the informer's reconnection: whether the resumed watch or a relist brings
    // it, it must arrive, and nothing may be dropped on the way.
    server = newServer();
    server.init(loopback(), port);
    long start = System.nanoTime();
    try (KubernetesClient writer = server.createClient()) {
      writer
          .discovery()
          .v1()
          .endpointSlices()
          .inNamespace("shop")
          .resource(
              Slices.slice("users-a", "users")
                  .port("http", 8080)
                  .ready("10.0.0.1", "z1")
                  .ready("10.0.0.2", "z2")
                  .ready("10.0.0.3", "z1")
                  .build())
          .update();
    }
    await("the recovery", () -> binding.status().isHealthy() && idsOf(balancer).size() == 3);
    assertThat(recoveries.get()).isGreaterThanOrEqualTo(1);
    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    assertThat(smallestSetAfterFirst.get()).isEqualTo(2); // nothing was dropped on the way
    report("a scale-up after a restart", System.nanoTime() - start);
  }

  @Test
  void watchAnswered410Gone_relists_withoutDroppingEndpoints() throws Exception {
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .build());
    binding =
        DiscoveryBinding.builder(
                KubernetesEndpointSource.builder(client, "shop", "users")
                    .portName("http")
                    .watchCheckInterval(Duration.ofMillis(100))
                    .build())
            .listener(listener)
            .bind(balancer);
    await("the initial set", () -> idsOf(balancer).size() == 2);
    smallestSetAfterFirst.set(Integer.MAX_VALUE);

    // The watch ends (the API server restarts); when the informer resumes it from its resource
    // version, the server says 410 Gone, as it does after compaction: only a relist can catch up,
    // and a scale-up made meanwhile must arrive through it.
    server.destroy();
    await("the outage to be reported", () -> binding.status().consecutiveFailures() > 0);
    dispatcher.goneToServe.set(2);
    server = newServer();
    server.init(loopback(), port);
    try (KubernetesClient writer = server.createClient()) {
      writer
          .discovery()
          .v1()
          .endpointSlices()
          .inNamespace("shop")
          .resource(
              Slices.slice("users-a", "users")
                  .port("http", 8080)
                  .ready("10.0.0.1", "z1")
                  .ready("10.0.0.2", "z1")
                  .ready("10.0.0.3", "z2")
                  .build())
          .update();
    }
    await("the relisted set", () -> binding.status().isHealthy() && idsOf(balancer).size() == 3);
    assertThat(dispatcher.goneServed.get()).isPositive();
    assertThat(dispatcher.listsAfterGone.get()).isPositive();
    assertThat(smallestSetAfterFirst.get()).isGreaterThanOrEqualTo(2); // nothing dropped meanwhile

    // The watch started after the relist runs: a later change arrives without another relist.
    int lists = dispatcher.listsAfterGone.get();
    put(
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z1")
            .ready("10.0.0.2", "z1")
            .ready("10.0.0.3", "z2")
            .ready("10.0.0.4", "z2")
            .build());
    await("a change after the relist", () -> idsOf(balancer).size() == 4);
    assertThat(dispatcher.listsAfterGone.get()).isEqualTo(lists);
  }
}
