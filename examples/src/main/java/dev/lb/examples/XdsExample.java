package dev.lb.examples;

import com.google.protobuf.UInt32Value;
import com.sun.net.httpserver.HttpServer;
import dev.lb.LoadBalancer;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import dev.lb.xds.XdsBootstrap;
import dev.lb.xds.XdsCluster;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An xDS-driven client, runnable: Envoy's java-control-plane serves ADS in process on the loopback
 * address, three tiny HTTP servers are the backends, and an OkHttp client balances {@code
 * http://users/...} over the endpoints of the control plane's cluster {@code users}, configured by
 * a gRPC bootstrap. Then the control plane publishes a new snapshot (another backend, locality
 * weights, and ring hash instead of round robin) and the client follows it: the example prints
 * where calls went before and after, the strategy in force, and how long the change took to reach
 * the calls. A third snapshot drops a quarter of the calls ({@code drop_overloads}), and the
 * example counts the calls that failed as dropped.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.lb.examples.XdsExample
 * </pre>
 */
public final class XdsExample {
  private static final String GROUP = "example";

  private XdsExample() {}

  /**
   * Runs the example and prints what happened.
   *
   * @param args ignored
   * @throws Exception if a local server cannot start or a call fails
   */
  public static void main(String[] args) throws Exception {
    List<HttpServer> backends = new ArrayList<>();
    SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    // The server's own executor, shut down and awaited at the end: gRPC's shared one would still be
    // running the closed stream's listeners when main returns.
    ExecutorService serverExecutor = Executors.newCachedThreadPool();
    Server controlPlane =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .executor(serverExecutor)
            .addService(new V3DiscoveryServer(cache).getAggregatedDiscoveryServiceImpl())
            .build()
            .start();
    try {
      int a = backend(backends, "users-a");
      int b = backend(backends, "users-b");
      int c = backend(backends, "users-c");

      // 1. The control plane: cluster "users" (EDS, round robin), endpoints a and b in zone z1.
      cache.setSnapshot(
          GROUP,
          Snapshot.create(
              List.of(cluster(Cluster.LbPolicy.ROUND_ROBIN)),
              List.of(assignment(locality("z1", 1, a, b))),
              List.of(),
              List.of(),
              List.of(),
              "1"));

      // 2. The client: a gRPC bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG's format; fromEnvironment()
      //    reads it from there), the cluster, and an OkHttp client over a balancer it feeds.
      XdsBootstrap bootstrap =
          XdsBootstrap.parse(
              """
              {
                "xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}]}],
                "node": {"id": "example-client", "cluster": "checkout"}
              }
              """
                  .formatted(controlPlane.getPort()));
      try (XdsCluster users = XdsCluster.builder(bootstrap, "users").build()) {
        LoadBalancer balancer = users.newBalancer();
        OkHttpClient client =
            LoadBalancingInterceptor.builder()
                .service(Service.of("users", balancer))
                .build()
                .newClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (balancer.endpoints().isEmpty()) {
          check(deadline, "the first endpoints"); // they arrive within milliseconds
          Thread.onSpinWait();
        }
        System.out.println("strategy: " + balancer.stats().strategyName());
        System.out.println("calls: " + calls(client, 12));

        // 3. A new snapshot: backend c joins in zone z2 (locality weights 1 : 2), ring hash.
        long start = System.nanoTime();
        cache.setSnapshot(
            GROUP,
            Snapshot.create(
                List.of(cluster(Cluster.LbPolicy.RING_HASH)),
                List.of(assignment(locality("z1", 1, a, b), locality("z2", 2, c))),
                List.of(),
                List.of(),
                List.of(),
                "2"));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!call(client).equals("users-c")) {
          check(deadline, "a call to users-c"); // calls go to a and b until snapshot 2 arrives
        }
        System.out.printf(
            "snapshot 2 reached the calls in %.1f ms%n", (System.nanoTime() - start) / 1e6);
        System.out.println("strategy: " + balancer.stats().strategyName());
        System.out.println("policy: " + users.clusterPolicy());
        System.out.println("calls: " + calls(client, 12));

        // 4. The control plane sheds a quarter of the calls (EDS drop_overloads, category
        //    "throttle"): dropped calls fail at once, before any backend is asked.
        ClusterLoadAssignment shedding =
            assignment(locality("z1", 1, a, b), locality("z2", 2, c)).toBuilder()
                .setPolicy(
                    ClusterLoadAssignment.Policy.newBuilder()
                        .addDropOverloads(
                            ClusterLoadAssignment.Policy.DropOverload.newBuilder()
                                .setCategory("throttle")
                                .setDropPercentage(
                                    FractionalPercent.newBuilder()
                                        .setNumerator(25)
                                        .setDenominator(
                                            FractionalPercent.DenominatorType.HUNDRED))))
                .build();
        cache.setSnapshot(
            GROUP,
            Snapshot.create(
                List.of(cluster(Cluster.LbPolicy.RING_HASH)),
                List.of(shedding),
                List.of(),
                List.of(),
                List.of(),
                "3"));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (users.trafficPolicy().drops().isEmpty()) {
          check(deadline, "the drops of snapshot 3");
          Thread.onSpinWait();
        }
        int dropped = 0;
        for (int i = 0; i < 400; i++) {
          try {
            call(client);
          } catch (IOException e) {
            dropped++; // "balancer 'users' dropped the call: drop category 'throttle' ..."
          }
        }
        System.out.println("drops: " + users.trafficPolicy().drops());
        System.out.println("dropped " + dropped + " of 400 calls");
        balancer.close();
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
      }
    } finally {
      for (HttpServer s : backends) {
        s.stop(0);
      }
      controlPlane.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      serverExecutor.shutdown();
      serverExecutor.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void check(long deadline, String what) {
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException("no " + what + " within 10 s");
    }
  }

  private static Cluster cluster(Cluster.LbPolicy policy) {
    return Cluster.newBuilder()
        .setName("users")
        .setType(Cluster.DiscoveryType.EDS)
        .setLbPolicy(policy)
        .setEdsClusterConfig(
            Cluster.EdsClusterConfig.newBuilder()
                .setServiceName("users")
                .setEdsConfig(
                    ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .build();
  }

  private static LocalityLbEndpoints locality(String zone, int weight, int... ports) {
    LocalityLbEndpoints.Builder l =
        LocalityLbEndpoints.newBuilder()
            .setLocality(Locality.newBuilder().setZone(zone))
            .setLoadBalancingWeight(UInt32Value.of(weight));
    for (int port : ports) {
      l.addLbEndpoints(
          LbEndpoint.newBuilder()
              .setEndpoint(
                  io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                      .setAddress(
                          Address.newBuilder()
                              .setSocketAddress(
                                  SocketAddress.newBuilder()
                                      .setAddress("127.0.0.1")
                                      .setPortValue(port)))));
    }
    return l.build();
  }

  private static ClusterLoadAssignment assignment(LocalityLbEndpoints... localities) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName("users")
        .addAllEndpoints(List.of(localities))
        .build();
  }

  private static Map<String, Integer> calls(OkHttpClient client, int n) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(call(client), 1, Integer::sum);
    }
    return counts;
  }

  private static String call(OkHttpClient client) throws IOException {
    try (Response r =
        client.newCall(new Request.Builder().url("http://users/who").build()).execute()) {
      return r.body().string();
    }
  }

  private static int backend(List<HttpServer> servers, String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.createContext(
        "/",
        exchange -> {
          byte[] body = name.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    s.start();
    servers.add(s);
    return s.getAddress().getPort();
  }
}
