package dev.lb.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.DiscoveryListener;
import dev.lb.discovery.DiscoveryStatus;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The source against a real etcd server (Debian's {@code etcd-server}) on 127.0.0.1: records
 * written through a jetcd client reach a real balancer's picker. Waits are on conditions signalled
 * by the binding's listener, bounded; nothing sleeps.
 */
class EtcdIntegrationTest {
  private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(1);
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static EtcdServer etcd;
  private static Client writer;

  private String prefix;
  private Client client;
  private LoadBalancer balancer;
  private DiscoveryBinding binding;
  private EtcdEndpointSource source;
  private final Object signal = new Object();
  private final AtomicInteger smallestSet = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger recoveries = new AtomicInteger();

  private final DiscoveryListener listener =
      new DiscoveryListener() {
        @Override
        public void onUpdated(DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {
          smallestSet.accumulateAndGet(endpoints.size(), Math::min);
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

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdServer.start();
    writer = Client.builder().endpoints(etcd.endpoint()).build();
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    writer.close();
    etcd.close();
  }

  @BeforeEach
  void setUp(TestInfo test) {
    prefix = "/services/" + test.getTestMethod().orElseThrow().getName() + "/";
    client = Client.builder().endpoints(etcd.endpoint()).build();
    balancer = LoadBalancer.builder().name("users").build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (binding != null) {
      binding.close();
    }
    balancer.close();
    client.close();
    writer
        .getKVClient()
        .delete(bytes(prefix), DeleteOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS);
  }

  private DiscoveryBinding bind(Client using) {
    source =
        EtcdEndpointSource.builder(using, prefix)
            .checkInterval(Duration.ofMillis(200))
            .requestTimeout(Duration.ofMillis(500))
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(300))
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private void put(String name, String json) throws Exception {
    writer.getKVClient().put(bytes(prefix + name), bytes(json)).get(10, TimeUnit.SECONDS);
  }

  /**
   * Writes once the test's own client has reconnected after an etcd restart (gRPC's reconnect
   * backoff may hold it back for a few seconds); the source under test is not involved.
   */
  private void putAfterRestart(Client using, String name, String json) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        using.getKVClient().put(bytes(prefix + name), bytes(json)).get(2, TimeUnit.SECONDS);
        return;
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  private void delete(String name) throws Exception {
    writer.getKVClient().delete(bytes(prefix + name)).get(10, TimeUnit.SECONDS);
  }

  private static String record(String host, int port) {
    return "{\"host\": \"" + host + "\", \"port\": " + port + "}";
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
    System.out.printf("lb-etcd: %s reached the picker in %.1f ms%n", what, nanos / 1e6);
  }

  @Test
  void initialList_thenScaleUpAndDown_reachThePicker_withinOneSecond() throws Exception {
    put(
        "a",
        "{\"host\": \"10.0.0.1\", \"port\": 8080, \"weight\": 3, \"zone\": \"z1\", \"metadata\": {\"version\": \"v2\"}}");
    put("b", record("10.0.0.2", 8080));
    binding = bind(client);
    await("the first list", () -> idsOf(balancer).size() == 2);
    Endpoint a =
        balancer.endpoints().stream()
            .filter(e -> e.host().equals("10.0.0.1"))
            .findFirst()
            .orElseThrow();
    assertThat(a.weight()).isEqualTo(3);
    assertThat(a.zone()).isEqualTo("z1");
    assertThat(a.metadata()).containsEntry("version", "v2");
    Lease lease = balancer.pick();
    lease.onSuccess(1);

    long worst = 0;
    for (int i = 3; i <= 7; i++) {
      long t0 = System.nanoTime();
      put("n" + i, record("10.0.0." + i, 8080));
      int expected = i;
      await("scale-up to " + i, () -> idsOf(balancer).size() == expected);
      worst = Math.max(worst, System.nanoTime() - t0);
    }
    report("a new key (worst of 5)", worst);
    assertThat(Duration.ofNanos(worst)).isLessThan(PROPAGATION_BOUND);

    long t0 = System.nanoTime();
    delete("b");
    await("the deletion", () -> !idsOf(balancer).contains("10.0.0.2:8080"));
    report("a deleted key", System.nanoTime() - t0);
    assertThat(idsOf(balancer)).hasSize(6);
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void badRecord_isRejectedAlone_keepingThatKeysLastGoodEndpoint() throws Exception {
    put("a", record("10.0.0.1", 8080));
    put("b", record("10.0.0.2", 8080));
    binding = bind(client);
    await("the first list", () -> idsOf(balancer).size() == 2);

    put("b", "{\"host\": \"10.0.0.9\", \"port\": 70000}");
    put("c", "not json");
    put("d", record("10.0.0.4", 8080));
    await("d", () -> idsOf(balancer).contains("10.0.0.4:8080"));
    await("the failure status", () -> binding.status().consecutiveFailures() > 0);
    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.4:8080");
    assertThat(binding.status().lastError())
        .hasMessageContaining("etcd key '" + prefix + "b' port must be in 1..65535 but was 70000")
        .hasMessageContaining("etcd key '" + prefix + "c' is not JSON");

    put("b", record("10.0.0.3", 8080));
    delete("c");
    await(
        "the fix", () -> idsOf(balancer).contains("10.0.0.3:8080") && binding.status().isHealthy());
    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.3:8080", "10.0.0.4:8080");
  }

  @Test
  void etcdKilledAndRestarted_keepsEndpoints_thenResyncs() throws Exception {
    // Its own server and clients: killing the shared one would leave the other tests' writer in
    // gRPC's reconnect backoff.
    try (EtcdServer own = EtcdServer.start();
        Client ownWriter = Client.builder().endpoints(own.endpoint()).build();
        Client ownClient = Client.builder().endpoints(own.endpoint()).build()) {
      ownWriter
          .getKVClient()
          .put(bytes(prefix + "a"), bytes(record("10.0.0.1", 8080)))
          .get(10, TimeUnit.SECONDS);
      ownWriter
          .getKVClient()
          .put(bytes(prefix + "b"), bytes(record("10.0.0.2", 8080)))
          .get(10, TimeUnit.SECONDS);
      binding = bind(ownClient);
      await("the first list", () -> idsOf(balancer).size() == 2);
      smallestSet.set(Integer.MAX_VALUE);

      own.kill();
      long t0 = System.nanoTime();
      await("the outage to be noticed", () -> binding.status().consecutiveFailures() > 0);
      report("an etcd crash (noticed, as a failure)", System.nanoTime() - t0);
      assertThat(idsOf(balancer)).hasSize(2);

      own.startProcess();
      putAfterRestart(ownWriter, "c", record("10.0.0.3", 8080));
      long t1 = System.nanoTime();
      await("the resync", () -> idsOf(balancer).size() == 3 && binding.status().isHealthy());
      report("a key written after an etcd restart", System.nanoTime() - t1);
      assertThat(recoveries.get()).isPositive();
      assertThat(smallestSet.get()).isGreaterThanOrEqualTo(2); // never emptied in between
      binding.close();
      binding = null;
    }
  }

  @Test
  void compactionDuringAPartition_relistsTheWholePrefix_missingNothing() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.clientPort());
        Client viaProxy = Client.builder().endpoints(proxy.endpoint()).build()) {
      put("a", record("10.0.0.1", 8080));
      put("b", record("10.0.0.2", 8080));
      binding = bind(viaProxy);
      await("the first list", () -> idsOf(balancer).size() == 2);
      long listsBefore = source.relists();

      proxy.cut();
      // While the source cannot see etcd: one key deleted, one changed, one added, and the history
      // compacted up to now, so no watch can resume from where it stopped.
      delete("a");
      put("b", record("10.0.0.22", 8080));
      long revision =
          writer
              .getKVClient()
              .put(bytes(prefix + "c"), bytes(record("10.0.0.3", 8080)))
              .get(5, TimeUnit.SECONDS)
              .getHeader()
              .getRevision();
      writer.getKVClient().compact(revision).get(5, TimeUnit.SECONDS);
      await("the partition to be noticed", () -> binding.status().consecutiveFailures() > 0);
      assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");

      proxy.heal();
      await(
          "the state after the partition",
          () ->
              idsOf(balancer).equals(Set.of("10.0.0.22:8080", "10.0.0.3:8080"))
                  && binding.status().isHealthy());
      assertThat(source.relists()).isGreaterThan(listsBefore);

      // And the watch runs again from the relisted revision.
      put("d", record("10.0.0.4", 8080));
      await("a key after the partition", () -> idsOf(balancer).contains("10.0.0.4:8080"));
    }
  }

  @Test
  void registration_appears_andLeavesOnClose_orWhenItsLeaseExpires() throws Exception {
    source =
        EtcdEndpointSource.builder(client, prefix)
            .checkInterval(Duration.ofMillis(200))
            .requestTimeout(Duration.ofMillis(500))
            .build();
    binding = DiscoveryBinding.builder(source).listener(listener).allowEmpty(true).bind(balancer);
    Endpoint me =
        Endpoint.builder("10.0.0.5", 8080).zone("z2").weight(2).metadata("v", "1").build();
    long t0 = System.nanoTime();
    // A TTL long enough that a keep-alive delayed by a loaded machine does not expire it mid-test.
    EtcdRegistration registration =
        EtcdRegistration.register(writer, prefix, me, Duration.ofSeconds(5));
    await("the registration", () -> balancer.endpoints().contains(me));
    report("a registration", System.nanoTime() - t0);
    assertThat(registration.key()).isEqualTo(prefix + "10.0.0.5:8080");
    await("registered", registration::isRegistered);
    registration.close();
    await("the deregistration", () -> idsOf(balancer).isEmpty());

    // A registration whose client dies stops its keep-alives: the key expires with the lease.
    Client dying = Client.builder().endpoints(etcd.endpoint()).build();
    EtcdRegistration orphan =
        EtcdRegistration.register(
            dying, prefix, Endpoint.of("10.0.0.6", 8080), Duration.ofSeconds(1));
    await("the second registration", () -> idsOf(balancer).contains("10.0.0.6:8080"));
    await("registered", orphan::isRegistered);
    dying.close();
    long t1 = System.nanoTime();
    await("the lease to expire", () -> idsOf(balancer).isEmpty());
    report("an expired 2 s lease (from the client's death)", System.nanoTime() - t1);
    orphan.close();
  }

  /** A source that only its watch can bring back: the liveness check is too slow to fire. */
  private DiscoveryBinding bindWatchOnly(Client using) {
    source =
        EtcdEndpointSource.builder(using, prefix)
            .checkInterval(Duration.ofMinutes(10))
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(300))
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  @Test
  void shortPartition_watchResumesFromItsRevision_withoutRelisting() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.clientPort());
        Client viaProxy = Client.builder().endpoints(proxy.endpoint()).build()) {
      put("a", record("10.0.0.1", 8080));
      binding = bindWatchOnly(viaProxy);
      await("the first list", () -> idsOf(balancer).size() == 1);
      long lists = source.relists();

      proxy.cut();
      put("b", record("10.0.0.2", 8080));
      delete("a");
      proxy.heal();
      await("the events of the gap", () -> idsOf(balancer).equals(Set.of("10.0.0.2:8080")));
      assertThat(source.relists()).isEqualTo(lists); // replayed from the revision, not relisted
    }
  }

  @Test
  void compactionWhileTheWatchWasAway_relists() throws Exception {
    try (TcpProxy proxy = new TcpProxy(etcd.clientPort());
        Client viaProxy = Client.builder().endpoints(proxy.endpoint()).build()) {
      put("a", record("10.0.0.1", 8080));
      binding = bindWatchOnly(viaProxy);
      await("the first list", () -> idsOf(balancer).size() == 1);
      long lists = source.relists();

      proxy.cut();
      put("b", record("10.0.0.2", 8080));
      delete("a");
      long revision =
          writer
              .getKVClient()
              .put(bytes(prefix + "c"), bytes(record("10.0.0.3", 8080)))
              .get(5, TimeUnit.SECONDS)
              .getHeader()
              .getRevision();
      writer.getKVClient().compact(revision).get(5, TimeUnit.SECONDS);
      proxy.heal();
      await(
          "the state after the compaction",
          () -> idsOf(balancer).equals(Set.of("10.0.0.2:8080", "10.0.0.3:8080")));
      assertThat(source.relists()).isGreaterThan(lists);
    }
  }
}
