package dev.lb.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.DiscoveryListener;
import dev.lb.discovery.DiscoveryStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Against a real ZooKeeper: Curator's TestingServer runs one in-process, bound to 127.0.0.1 on a
 * free port. Instances are registered by a second client, as another service would.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZooKeeperIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  /** A registrant's payload class; the source reads it as a JSON tree without needing it. */
  public static final class Details {
    public int weight = 1;
    public String zone = "z1";
  }

  private TestingServer server;
  private CuratorFramework registrarClient;
  private CuratorFramework watcherClient;
  private ServiceDiscovery<Details> registrar;
  private final LoadBalancer balancer = LoadBalancer.builder().name("zk-it").build();
  private final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    InstanceSpec spec =
        new InstanceSpec(
            null,
            -1,
            -1,
            -1,
            true,
            -1,
            -1,
            -1,
            Map.of("clientPortAddress", "127.0.0.1"),
            "127.0.0.1");
    server = new TestingServer(spec, true);
    registrarClient = client();
    watcherClient = client();
    registrar =
        ServiceDiscoveryBuilder.builder(Details.class)
            .client(registrarClient)
            .basePath("/services")
            .build();
    registrar.start();
  }

  private CuratorFramework client() {
    CuratorFramework c =
        CuratorFrameworkFactory.newClient(
            server.getConnectString(), 30_000, 2_000, new RetryForever(100));
    c.start();
    return c;
  }

  @AfterEach
  void stop() throws Exception {
    // Clients first: a registrar closing against a stopped server would retry its unregistrations;
    // against a closed client it gives up at once (its instances are ephemeral anyway).
    closeAll(watcherClient, registrarClient, registrar, server);
  }

  private static void closeAll(AutoCloseable... all) throws Exception {
    Exception first = null;
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IllegalStateException e) {
        // the registrar after its client closed: expected, see stop()
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private ServiceInstance<Details> register(String id, int port, int weight) throws Exception {
    Details d = new Details();
    d.weight = weight;
    ServiceInstance<Details> i =
        ServiceInstance.<Details>builder()
            .name("users")
            .id(id)
            .address("127.0.0.1")
            .port(port)
            .payload(d)
            .build();
    registrar.registerService(i);
    return i;
  }

  private DiscoveryBinding bind() {
    ZooKeeperEndpointSource source =
        ZooKeeperEndpointSource.builder(watcherClient, "/services", "users").build();
    return DiscoveryBinding.builder(source)
        .allowEmpty(true)
        .listener(
            new DiscoveryListener() {
              @Override
              public void onFailed(DiscoveryStatus status, Throwable error, List<Endpoint> kept) {
                events.add("failed kept " + kept.size());
              }

              @Override
              public void onRecovered(DiscoveryStatus status, int failedAttempts) {
                events.add("recovered");
              }
            })
        .bind(balancer);
  }

  private List<String> ids() {
    return balancer.endpoints().stream().map(Endpoint::id).toList();
  }

  private static Duration await(BooleanSupplier condition, Supplier<String> state) {
    long start = System.nanoTime();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - start > WAIT.toNanos()) {
        throw new AssertionError("not within " + WAIT + "; state: " + state.get());
      }
      LockSupport.parkNanos(5_000_000L);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Test
  void registeredAndUnregisteredInstances_membershipFollows() throws Exception {
    ServiceInstance<Details> a = register("a", 8001, 1);
    register("b", 8002, 1);
    try (DiscoveryBinding binding = bind()) {
      Duration first = await(() -> ids().equals(List.of("a", "b")), () -> ids() + " " + binding);

      register("c", 8003, 3);
      Duration added =
          await(() -> ids().equals(List.of("a", "b", "c")), () -> ids() + " " + binding);
      Endpoint c = balancer.endpoints().get(2);
      assertThat(c.port()).isEqualTo(8003);
      assertThat(c.weight()).isEqualTo(3);
      assertThat(c.zone()).isEqualTo("z1");

      registrar.unregisterService(a);
      Duration removed = await(() -> ids().equals(List.of("b", "c")), () -> ids() + " " + binding);
      assertThat(binding.status().isHealthy()).isTrue();
      System.out.printf(
          "zookeeper: first set %d ms, registration followed %d ms, unregistration %d ms%n",
          first.toMillis(), added.toMillis(), removed.toMillis());
    }
  }

  @Test
  void serverStoppedAndRestarted_keepsLastKnownSet_thenResynchronises() throws Exception {
    register("a", 8001, 1);
    register("b", 8002, 1);
    try (DiscoveryBinding binding = bind()) {
      await(() -> ids().equals(List.of("a", "b")), () -> ids() + " " + binding);

      server.stop();
      Duration noticed =
          await(() -> binding.status().consecutiveFailures() > 0, () -> binding.toString());
      assertThat(ids()).containsExactly("a", "b");
      await(() -> events.contains("failed kept 2"), events::toString);

      server.restart();
      Duration recovered =
          await(() -> binding.status().isHealthy(), () -> binding.toString() + " " + events);
      await(() -> events.contains("recovered"), events::toString);
      // On reconnection Curator's registrar re-registers its instances (delete, then create), so
      // the set may miss one for a moment before the watch brings it back: wait for the full set.
      Duration resynchronised =
          await(() -> ids().equals(List.of("a", "b")), () -> ids() + " " + binding);

      register("c", 8003, 1);
      Duration resynced =
          await(() -> ids().equals(List.of("a", "b", "c")), () -> ids() + " " + binding);
      System.out.printf(
          "zookeeper: outage noticed %d ms, recovered %d ms after restart, full set %d ms later,"
              + " then a registration followed in %d ms%n",
          noticed.toMillis(), recovered.toMillis(), resynchronised.toMillis(), resynced.toMillis());
    }
  }
}
