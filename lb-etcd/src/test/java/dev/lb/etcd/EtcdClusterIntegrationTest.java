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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The source against a real three-member etcd cluster (Debian's {@code etcd-server}) on 127.0.0.1,
 * connected to one follower's client URL only, while the other members die: the leader alone (a new
 * one is elected), then a quorum (the source's member is left without a leader). Each test has its
 * own cluster. Waits are on conditions signalled by the binding's listener or on etcd's own raft
 * status, bounded; nothing sleeps.
 */
class EtcdClusterIntegrationTest {
  /** For a change while the cluster is healthy, as in {@link EtcdIntegrationTest}. */
  private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(1);

  /** For anything that waits on an election, a restart or gRPC's reconnect, on a loaded machine. */
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static final String PREFIX = "/services/users/";

  private EtcdCluster cluster;
  private final List<Client> clients = new ArrayList<>();
  private LoadBalancer balancer;
  private DiscoveryBinding binding;
  private EtcdEndpointSource source;
  private final Object signal = new Object();
  private final AtomicInteger smallestSet = new AtomicInteger(Integer.MAX_VALUE);
  private final AtomicInteger failuresSeen = new AtomicInteger();
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
          failuresSeen.incrementAndGet();
          smallestSet.accumulateAndGet(kept.size(), Math::min);
          wake();
        }

        @Override
        public void onRecovered(DiscoveryStatus status, int failedAttempts) {
          recoveries.incrementAndGet();
          wake();
        }
      };

  @BeforeEach
  void setUp() throws Exception {
    cluster = EtcdCluster.start(3);
    balancer = LoadBalancer.builder().name("users").build();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (binding != null) {
        binding.close();
      }
      balancer.close();
      for (Client c : clients) {
        c.close();
      }
    } finally {
      cluster.close();
    }
  }

  /** A jetcd client that knows one member only, closed after the test. */
  private Client clientOf(EtcdServer member) {
    Client c = Client.builder().endpoints(member.endpoint()).build();
    clients.add(c);
    return c;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String record(String host, int port) {
    return "{\"host\": \"" + host + "\", \"port\": " + port + "}";
  }

  /**
   * Writes through {@code via}, again every 0.5 s while the cluster cannot commit it (a member that
   * has not yet noticed its leader's death forwards the write into the void, and answers only after
   * etcd's own request timeout, seconds later); the source under test is not involved. A write that
   * timed out here may still commit: writing the same value again is harmless.
   */
  private static void put(Client via, String name, String json) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        via.getKVClient().put(bytes(PREFIX + name), bytes(json)).get(500, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException | ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  /** The production defaults, scaled down: a 200 ms check, 0.5 s request timeout. */
  private DiscoveryBinding bindChecking(Client via) {
    source =
        EtcdEndpointSource.builder(via, PREFIX)
            .checkInterval(Duration.ofMillis(200))
            .requestTimeout(Duration.ofMillis(500))
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(300))
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  /** A source that only its watch can tell of an outage: the check is too slow to fire. */
  private DiscoveryBinding bindWatchOnly(Client via) {
    source =
        EtcdEndpointSource.builder(via, PREFIX)
            .checkInterval(Duration.ofMinutes(10))
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(300))
            .build();
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
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
    System.out.printf("lb-etcd cluster: %s in %.1f ms%n", what, nanos / 1e6);
  }

  /** How the source under test learns of an outage. */
  enum Detection {
    /** The count-only check every 200 ms (0.5 s timeout) and the watch. */
    CHECK_AND_WATCH,
    /** The watch alone: the check is too slow to fire. */
    WATCH_ONLY
  }

  private DiscoveryBinding bind(Detection detection, Client via) {
    return detection == Detection.CHECK_AND_WATCH ? bindChecking(via) : bindWatchOnly(via);
  }

  @ParameterizedTest
  @EnumSource(Detection.class)
  void leaderKilled_sourceOnAFollower_keepsItsSet_missesNoWrite_ofOrAfterTheElection(
      Detection detection) throws Exception {
    EtcdServer leader = cluster.awaitLeader(cluster.members());
    List<EtcdServer> followers = cluster.except(List.of(leader));
    EtcdServer sourceMember = followers.get(0);
    EtcdServer otherFollower = followers.get(1);
    Client writer = clientOf(otherFollower);
    put(writer, "a", record("10.0.0.1", 8080));
    put(writer, "b", record("10.0.0.2", 8080));
    binding = bind(detection, clientOf(sourceMember));
    await("the first list", () -> idsOf(balancer).size() == 2);

    // Healthy: a write through another member reaches the picker within the usual bound.
    long t0 = System.nanoTime();
    put(writer, "c", record("10.0.0.3", 8080));
    await("a write while healthy", () -> idsOf(balancer).size() == 3);
    long healthy = System.nanoTime() - t0;
    report(
        detection + ": a write through the other follower, healthy, reached the picker", healthy);
    assertThat(Duration.ofNanos(healthy)).isLessThan(PROPAGATION_BOUND);

    smallestSet.set(Integer.MAX_VALUE);
    int failuresBefore = failuresSeen.get();
    long listsBefore = source.relists();

    leader.kill();
    long killed = System.nanoTime();
    // Sent at once, committed only once the survivors have elected a new leader: possibly while
    // the source is between two watches, which must then replay it from the revision.
    put(writer, "d", record("10.0.0.4", 8080));
    report(
        detection + ": the first write after the leader's kill committed",
        System.nanoTime() - killed);
    EtcdServer newLeader = cluster.awaitLeader(List.of(sourceMember, otherFollower));
    assertThat(newLeader).isNotSameAs(leader);

    long t1 = System.nanoTime();
    put(writer, "e", record("10.0.0.5", 8080));
    await(
        "the writes of and after the election",
        () -> idsOf(balancer).size() == 5 && binding.status().isHealthy());
    report(detection + ": a write after the election reached the picker", System.nanoTime() - t1);
    System.out.printf(
        "lb-etcd cluster: %s: new leader %s; %d failure(s) reported during the leader change;"
            + " %d list(s) since%n",
        detection,
        newLeader == sourceMember ? "the source's member" : "the other follower",
        failuresSeen.get() - failuresBefore,
        source.relists() - listsBefore);

    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder(
            "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080", "10.0.0.5:8080");
    assertThat(smallestSet.get()).isGreaterThanOrEqualTo(3); // no endpoint left meanwhile
    // The watch survived or resumed from its revision: nothing was compacted, so no relist.
    assertThat(source.relists()).isEqualTo(listsBefore);
  }

  @Test
  void quorumLost_watchAloneEndsAndReportsIt_keepsTheSet_thenRecoversAfterTheRestart()
      throws Exception {
    EtcdServer leader = cluster.awaitLeader(cluster.members());
    EtcdServer sourceMember = cluster.except(List.of(leader)).get(0);
    List<EtcdServer> others = cluster.except(List.of(sourceMember));
    Client writer = clientOf(sourceMember);
    put(writer, "a", record("10.0.0.1", 8080));
    put(writer, "b", record("10.0.0.2", 8080));
    // Only the watch can tell: a member without a leader that kept the watch open would leave the
    // source quiet and healthy-looking.
    binding = bindWatchOnly(clientOf(sourceMember));
    await("the first list", () -> idsOf(balancer).size() == 2 && binding.status().isHealthy());
    smallestSet.set(Integer.MAX_VALUE);
    long listsBefore = source.relists();

    for (EtcdServer m : others) {
      m.kill();
    }
    long noticed =
        await("the lost quorum to be reported", () -> binding.status().consecutiveFailures() > 0);
    report("a lost quorum noticed by the watch alone", noticed);
    assertThat(sourceMember.status().hasLeader()).isFalse();
    assertThat(binding.status().lastError())
        .hasMessageContaining("watching " + PREFIX)
        .hasStackTraceContaining("etcdserver: no leader"); // etcd ended it, not the connection
    assertThat(idsOf(balancer)).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080");
    Lease lease = balancer.pick(); // picks still work on the kept set
    assertThat(lease.endpoint().id()).isIn("10.0.0.1:8080", "10.0.0.2:8080");
    lease.onSuccess(1);

    for (EtcdServer m : others) {
      m.launch();
    }
    // Not waiting for the restarted members to serve clients: after the lone member's vain
    // elections, etcd 3.4 may hold a restarted member back for seconds (a lost proposal that
    // publishes it waits out etcd's request timeout), though a leader is elected at once.
    long recovered =
        await("the recovery", () -> recoveries.get() > 0 && binding.status().isHealthy());
    report("the source's recovery after the two members' restart", recovered);

    long t0 = System.nanoTime();
    // Through the source's member, which stayed up: committed by whichever member now leads.
    put(writer, "c", record("10.0.0.3", 8080));
    await("a write after the recovery", () -> idsOf(balancer).size() == 3);
    long reached = System.nanoTime() - t0;
    report("a write after the recovery reached the picker", reached);
    assertThat(Duration.ofNanos(reached)).isLessThan(PROPAGATION_BOUND); // healthy again

    assertThat(idsOf(balancer))
        .containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    assertThat(smallestSet.get()).isGreaterThanOrEqualTo(2); // the set was kept throughout
    assertThat(source.relists()).isEqualTo(listsBefore); // resumed from its revision
  }
}
