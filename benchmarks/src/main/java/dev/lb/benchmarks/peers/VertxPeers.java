package dev.lb.benchmarks.peers;

import dev.lb.benchmarks.Backends;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.endpoint.InteractionMetrics;
import io.vertx.core.net.endpoint.LoadBalancer;
import io.vertx.core.net.endpoint.ServerEndpoint;
import io.vertx.core.net.endpoint.ServerInteraction;
import io.vertx.core.net.endpoint.ServerSelector;
import java.util.ArrayList;
import java.util.List;

/**
 * Vert.x 5's endpoint {@link LoadBalancer}s ({@code io.vertx.core.net.endpoint}), used directly: a
 * {@link ServerSelector} over server endpoints whose metrics come from the balancer's own {@link
 * LoadBalancer#newMetrics()}, as Vert.x's endpoint resolver wires them. Release reports one
 * request's begin and end on those metrics, which is what least-requests and power-of-two-choices
 * count.
 */
final class VertxPeers {
  private VertxPeers() {}

  /**
   * A pick-and-release target over {@code n} servers.
   *
   * @param balancer one of Vert.x's balancers
   * @param n the number of servers
   */
  static PickTarget pickTarget(LoadBalancer balancer, int n) {
    List<Server> servers = servers(balancer, n);
    ServerSelector selector = balancer.selector(servers);
    return PickTarget.of(
        () -> servers.get(selector.select()),
        latencyNanos -> {
          Server chosen = servers.get(selector.select());
          chosen.complete();
          return chosen;
        });
  }

  /**
   * A consistent-hashing lookup target; Vert.x hashes the string key itself.
   *
   * @param n the number of servers
   */
  static KeyedTarget consistentHash(int n, int keyCount) {
    List<Server> servers = servers(LoadBalancer.CONSISTENT_HASHING, n);
    ServerSelector selector = LoadBalancer.CONSISTENT_HASHING.selector(servers);
    String[] keys = Backends.stringKeys(keyCount);
    return keyIndex -> servers.get(selector.select(keys[keyIndex]));
  }

  private static List<Server> servers(LoadBalancer balancer, int n) {
    List<Server> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new Server(Backends.host(i), balancer.newMetrics()));
    }
    return List.copyOf(list);
  }

  private static final class Server implements ServerEndpoint {
    private final String key;
    private final SocketAddress address;
    private final InteractionMetrics<?> metrics;

    Server(String host, InteractionMetrics<?> metrics) {
      this.key = host + ":8080";
      this.address = SocketAddress.inetSocketAddress(8080, host);
      this.metrics = metrics;
    }

    void complete() {
      complete(metrics);
    }

    private static <M> void complete(InteractionMetrics<M> metrics) {
      M m = metrics.initiateRequest();
      metrics.reportRequestBegin(m);
      metrics.reportRequestEnd(m);
      metrics.reportResponseBegin(m);
      metrics.reportResponseEnd(m);
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public SocketAddress address() {
      return address;
    }

    @Override
    public ServerInteraction newInteraction() {
      throw new UnsupportedOperationException("benchmarks report through the metrics directly");
    }

    @Override
    public InteractionMetrics<?> metrics() {
      return metrics;
    }

    @Override
    public Object unwrap() {
      return this;
    }
  }
}
