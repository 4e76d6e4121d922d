package dev.lb.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Envoy's java-control-plane serving ADS on 127.0.0.1 (an ephemeral port) from a SimpleCache in one
 * group: tests set snapshots on it. Stopped by {@link #close()}.
 */
final class ControlPlane {
  static final String GROUP = "lb-test";

  final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
  private final Server server;

  ControlPlane() throws IOException {
    DiscoveryServerCallbacks callbacks =
        new DiscoveryServerCallbacks() {
          @Override
          public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            requests.add(request);
          }

          @Override
          public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}
        };
    V3DiscoveryServer xds = new V3DiscoveryServer(callbacks, cache);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(xds.getAggregatedDiscoveryServiceImpl())
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  String target() {
    return "127.0.0.1:" + port();
  }

  void snapshot(String version, List<Cluster> clusters, List<ClusterLoadAssignment> assignments) {
    snapshot(version, clusters, assignments, List.of());
  }

  void snapshot(
      String version,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> assignments,
      List<Listener> listeners) {
    cache.setSnapshot(
        GROUP, Snapshot.create(clusters, assignments, listeners, List.of(), List.of(), version));
  }

  void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
