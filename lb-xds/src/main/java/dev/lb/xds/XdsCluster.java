package dev.lb.xds;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.SwitchableStrategy;
import dev.lb.TrafficPolicy;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.DiscoveryListener;
import dev.lb.discovery.DiscoveryStatus;
import dev.lb.strategy.Strategies;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One xDS cluster, watched once, feeding any number of consumers: lb balancers (for lb-okhttp's
 * {@code Service}, or direct use) and lb-grpc's {@code EndpointRegistry} groups behind {@code
 * lb:///NAME} targets. It runs one {@link XdsEndpointSource} with a {@link SwitchableStrategy} that
 * follows the cluster's CDS policy and a {@link TrafficPolicy} that follows its EDS assignment's
 * drops and overprovisioning factor, and hands all three to the adapters.
 *
 * <pre>{@code
 * XdsBootstrap bootstrap = XdsBootstrap.fromEnvironment();
 * XdsCluster users = XdsCluster.builder(bootstrap, "users").build();
 *
 * // lb-okhttp: a Service over a balancer that the cluster feeds
 * LoadBalancingInterceptor lb = LoadBalancingInterceptor.builder()
 *     .service(Service.of("users", users.newBalancer()))
 *     .build();
 *
 * // lb-grpc: the cluster's endpoints as group "users", its policies as the channel's
 * users.subscribe(EndpointRegistry.global().updater("users"));
 * LoadBalancerRegistry.getDefaultRegistry()
 *     .register(
 *         new LbLoadBalancerProvider("lb_xds_users", users.strategy(), users.trafficPolicy()));
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("lb:///users")
 *     .defaultLoadBalancingPolicy("lb_xds_users").usePlaintext().build();
 * }</pre>
 *
 * <p>Every consumer gets every set the source delivers and the binding accepts (a failure or an
 * empty set keeps the last one, see {@link DiscoveryBinding}) that differs from the one before, on
 * the source's thread, in order; a new consumer gets the current set at once. Balancers built by
 * {@link #newBalancer} use {@link #strategy()} and {@link #trafficPolicy()}, so a CDS policy change
 * switches all of them and an EDS drop or factor change reaches all of them, and the client's zone
 * from the bootstrap. A balancer that was closed is dropped from the consumers on the next
 * delivery.
 *
 * <p>Thread-safe. Close the cluster to stop watching; it closes the ADS channel only if it opened
 * it ({@link #builder(XdsBootstrap, String)}).
 */
public final class XdsCluster implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(XdsCluster.class);

  private final String cluster;
  private final SwitchableStrategy strategy;
  private final TrafficPolicy trafficPolicy = TrafficPolicy.create();
  private final XdsEndpointSource source;
  private final @Nullable String localZone;
  private final @Nullable ManagedChannel ownedChannel;
  private final CopyOnWriteArrayList<Consumer<? super List<Endpoint>>> consumers =
      new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private final DiscoveryBinding binding;
  private volatile List<Endpoint> current = List.of();
  private volatile boolean known;

  private XdsCluster(Builder b) {
    this.cluster = b.cluster;
    this.strategy = SwitchableStrategy.of(Strategies.weightedRoundRobin());
    this.localZone = b.bootstrap == null ? null : b.bootstrap.localZone();
    this.ownedChannel = b.ownedChannel;
    XdsEndpointSource.Builder sb =
        XdsEndpointSource.builder(Objects.requireNonNull(b.channel), b.cluster);
    if (b.bootstrap != null) {
      sb.bootstrap(b.bootstrap);
    }
    sb.wildcardCds(b.wildcardCds)
        .reconnectBackoff(b.initialBackoff, b.maxBackoff)
        .strategy(strategy)
        .trafficPolicy(trafficPolicy);
    this.source = sb.build();
    DiscoveryBinding.Builder binder = DiscoveryBinding.builder(source);
    if (b.listener != null) {
      binder.listener(b.listener);
    }
    this.binding = binder.bind(this::deliver);
  }

  /**
   * Returns a builder for cluster {@code cluster} over the caller's channel to the ADS server.
   *
   * @param adsChannel the channel; must not be null; the caller closes it
   * @param cluster the CDS cluster's name; must not be null or blank
   * @return a new builder
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code cluster} is blank
   */
  public static Builder builder(Channel adsChannel, String cluster) {
    return new Builder(
        Objects.requireNonNull(adsChannel, "adsChannel must not be null"), cluster, null);
  }

  /**
   * Returns a builder for cluster {@code cluster} of the control plane a bootstrap names: the
   * cluster opens its channel ({@link XdsBootstrap#newChannel()}, through the gRPC transport on the
   * class path) and closes it, and takes the node and server features from it ({@link
   * XdsEndpointSource.Builder#bootstrap}).
   *
   * @param bootstrap the bootstrap; must not be null
   * @param cluster the CDS cluster's name; must not be null or blank
   * @return a new builder
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code cluster} is blank
   */
  public static Builder builder(XdsBootstrap bootstrap, String cluster) {
    Objects.requireNonNull(bootstrap, "bootstrap must not be null");
    return new Builder(null, cluster, bootstrap);
  }

  private void deliver(List<Endpoint> endpoints) {
    synchronized (lock) {
      if (known && endpoints.equals(current)) {
        return; // a CDS response re-delivers the same assignment: nothing for the consumers
      }
      current = endpoints;
      known = true;
      for (Consumer<? super List<Endpoint>> c : consumers) {
        offer(c, endpoints);
      }
    }
  }

  private void offer(Consumer<? super List<Endpoint>> consumer, List<Endpoint> endpoints) {
    try {
      consumer.accept(endpoints);
    } catch (IllegalStateException e) {
      // A closed balancer: it takes no more sets.
      LOGGER.debug("xds:{}: dropping a consumer that refused a set: {}", cluster, e.getMessage());
      consumers.remove(consumer);
    } catch (RuntimeException e) {
      LOGGER.warn(
          "xds:{}: a consumer failed to take a set of {} endpoints", cluster, endpoints.size(), e);
    }
  }

  /**
   * Adds a consumer of the cluster's endpoint sets, such as {@code
   * EndpointRegistry.global().updater("users")}; it gets the current set at once if one is known.
   * It must be fast and must not block: it runs on the source's thread.
   *
   * @param consumer takes each complete, accepted set; must not be null
   * @return a handle whose {@code close()} removes the consumer
   * @throws NullPointerException if {@code consumer} is null
   */
  public AutoCloseable subscribe(Consumer<? super List<Endpoint>> consumer) {
    Objects.requireNonNull(consumer, "consumer must not be null");
    synchronized (lock) {
      consumers.add(consumer);
      if (known) {
        offer(consumer, current);
      }
    }
    return () -> consumers.remove(consumer);
  }

  /**
   * Builds a balancer fed by this cluster, with lb's defaults for everything else.
   *
   * @return a new balancer, named after the cluster
   */
  public LoadBalancer newBalancer() {
    return newBalancer(LoadBalancer.builder().name(cluster));
  }

  /**
   * Builds a balancer fed by this cluster from {@code builder}, after setting its strategy to
   * {@link #strategy()}, its traffic policy to {@link #trafficPolicy()} and, when the bootstrap
   * names the client's zone, its {@linkplain LoadBalancer.Builder#localZone local zone}. The
   * balancer starts with the current set and follows every later one; close it before (or after)
   * the cluster.
   *
   * @param builder the balancer's other options (health checks, outlier detection...); must not be
   *     null
   * @return the new balancer
   * @throws NullPointerException if {@code builder} is null
   * @throws IllegalArgumentException if the builder's options refuse the current strategy (slow
   *     start with a hash policy), or set an overprovisioning factor (the cluster's traffic policy
   *     sets it)
   */
  public LoadBalancer newBalancer(LoadBalancer.Builder builder) {
    Objects.requireNonNull(builder, "builder must not be null");
    builder.strategy(strategy).trafficPolicy(trafficPolicy);
    if (localZone != null) {
      builder.localZone(localZone);
    }
    synchronized (lock) {
      LoadBalancer balancer = builder.endpoints(current).build();
      consumers.add(balancer::setEndpoints);
      return balancer;
    }
  }

  /**
   * The strategy that follows the cluster's policy, for balancers built elsewhere (lb-grpc's {@code
   * LbLoadBalancerProvider(name, strategy)}).
   *
   * @return the switchable strategy, starting as {@code weighted_round_robin}
   */
  public SwitchableStrategy strategy() {
    return strategy;
  }

  /**
   * The traffic policy that follows the cluster's EDS assignment (its {@code drop_overloads} and
   * overprovisioning factor), for balancers built elsewhere (lb-grpc's {@code
   * LbLoadBalancerProvider(name, strategy, trafficPolicy)}).
   *
   * @return the traffic policy, dropping nothing with factor 1.4 before the first assignment
   */
  public TrafficPolicy trafficPolicy() {
    return trafficPolicy;
  }

  /**
   * The source watching the cluster.
   *
   * @return the running source
   */
  public XdsEndpointSource source() {
    return source;
  }

  /**
   * How discovery is doing: failures, the last error, NACKs.
   *
   * @return the binding's current status
   */
  public DiscoveryStatus status() {
    return binding.status();
  }

  /**
   * The endpoints last accepted.
   *
   * @return an immutable list, empty before the first set
   */
  public List<Endpoint> endpoints() {
    return current;
  }

  /**
   * The cluster's policy as last applied.
   *
   * @return the policy, or null before the first set
   */
  public @Nullable XdsClusterPolicy clusterPolicy() {
    return source.clusterPolicy();
  }

  /**
   * Stops watching (consumers keep their last set); closes the channel if this cluster opened it.
   */
  @Override
  public void close() {
    binding.close();
    ManagedChannel c = ownedChannel;
    if (c != null) {
      c.shutdown();
      try {
        if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "XdsCluster{" + cluster + ", " + current.size() + " endpoints, " + strategy + '}';
  }

  /** Builds and starts an {@link XdsCluster}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable Channel givenChannel;
    private final String cluster;
    private @Nullable XdsBootstrap bootstrap;
    private boolean wildcardCds;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private @Nullable DiscoveryListener listener;

    // Set by build().
    private @Nullable Channel channel;
    private @Nullable ManagedChannel ownedChannel;

    private Builder(
        @Nullable Channel channel, @Nullable String cluster, @Nullable XdsBootstrap bootstrap) {
      Objects.requireNonNull(cluster, "cluster must not be null");
      if (cluster.isBlank()) {
        throw new IllegalArgumentException("cluster must not be blank but was '" + cluster + "'");
      }
      this.givenChannel = channel;
      this.channel = channel;
      this.cluster = cluster;
      this.bootstrap = bootstrap;
    }

    /**
     * Takes the node, the server features and the client's zone from a bootstrap, over the given
     * channel.
     *
     * @param bootstrap the bootstrap; must not be null
     * @return this builder
     * @throws NullPointerException if {@code bootstrap} is null
     */
    public Builder bootstrap(XdsBootstrap bootstrap) {
      this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap must not be null");
      return this;
    }

    /**
     * See {@link XdsEndpointSource.Builder#wildcardCds}.
     *
     * @param wildcard true to subscribe to every cluster
     * @return this builder
     */
    public Builder wildcardCds(boolean wildcard) {
      this.wildcardCds = wildcard;
      return this;
    }

    /**
     * See {@link XdsEndpointSource.Builder#reconnectBackoff}.
     *
     * @param initial positive; must not be null
     * @param max at least {@code initial}; must not be null
     * @return this builder
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if out of range
     */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      Backoff.check(initial, max);
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * A listener of the binding's updates and failures.
     *
     * @param listener the listener; must not be null
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(DiscoveryListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener must not be null");
      return this;
    }

    /**
     * Starts watching the cluster.
     *
     * @return the running cluster
     */
    public XdsCluster build() {
      if (givenChannel == null) {
        ownedChannel = Objects.requireNonNull(bootstrap).newChannel();
        channel = ownedChannel;
      }
      try {
        return new XdsCluster(this);
      } catch (RuntimeException e) {
        if (ownedChannel != null) {
          ownedChannel.shutdownNow();
        }
        throw e;
      }
    }
  }
}
