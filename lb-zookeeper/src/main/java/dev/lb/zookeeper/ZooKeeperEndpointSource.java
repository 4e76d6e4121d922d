package dev.lb.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lb.Endpoint;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSink;
import dev.lb.discovery.EndpointSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.ServiceCacheListener;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from Apache Curator service discovery: the instances of one service registered under a
 * base path in ZooKeeper (as {@code ServiceDiscovery.registerService} writes them), watched live.
 *
 * <pre>{@code
 * CuratorFramework client = CuratorFrameworkFactory.newClient("zk1:2181,zk2:2181",
 *     new ExponentialBackoffRetry(1000, 3));
 * client.start();
 * EndpointSource users = ZooKeeperEndpointSource.builder(client, "/services", "users").build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(users, balancer);
 * }</pre>
 *
 * <h2>How an instance becomes an endpoint</h2>
 *
 * <p>id = the instance id, host = its address, port = its port ({@link Builder#useSslPort(boolean)
 * or its SSL port}). Instances that are disabled ({@code enabled: false}) or lack an address or
 * port are left out. If the payload is a JSON object (a {@code Map}, or any class Jackson writes as
 * an object), these fields of it are read: {@code weight} (a positive integer), {@code zone},
 * {@code priority} (0 or more), {@code backup} (boolean), and {@code metadata} (an object whose
 * values become strings). Other payload fields are ignored, and the payload's class need not be on
 * this class path: instances are read as JSON trees. An instance whose payload has an invalid value
 * (weight 0, say) is left out and logged, so one bad registration cannot block the others.
 *
 * <h2>Watching, and losing ZooKeeper</h2>
 *
 * <p>A Curator {@link ServiceCache} watches the service's path; every change delivers the complete
 * set, sorted by id. When the connection is suspended or lost, the source reports a failure and the
 * {@link DiscoveryBinding} keeps the last known set (instances do not vanish because ZooKeeper is
 * unreachable). On reconnection the source reads the instances afresh and delivers them, which
 * resynchronises whatever changed meanwhile.
 *
 * <p>All deliveries run on one thread of the source's own ({@code lb-zookeeper-<service>}), so the
 * sink is never called concurrently. The Curator client is the caller's: the source neither starts
 * nor closes it. Unregistering every instance yields an empty set, which a binding rejects unless
 * it {@link DiscoveryBinding.Builder#allowEmpty allows empty sets}.
 *
 * <p>Thread-safe.
 */
public final class ZooKeeperEndpointSource implements EndpointSource {
  private static final System.Logger LOGGER =
      System.getLogger(ZooKeeperEndpointSource.class.getName());

  private final CuratorFramework client;
  private final String basePath;
  private final String serviceName;
  private final boolean useSslPort;
  private final ExecutorService executor;
  private final Object lock = new Object();
  private @Nullable EndpointSink sink;
  private @Nullable ServiceDiscovery<JsonNode> discovery;
  private @Nullable ServiceCache<JsonNode> cache;
  private boolean connected = true;
  private boolean closed;

  private ZooKeeperEndpointSource(Builder b) {
    this.client = b.client;
    this.basePath = b.basePath;
    this.serviceName = b.serviceName;
    this.useSslPort = b.useSslPort;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "lb-zookeeper-" + serviceName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Returns a builder for the instances of {@code serviceName} under {@code basePath}.
   *
   * @param client a Curator client, started or to be started by the caller; must not be null
   * @param basePath the base path given to {@code ServiceDiscoveryBuilder.basePath}, such as {@code
   *     /services}
   * @param serviceName the service's name, as in {@code ServiceInstance.getName()}
   * @return a new builder
   * @throws NullPointerException if {@code client}, {@code basePath} or {@code serviceName} is null
   * @throws IllegalArgumentException if {@code basePath} does not start with {@code /}, or {@code
   *     serviceName} is blank
   */
  public static Builder builder(CuratorFramework client, String basePath, String serviceName) {
    return new Builder(client, basePath, serviceName);
  }

  @Override
  public String name() {
    return "zookeeper:" + basePath + "/" + serviceName;
  }

  @Override
  public void start(EndpointSink sink) {
    Objects.requireNonNull(sink, "sink must not be null");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("source " + name() + " is closed");
      }
      if (this.sink != null) {
        throw new IllegalStateException("source " + name() + " was already started");
      }
      this.sink = sink;
    }
    submit(this::open);
  }

  /** Runs on the source's thread: starts discovery and the cache, delivers the first set. */
  private void open() {
    ServiceDiscovery<JsonNode> d =
        ServiceDiscoveryBuilder.builder(JsonNode.class)
            .client(client)
            .basePath(basePath)
            .serializer(new InstanceTreeSerializer())
            .watchInstances(false)
            .build();
    ServiceCache<JsonNode> c = d.serviceCacheBuilder().name(serviceName).build();
    synchronized (lock) {
      if (closed) {
        return;
      }
      discovery = d;
      cache = c;
    }
    c.addListener(
        new ServiceCacheListener() {
          @Override
          public void cacheChanged() {
            if (isConnected()) {
              deliver(c.getInstances());
            }
          }

          @Override
          public void stateChanged(CuratorFramework ignored, ConnectionState state) {
            onConnectionState(state);
          }
        },
        executor);
    try {
      d.start();
      c.start(); // waits for the cache's first load
      deliver(c.getInstances());
    } catch (Exception e) {
      fail(e);
      // The cache retries by itself once ZooKeeper answers; its change event delivers the set.
    }
  }

  /** Runs on the source's thread (the cache listener's executor). */
  private void onConnectionState(ConnectionState state) {
    if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
      synchronized (lock) {
        connected = false;
      }
      fail(
          new IOException(
              "ZooKeeper connection " + state + "; keeping the last known endpoints of " + name()));
    } else if (state.isConnected()) {
      synchronized (lock) {
        connected = true;
      }
      ServiceDiscovery<JsonNode> d = discovery;
      if (d == null) {
        return;
      }
      try {
        // Read afresh: the cache may not report a change if nothing changed while away, and the
        // failure streak must still end.
        deliver(d.queryForInstances(serviceName));
      } catch (Exception e) {
        fail(e);
      }
    }
  }

  private boolean isConnected() {
    synchronized (lock) {
      return connected && !closed;
    }
  }

  private void deliver(Collection<ServiceInstance<JsonNode>> instances) {
    EndpointSink s = sinkIfOpen();
    if (s == null) {
      return;
    }
    List<Endpoint> endpoints = new ArrayList<>(instances.size());
    for (ServiceInstance<JsonNode> instance : instances) {
      Endpoint e;
      try {
        e = toEndpoint(instance, useSslPort);
      } catch (IllegalArgumentException ex) {
        LOGGER.log(
            System.Logger.Level.WARNING,
            "ignoring instance " + instance.getId() + " of " + name() + ": " + ex.getMessage());
        continue;
      }
      if (e != null) {
        endpoints.add(e);
      }
    }
    endpoints.sort(Comparator.comparing(Endpoint::id));
    s.update(endpoints);
  }

  private void fail(Exception e) {
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      s.fail(e);
    }
  }

  private @Nullable EndpointSink sinkIfOpen() {
    synchronized (lock) {
      return closed ? null : sink;
    }
  }

  private void submit(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /**
   * Maps one instance; null if it is disabled or has no address or port.
   *
   * @throws IllegalArgumentException if its payload holds an invalid value
   */
  static @Nullable Endpoint toEndpoint(ServiceInstance<JsonNode> instance, boolean useSslPort) {
    Integer port = useSslPort ? instance.getSslPort() : instance.getPort();
    String address = instance.getAddress();
    if (!instance.isEnabled() || port == null || address == null || address.isBlank()) {
      return null;
    }
    Endpoint.Builder b = Endpoint.builder(address, port);
    String id = instance.getId();
    if (id != null && !id.isBlank()) {
      b.id(id);
    }
    JsonNode payload = instance.getPayload();
    if (payload != null && payload.isObject()) {
      JsonNode weight = payload.get("weight");
      if (weight != null && !weight.isNull()) {
        b.weight(intValue(weight, "weight"));
      }
      JsonNode zone = payload.get("zone");
      if (zone != null && !zone.isNull()) {
        b.zone(zone.asText());
      }
      JsonNode priority = payload.get("priority");
      if (priority != null && !priority.isNull()) {
        b.priority(intValue(priority, "priority"));
      }
      JsonNode backup = payload.get("backup");
      if (backup != null && !backup.isNull()) {
        if (!backup.isBoolean()) {
          throw new IllegalArgumentException("backup must be true or false but was " + backup);
        }
        b.backup(backup.booleanValue());
      }
      JsonNode metadata = payload.get("metadata");
      if (metadata != null && metadata.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> entry = it.next();
          b.metadata(entry.getKey(), entry.getValue().asText());
        }
      }
    }
    return b.build();
  }

  private static int intValue(JsonNode node, String option) {
    if (node.canConvertToInt() && node.isIntegralNumber()) {
      return node.intValue();
    }
    if (node.isTextual()) {
      try {
        return Integer.parseInt(node.textValue().strip());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw new IllegalArgumentException(option + " must be an integer but was " + node);
  }

  /** Stops watching and closes the discovery and cache this source made; not the client. */
  @Override
  public void close() {
    ServiceCache<JsonNode> c;
    ServiceDiscovery<JsonNode> d;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      c = cache;
      d = discovery;
    }
    closeQuietly(c);
    closeQuietly(d);
    executor.shutdownNow();
  }

  private static void closeQuietly(@Nullable AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      LOGGER.log(System.Logger.Level.DEBUG, "closing " + closeable + " failed", e);
    }
  }

  @Override
  public String toString() {
    return "ZooKeeperEndpointSource{" + name() + '}';
  }

  /** Builds a {@link ZooKeeperEndpointSource}. Not thread-safe. */
  public static final class Builder {
    private final CuratorFramework client;
    private final String basePath;
    private final String serviceName;
    private boolean useSslPort;

    private Builder(
        @Nullable CuratorFramework client,
        @Nullable String basePath,
        @Nullable String serviceName) {
      Objects.requireNonNull(client, "client must not be null");
      Objects.requireNonNull(basePath, "basePath must not be null");
      Objects.requireNonNull(serviceName, "serviceName must not be null");
      if (!basePath.startsWith("/")) {
        throw new IllegalArgumentException(
            "basePath must start with '/' but was '" + basePath + "'");
      }
      if (serviceName.isBlank()) {
        throw new IllegalArgumentException(
            "serviceName must not be blank but was '" + serviceName + "'");
      }
      this.client = client;
      this.basePath = basePath;
      this.serviceName = serviceName;
    }

    /**
     * Whether endpoints take each instance's SSL port instead of its port; instances without one
     * are then left out. Defaults to false.
     *
     * @param useSslPort true to use {@code ServiceInstance.getSslPort()}
     * @return this builder
     */
    public Builder useSslPort(boolean useSslPort) {
      this.useSslPort = useSslPort;
      return this;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     */
    public ZooKeeperEndpointSource build() {
      return new ZooKeeperEndpointSource(this);
    }
  }
}
