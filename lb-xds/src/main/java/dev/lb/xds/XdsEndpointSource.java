package dev.lb.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import dev.lb.Endpoint;
import dev.lb.SwitchableStrategy;
import dev.lb.TrafficPolicy;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSink;
import dev.lb.discovery.EndpointSource;
import dev.lb.strategy.Strategy;
import dev.lb.xds.ClusterMapping.ClusterConfig;
import dev.lb.xds.PolicyMapping.PolicySpec;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints from an xDS control plane (Envoy's java-control-plane, Istio, Traffic Director...): one
 * cluster's CDS and EDS resources, watched over one aggregated discovery stream (ADS, state of the
 * world, xDS v3).
 *
 * <pre>{@code
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("xds-server:18000").usePlaintext().build();
 * XdsEndpointSource users = XdsEndpointSource.builder(channel, "users")
 *     .node(Node.newBuilder().setId("checkout-7f9c").setCluster("checkout").build())
 *     .build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(users, balancer);
 * }</pre>
 *
 * <h2>The protocol</h2>
 *
 * <p>The source opens {@code StreamAggregatedResources} on the given channel and subscribes to the
 * CDS {@code Cluster} of the given name; the cluster names the EDS {@code ClusterLoadAssignment} to
 * subscribe to next ({@code eds_cluster_config.service_name}, or the cluster's name), or carries
 * its endpoints inline ({@code STATIC} clusters). With {@link Builder#cds(boolean) cds(false)} it
 * subscribes to the EDS resource of that name directly. Every response is answered (xDS "ACK/NACK
 * and resource type instance version"): an ACK repeats the response's {@code version_info} and
 * {@code nonce}; a NACK sends the nonce with the version last accepted and an {@code error_detail}
 * ({@code INVALID_ARGUMENT}, with the reason), and the last good resources stay in use. A response
 * is NACKed whole when the subscribed resource in it is invalid (see {@link AssignmentMapping} and
 * {@link ClusterMapping} for the rules: missing addresses, ports out of range, zero weights,
 * duplicated addresses, gaps in priorities, unsupported cluster types); the NACK is also reported
 * to the sink, so the binding's {@link dev.lb.discovery.DiscoveryStatus} names it.
 *
 * <h2>How an assignment becomes endpoints</h2>
 *
 * <p>Each {@code lb_endpoint} that takes calls becomes one {@link Endpoint} of id {@code
 * address:port}: locality {@code zone} → {@link Endpoint#zone()} (region and sub-zone as metadata
 * {@code xds.region}, {@code xds.subZone}), locality {@code priority} → {@link
 * Endpoint#priority()}, {@code load_balancing_weight} (combined with the locality's weight when
 * every locality has one, as {@link AssignmentMapping#endpoints} explains) → {@link
 * Endpoint#weight()}. {@code HEALTHY} and {@code UNKNOWN} endpoints take calls; {@code DEGRADED}
 * ones are {@linkplain Endpoint#backup() backups} (metadata {@code xds.health=DEGRADED}), called
 * only while no primary endpoint can take calls; {@code UNHEALTHY}, {@code DRAINING} and {@code
 * TIMEOUT} ones leave the set, and the balancer drains them (no new calls, the calls in flight
 * finish within {@link dev.lb.LoadBalancer.Builder#removalDrainTimeout}).
 *
 * <h2>The cluster's load-balancing policy</h2>
 *
 * <p>The CDS cluster's {@code lb_policy} or typed {@code load_balancing_policy} is mapped to an lb
 * strategy by {@code PolicyMapping} (round robin → {@code weighted_round_robin}, least request →
 * {@code p2c} or N choices, ring hash and Maglev with their sizes, random, client-side weighted
 * round robin → {@code orca_weighted_round_robin}; the first supported policy of a typed list, as
 * gRPC chooses). With {@link Builder#strategy(SwitchableStrategy)}, the source switches that
 * strategy, and so every balancer built with it, before acknowledging the response, whenever the
 * policy changes; endpoints, their statistics and health stay. A policy no balancer can run (none
 * of the list supported, an invalid configuration, a hash policy under slow start) is NACKed and
 * the strategy in force stays. {@link #clusterPolicy()} reports the policy, the strategy, and the
 * assignment's overprovisioning factor and drops. With {@link Builder#trafficPolicy}, the source
 * sets both on that {@link TrafficPolicy}, and so on every balancer built with it, before it
 * delivers the endpoints of each accepted assignment: the balancers then drop each category's share
 * of calls ({@code drop_overloads}, drawn once per call in order, as gRPC does; a category with an
 * empty name is called {@code unnamed}) and route with the assignment's factor. Without one, the
 * application applies them.
 *
 * <h2>Removal, outages and restarts</h2>
 *
 * <p>In state-of-the-world CDS, a response without the subscribed cluster means it was removed (see
 * {@link Builder#wildcardCds} for control planes that send no response then): the source then
 * delivers the empty set (which a binding rejects, keeping the last set, unless it {@link
 * DiscoveryBinding.Builder#allowEmpty allows empty sets}) and reports the removal as a failure;
 * with {@link Builder#ignoreResourceDeletion} (gRFC A53's {@code ignore_resource_deletion}) it
 * keeps the endpoints and only reports. An EDS response without the assignment deletes nothing
 * (xDS: only LDS and CDS responses are complete). When the stream fails or the control plane goes
 * away, the source reports the failure (the binding keeps the last good set), reconnects with
 * gRPC's backoff ({@link Builder#reconnectBackoff}, reset once a response arrives), re-subscribes
 * with the versions it last accepted, and delivers the set the control plane sends afresh, which
 * ends the failure streak.
 *
 * <p>The node identity and the server's features can come from gRPC's bootstrap ({@link
 * Builder#bootstrap(XdsBootstrap)}). Not supported: the incremental (delta) protocol, LDS/RDS and
 * federation. The channel is the caller's: the source neither configures nor closes it ({@link
 * XdsCluster} opens and closes one from a bootstrap). Deliveries and policy switches run on one
 * thread of the source's own ({@code lb-xds-<cluster>}).
 *
 * <p>Thread-safe.
 */
public final class XdsEndpointSource implements EndpointSource {
  private static final Logger LOGGER = LoggerFactory.getLogger(XdsEndpointSource.class);

  /** The CDS resource type. */
  static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  /** The EDS resource type. */
  static final String ASSIGNMENT_TYPE =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private final Channel channel;
  private final String cluster;
  private final Node node;
  private final boolean useCds;
  private final boolean wildcardCds;
  private final boolean ignoreResourceDeletion;
  private final Backoff backoff;
  private final @Nullable SwitchableStrategy strategy;
  private final @Nullable TrafficPolicy trafficPolicy;
  private final ScheduledExecutorService executor;
  private final Object lock = new Object();
  private @Nullable EndpointSink sink;
  private @Nullable ClientCallStreamObserver<DiscoveryRequest> call;
  private boolean closed;
  private volatile @Nullable XdsClusterPolicy policy;

  // Confined to the executor's thread.
  private int generation;
  private @Nullable StreamObserver<DiscoveryRequest> requests;
  private final Map<String, String> acceptedVersions = new HashMap<>();
  private final Map<String, String> nonces = new HashMap<>();
  private @Nullable String edsName;
  private @Nullable String assignmentName;
  private List<Endpoint> assignmentEndpoints = List.of();
  private double overprovisioningFactor = 1.4;
  private Map<String, Double> drops = Map.of();
  private boolean clusterRemoved;
  private int attempts;
  private @Nullable PolicySpec appliedSpec;
  private Strategy appliedStrategy = PolicySpec.DEFAULT.strategy();

  private XdsEndpointSource(Builder b) {
    this.channel = b.channel;
    this.cluster = b.cluster;
    this.node = b.node;
    this.useCds = b.cds;
    this.wildcardCds = b.wildcardCds;
    this.ignoreResourceDeletion = b.ignoreResourceDeletion;
    this.backoff = new Backoff(b.initialBackoff.toNanos(), b.maxBackoff.toNanos());
    this.strategy = b.strategy;
    this.trafficPolicy = b.trafficPolicy;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lb-xds-" + cluster);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Returns a builder for the endpoints of cluster {@code cluster}, read over {@code channel}.
   *
   * @param channel a channel to the control plane's ADS server; must not be null; the caller
   *     configures (plaintext or TLS, credentials) and closes it
   * @param cluster the CDS cluster's name (or, with {@code cds(false)}, the EDS resource's name)
   * @return a new builder
   * @throws NullPointerException if {@code channel} or {@code cluster} is null
   * @throws IllegalArgumentException if {@code cluster} is blank
   */
  public static Builder builder(Channel channel, String cluster) {
    return new Builder(channel, cluster);
  }

  @Override
  public String name() {
    return "xds:" + cluster;
  }

  /**
   * The cluster's balancing settings as last accepted from the control plane.
   *
   * @return the policy of the last set delivered, or null before the first one
   */
  public @Nullable XdsClusterPolicy clusterPolicy() {
    return policy;
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
    if (!useCds) {
      edsName = cluster;
    }
    submit(this::connect);
  }

  /** Runs on the source's thread: opens a stream and subscribes to what is known so far. */
  private void connect() {
    if (isClosed()) {
      return;
    }
    int gen = ++generation;
    nonces.clear();
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub =
        AggregatedDiscoveryServiceGrpc.newStub(channel);
    StreamObserver<DiscoveryRequest> out;
    try {
      out = stub.streamAggregatedResources(new Responses(gen));
    } catch (RuntimeException e) {
      onStreamClosed(e);
      return;
    }
    requests = out;
    if (useCds) {
      request(CLUSTER_TYPE, subscribedName(CLUSTER_TYPE), null);
    }
    String eds = edsName;
    if (eds != null) {
      request(ASSIGNMENT_TYPE, eds, null);
    }
  }

  /** Receives one stream's events and hands them to the source's thread. */
  private final class Responses
      implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
    private final int gen;

    Responses(int gen) {
      this.gen = gen;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
      synchronized (lock) {
        call = requestStream;
      }
    }

    @Override
    public void onNext(DiscoveryResponse response) {
      submit(
          () -> {
            if (gen == generation) {
              onResponse(response);
            }
          });
    }

    @Override
    public void onError(Throwable error) {
      submit(
          () -> {
            if (gen == generation) {
              onStreamClosed(error);
            }
          });
    }

    @Override
    public void onCompleted() {
      submit(
          () -> {
            if (gen == generation) {
              onStreamClosed(new IOException("the control plane ended the stream"));
            }
          });
    }
  }

  /** Runs on the source's thread: validates, answers (ACK or NACK) and applies one response. */
  private void onResponse(DiscoveryResponse response) {
    attempts = 0;
    String type = response.getTypeUrl();
    nonces.put(type, response.getNonce());
    LOGGER.debug(
        "{}: {} version {} ({} resources)",
        name(),
        type,
        response.getVersionInfo(),
        response.getResourcesCount());
    try {
      switch (type) {
        case CLUSTER_TYPE -> onClusters(response);
        case ASSIGNMENT_TYPE -> onAssignments(response);
        default ->
            throw new IllegalArgumentException("resource type " + type + " was not asked for");
      }
    } catch (IllegalArgumentException e) {
      nack(response, e.getMessage());
    } catch (InvalidProtocolBufferException e) {
      nack(response, "a resource cannot be decoded: " + e.getMessage());
    }
  }

  private void onClusters(DiscoveryResponse response) throws InvalidProtocolBufferException {
    ClusterConfig found = null;
    for (Any any : response.getResourcesList()) {
      Cluster c = unpack(any, CLUSTER_TYPE, Cluster.class);
      if (c.getName().equals(cluster)) {
        found = ClusterMapping.read(c);
      }
    }
    List<Endpoint> inline = null;
    double inlineFactor = 0;
    Map<String, Double> inlineDrops = Map.of();
    if (found != null && found.inlineAssignment() != null) {
      ClusterLoadAssignment assignment = found.inlineAssignment();
      inline = AssignmentMapping.endpoints(assignment);
      inlineFactor = AssignmentMapping.overprovisioningFactor(assignment);
      inlineDrops = AssignmentMapping.drops(assignment);
    }
    if (found != null) {
      applyPolicy(found.policy()); // a balancer that cannot run it NACKs the response
    }
    ack(response);
    if (found == null) {
      onClusterRemoved();
      return;
    }
    clusterRemoved = false;
    if (inline != null) {
      edsName = null;
      assignmentName = found.name();
      assignmentEndpoints = inline;
      overprovisioningFactor = inlineFactor;
      drops = inlineDrops;
      publish();
      return;
    }
    String eds = Objects.requireNonNull(found.edsServiceName());
    if (!eds.equals(edsName)) {
      edsName = eds;
      request(ASSIGNMENT_TYPE, eds, null);
    } else if (eds.equals(assignmentName)) {
      publish(); // the policy may have changed, or the cluster is back with its known endpoints
    }
  }

  private void onAssignments(DiscoveryResponse response) throws InvalidProtocolBufferException {
    String eds = edsName;
    List<Endpoint> found = null;
    double factor = 0;
    Map<String, Double> foundDrops = Map.of();
    for (Any any : response.getResourcesList()) {
      ClusterLoadAssignment assignment = unpack(any, ASSIGNMENT_TYPE, ClusterLoadAssignment.class);
      if (assignment.getClusterName().equals(eds)) {
        found = AssignmentMapping.endpoints(assignment);
        factor = AssignmentMapping.overprovisioningFactor(assignment);
        foundDrops = AssignmentMapping.drops(assignment);
      }
    }
    ack(response);
    if (found == null || eds == null) {
      return; // in EDS, an absent resource is not a deleted one
    }
    assignmentName = eds;
    assignmentEndpoints = found;
    overprovisioningFactor = factor;
    drops = foundDrops;
    publish();
  }

  private static <T extends com.google.protobuf.Message> T unpack(
      Any any, String type, Class<T> message) throws InvalidProtocolBufferException {
    if (!any.getTypeUrl().equals(type)) {
      throw new IllegalArgumentException(
          "a resource of type " + any.getTypeUrl() + " came in a response of type " + type);
    }
    return any.unpack(message);
  }

  private void onClusterRemoved() {
    if (clusterRemoved) {
      return;
    }
    IllegalStateException removal =
        new IllegalStateException(
            "source "
                + name()
                + ": the control plane removed cluster '"
                + cluster
                + "'"
                + (ignoreResourceDeletion
                    ? "; keeping its last endpoints (ignoreResourceDeletion)"
                    : ""));
    LOGGER.warn("{}", removal.getMessage());
    EndpointSink s = sinkIfOpen();
    if (s == null) {
      return;
    }
    if (!ignoreResourceDeletion) {
      clusterRemoved = true;
      s.update(List.of());
    }
    s.fail(removal);
  }

  /**
   * Switches the balancers' strategy to the one {@code spec} maps to, if it changed.
   *
   * @throws IllegalArgumentException if a balancer cannot run it (then nothing changed)
   */
  private void applyPolicy(PolicySpec spec) {
    if (spec.equals(appliedSpec)) {
      return;
    }
    Strategy next = spec.strategy();
    SwitchableStrategy s = strategy;
    if (s != null) {
      try {
        s.switchTo(next);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Cluster '"
                + cluster
                + "': policy "
                + spec.source()
                + " cannot be applied: "
                + e.getMessage(),
            e);
      }
    }
    LOGGER.info("{}: policy {} → strategy {}", name(), spec.source(), next);
    appliedSpec = spec;
    appliedStrategy = next;
  }

  private void publish() {
    if (clusterRemoved || assignmentName == null) {
      return;
    }
    if (!useCds) {
      applyPolicy(PolicySpec.DEFAULT);
    }
    PolicySpec spec = appliedSpec;
    policy =
        new XdsClusterPolicy(
            cluster,
            spec == null ? PolicySpec.DEFAULT : spec,
            appliedStrategy,
            overprovisioningFactor,
            drops);
    TrafficPolicy traffic = trafficPolicy;
    if (traffic != null) {
      List<TrafficPolicy.Drop> categories = new ArrayList<>(drops.size());
      drops.forEach(
          (category, fraction) ->
              categories.add(
                  TrafficPolicy.Drop.of(category.isBlank() ? "unnamed" : category, fraction)));
      traffic.setDrops(categories);
      traffic.setOverprovisioningFactor(overprovisioningFactor);
    }
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      LOGGER.debug("{}: {} endpoints", name(), assignmentEndpoints.size());
      s.update(assignmentEndpoints);
    }
  }

  private void ack(DiscoveryResponse response) {
    acceptedVersions.put(response.getTypeUrl(), response.getVersionInfo());
    request(response.getTypeUrl(), subscribedName(response.getTypeUrl()), null);
  }

  private void nack(DiscoveryResponse response, @Nullable String problem) {
    String message =
        "rejected "
            + response.getTypeUrl()
            + " version '"
            + response.getVersionInfo()
            + "': "
            + problem;
    LOGGER.warn(
        "{}: {}; keeping the last accepted version '{}'",
        name(),
        message,
        acceptedVersions.getOrDefault(response.getTypeUrl(), ""));
    request(
        response.getTypeUrl(),
        subscribedName(response.getTypeUrl()),
        com.google.rpc.Status.newBuilder()
            .setCode(Code.INVALID_ARGUMENT_VALUE)
            .setMessage(message)
            .build());
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      s.fail(new IllegalArgumentException("source " + name() + " " + message));
    }
  }

  private @Nullable String subscribedName(String type) {
    return CLUSTER_TYPE.equals(type)
        ? (useCds && !wildcardCds ? cluster : null)
        : ASSIGNMENT_TYPE.equals(type) ? edsName : null;
  }

  /** Sends one subscription (or ACK, or NACK with {@code error}) for {@code type}. */
  private void request(
      String type, @Nullable String resource, com.google.rpc.@Nullable Status error) {
    StreamObserver<DiscoveryRequest> out = requests;
    if (out == null) {
      return;
    }
    DiscoveryRequest.Builder request =
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(type)
            .setVersionInfo(acceptedVersions.getOrDefault(type, ""))
            .setResponseNonce(nonces.getOrDefault(type, ""));
    if (resource != null) {
      request.addResourceNames(resource);
    }
    if (error != null) {
      request.setErrorDetail(error);
    }
    try {
      out.onNext(request.build());
    } catch (RuntimeException e) {
      LOGGER.debug("{}: sending a request failed", name(), e);
    }
  }

  /** Runs on the source's thread: the stream ended; report it and reconnect after the backoff. */
  private void onStreamClosed(Throwable error) {
    requests = null;
    if (isClosed()) {
      return;
    }
    attempts++;
    long delay = backoff.delayNanos(attempts, ThreadLocalRandom.current());
    Status status = Status.fromThrowable(error);
    String message =
        "source "
            + name()
            + ": the xDS stream failed ("
            + status.getCode()
            + (status.getDescription() == null ? "" : ": " + status.getDescription())
            + "); reconnecting in "
            + TimeUnit.NANOSECONDS.toMillis(delay)
            + " ms, keeping the last endpoints";
    if (attempts == 1) {
      LOGGER.warn("{}", message);
    } else {
      LOGGER.debug("{}", message);
    }
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      s.fail(new IOException(message, error));
    }
    try {
      ScheduledFuture<?> unused = executor.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
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

  /** Cancels the stream and stops the source's thread; not the channel. Idempotent. */
  @Override
  public void close() {
    ClientCallStreamObserver<DiscoveryRequest> c;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      c = call;
    }
    if (c != null) {
      try {
        c.cancel("source closed", null);
      } catch (RuntimeException e) {
        LOGGER.debug("{}: cancelling the stream failed", name(), e);
      }
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "XdsEndpointSource{" + name() + '}';
  }

  /** Builds an {@link XdsEndpointSource}. Not thread-safe. */
  public static final class Builder {
    private final Channel channel;
    private final String cluster;
    private Node node = Node.newBuilder().setId("lb").setUserAgentName("lb").build();
    private boolean cds = true;
    private boolean wildcardCds;
    private boolean ignoreResourceDeletion;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private @Nullable SwitchableStrategy strategy;
    private @Nullable TrafficPolicy trafficPolicy;

    private Builder(@Nullable Channel channel, @Nullable String cluster) {
      Objects.requireNonNull(channel, "channel must not be null");
      Objects.requireNonNull(cluster, "cluster must not be null");
      if (cluster.isBlank()) {
        throw new IllegalArgumentException("cluster must not be blank but was '" + cluster + "'");
      }
      this.channel = channel;
      this.cluster = cluster;
    }

    /**
     * The node identity sent to the control plane ({@code id}, {@code cluster}, {@code locality},
     * {@code metadata}), by which it chooses what to send. Defaults to id {@code lb}, user agent
     * {@code lb}; control planes that serve several clients need a real id.
     *
     * @param node the node; must not be null
     * @return this builder
     * @throws NullPointerException if {@code node} is null
     * @throws IllegalArgumentException if the node's id is blank
     */
    public Builder node(Node node) {
      Objects.requireNonNull(node, "node must not be null");
      if (node.getId().isBlank()) {
        throw new IllegalArgumentException(
            "node id must not be blank but was '" + node.getId() + "'");
      }
      this.node = node;
      return this;
    }

    /**
     * Takes the node identity and the server's features from a gRPC bootstrap: {@link
     * XdsBootstrap#node()} as {@link #node}, and {@code ignore_resource_deletion} as {@link
     * #ignoreResourceDeletion(boolean) ignoreResourceDeletion(true)}. The channel stays the
     * caller's ({@link XdsBootstrap#newChannel()} opens one to the bootstrap's server).
     *
     * @param bootstrap the parsed bootstrap; must not be null
     * @return this builder
     * @throws NullPointerException if {@code bootstrap} is null
     */
    public Builder bootstrap(XdsBootstrap bootstrap) {
      Objects.requireNonNull(bootstrap, "bootstrap must not be null");
      node(bootstrap.node());
      if (bootstrap.ignoreResourceDeletion()) {
        this.ignoreResourceDeletion = true;
      }
      return this;
    }

    /**
     * Whether to subscribe to the CDS cluster first (true, the default) or to the EDS resource of
     * the given name directly (false), for control planes that serve EDS alone.
     *
     * @param cds false to skip CDS
     * @return this builder
     */
    public Builder cds(boolean cds) {
      this.cds = cds;
      return this;
    }

    /**
     * Whether to subscribe to CDS by the cluster's name (false, the default, as gRPC's clients do)
     * or to every cluster (true, a wildcard subscription, as Envoy does). A removal is seen only
     * when the control plane sends a CDS response without the cluster; for a named subscription
     * some control planes send nothing once the cluster is gone (java-control-plane's {@code
     * SimpleCache} in ADS mode waits for the named resource to exist), so use the wildcard where
     * removals must be noticed. With the wildcard, the other clusters are received and ignored.
     *
     * @param wildcard true to subscribe to every cluster
     * @return this builder
     */
    public Builder wildcardCds(boolean wildcard) {
      this.wildcardCds = wildcard;
      return this;
    }

    /**
     * Whether a cluster that disappears from CDS keeps its last endpoints (true; the removal is
     * only reported) or delivers the empty set (false, the default), as gRFC A53 describes for
     * {@code ignore_resource_deletion}.
     *
     * @param ignore true to keep the endpoints of a removed cluster
     * @return this builder
     */
    public Builder ignoreResourceDeletion(boolean ignore) {
      this.ignoreResourceDeletion = ignore;
      return this;
    }

    /**
     * The delays between reconnects: {@code initial} for the first, times 1.6 per further attempt,
     * at most {@code max}, each with ±20% jitter. Defaults to 1 second and 30 seconds.
     *
     * @param initial positive; must not be null
     * @param max at least {@code initial}; must not be null
     * @return this builder
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is below
     *     it
     */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      Backoff.check(initial, max);
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * The strategy to follow the cluster's load-balancing policy: build the balancers this source
     * feeds with it ({@code LoadBalancer.builder().strategy(strategy)}), and the source switches it
     * to the strategy each accepted CDS policy maps to, before it delivers the endpoints that come
     * with it; a policy the balancers cannot run (a hash policy under slow start) is NACKed. Start
     * it with {@link dev.lb.strategy.Strategies#weightedRoundRobin()}, the mapping of Envoy's
     * default {@code ROUND_ROBIN}. Without one (the default) the policy is only reported by {@link
     * XdsEndpointSource#clusterPolicy()}.
     *
     * @param strategy the balancers' switchable strategy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code strategy} is null
     */
    public Builder strategy(SwitchableStrategy strategy) {
      this.strategy = Objects.requireNonNull(strategy, "strategy must not be null");
      return this;
    }

    /**
     * The traffic policy to follow each assignment's drops ({@code drop_overloads}) and
     * overprovisioning factor: build the balancers this source feeds with it ({@code
     * LoadBalancer.builder().trafficPolicy(policy)}), and the source sets both on it before it
     * delivers the endpoints of each accepted assignment. Without it, nothing is dropped and the
     * balancers keep the factor they were built with ({@link #clusterPolicy()} reports both).
     *
     * @param policy the balancers' traffic policy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder trafficPolicy(TrafficPolicy policy) {
      this.trafficPolicy = Objects.requireNonNull(policy, "policy must not be null");
      return this;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     */
    public XdsEndpointSource build() {
      return new XdsEndpointSource(this);
    }
  }
}
