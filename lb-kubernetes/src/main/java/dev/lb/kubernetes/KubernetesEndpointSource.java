package dev.lb.kubernetes;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSink;
import dev.lb.discovery.EndpointSource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints from the Kubernetes API: the EndpointSlices ({@code discovery.k8s.io/v1}) of one
 * service, watched live through a fabric8 informer, for one of the service's ports.
 *
 * <pre>{@code
 * KubernetesClient client = new KubernetesClientBuilder().build(); // in-cluster or ~/.kube/config
 * EndpointSource users = KubernetesEndpointSource.builder(client, "shop", "users")
 *     .portName("http")
 *     .build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(users, balancer);
 * }</pre>
 *
 * <h2>How a slice becomes endpoints</h2>
 *
 * <p>The slices are those labelled {@code kubernetes.io/service-name=<service>} in the namespace;
 * all of them are merged into one set, sorted by id. Each address of each endpoint that takes calls
 * becomes one {@link Endpoint} with that address (IPv4 or IPv6) and the slice's port named {@link
 * Builder#portName} (or, if no name is given, the slice's only port); its id is {@code
 * address:port}, so an endpoint keeps its statistics when it moves between slices. The endpoint's
 * {@code zone} becomes the lb zone (so {@link LoadBalancer.Builder#localZone} prefers same-zone
 * pods); its {@code hints.forZones} (topology-aware routing) are kept as metadata {@code
 * kubernetes.forZones}, comma-joined, for strategies or filters that honour them, along with {@code
 * kubernetes.pod} (the target pod) and {@code kubernetes.node}.
 *
 * <p>The conditions decide membership:
 *
 * <ul>
 *   <li>{@code ready} (true, or unset, which the API says to read as ready) and not terminating: a
 *       healthy member;
 *   <li>{@code serving} and {@code terminating}: a pod shutting down. It leaves the set, and the
 *       balancer <em>drains</em> it: no new calls, the calls in flight finish, for at most the
 *       balancer's {@link LoadBalancer.Builder#removalDrainTimeout} (set it to the pods'
 *       termination grace period); {@link LoadBalancer#health} reports it as {@code DRAINING}
 *       meanwhile;
 *   <li>not ready (and not serving): out, as soon as the slice says so.
 * </ul>
 *
 * <h2>Bad slices, watch gaps and outages</h2>
 *
 * <p>A slice that cannot be read (no port of the given name, several ports and no name, a port
 * outside 1..65535, an endpoint without addresses or with an address that is not an IP) is rejected
 * as a whole: the source keeps the endpoints that slice last had (none if it never read), delivers
 * the set of the other slices, and then reports the bad slice with {@link EndpointSink#fail}, so
 * the binding's {@link dev.lb.discovery.DiscoveryStatus} names it until it is fixed or deleted. A
 * bad slice never empties the balancer.
 *
 * <p>The informer lists, then watches; after a gap (the watch closed, its resource version expired)
 * it lists again and replays what changed, so endpoints are only added or removed by what the API
 * server says, never dropped because a watch ended. While the API server is unreachable the source
 * reports the failure (the binding keeps the last good set, and so does the informer's cache), and
 * once the watch runs again it delivers the set afresh, ending the failure streak even if nothing
 * changed. The informer's {@link Builder#resyncPeriod resync} re-delivers the cached set
 * periodically. Failures reach the source once the client gives up on a request: fabric8 retries
 * each one (its {@code Config.requestRetryBackoffLimit}, 10 by default, some 20 s with the default
 * backoff), so an API server that is down when the source starts is reported that late; a watch
 * that stops while running is noticed within two {@link Builder#watchCheckInterval checks}.
 *
 * <p>Deliveries run on one thread of the source's own ({@code lb-kubernetes-<namespace>/<service>})
 * and bursts of events are coalesced into one delivery. The client is the caller's: the source
 * neither configures nor closes it. A service with no ready endpoint yields an empty set, which a
 * binding rejects (keeping the last one) unless it {@link DiscoveryBinding.Builder#allowEmpty
 * allows empty sets}.
 *
 * <p>Thread-safe.
 */
public final class KubernetesEndpointSource implements EndpointSource {
  private static final Logger LOGGER = LoggerFactory.getLogger(KubernetesEndpointSource.class);

  /** The label the EndpointSlice controller puts on every slice of a service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final KubernetesClient client;
  private final String namespace;
  private final String service;
  private final @Nullable String portName;
  private final long resyncMillis;
  private final long watchCheckMillis;
  private final ScheduledExecutorService executor;
  private final Object lock = new Object();
  private @Nullable EndpointSink sink;
  private @Nullable SharedIndexInformer<EndpointSlice> informer;
  private boolean closed;

  // Confined to the executor's thread.
  private final Map<String, List<Endpoint>> lastGoodBySlice = new HashMap<>();
  private boolean publishPending;
  private boolean down;
  private int pollsNotWatching;

  private KubernetesEndpointSource(Builder b) {
    this.client = b.client;
    this.namespace = b.namespace;
    this.service = b.service;
    this.portName = b.portName;
    this.resyncMillis = b.resyncPeriod.toMillis();
    this.watchCheckMillis = Math.max(1, b.watchCheckInterval.toMillis());
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lb-kubernetes-" + namespace + "/" + service);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Returns a builder for the endpoints of service {@code service} in {@code namespace}.
   *
   * @param client a fabric8 client for the cluster; must not be null; the caller closes it
   * @param namespace the service's namespace, such as {@code default}
   * @param service the service's name, as in its {@code metadata.name}
   * @return a new builder
   * @throws NullPointerException if {@code client}, {@code namespace} or {@code service} is null
   * @throws IllegalArgumentException if {@code namespace} or {@code service} is blank
   */
  public static Builder builder(KubernetesClient client, String namespace, String service) {
    return new Builder(client, namespace, service);
  }

  @Override
  public String name() {
    return "kubernetes:"
        + namespace
        + "/"
        + service
        + (portName == null ? "" : ":" + (portName.isEmpty() ? "''" : portName));
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

  /** Runs on the source's thread: makes and starts the informer. */
  private void open() {
    SharedIndexInformer<EndpointSlice> i;
    try {
      i =
          client
              .discovery()
              .v1()
              .endpointSlices()
              .inNamespace(namespace)
              .withLabel(SERVICE_NAME_LABEL, service)
              .runnableInformer(resyncMillis);
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    synchronized (lock) {
      if (closed) {
        return;
      }
      informer = i;
    }
    i.exceptionHandler(
        (started, error) -> {
          // Called on the informer's threads; the sink is only called from ours.
          submit(() -> onWatchError(error));
          return true; // keep retrying (with the informer's backoff) while the binding keeps the
          // set
        });
    i.addEventHandler(new Events());
    i.start()
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                submit(() -> onWatchError(error));
              } else {
                schedulePublish();
              }
            });
    try {
      // Ends with the executor, in close().
      ScheduledFuture<?> unused =
          executor.scheduleWithFixedDelay(
              this::checkWatch, watchCheckMillis, watchCheckMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** Every event means "read the slices again"; a burst of them makes one delivery. */
  private final class Events implements ResourceEventHandler<EndpointSlice> {
    @Override
    public void onAdd(EndpointSlice slice) {
      schedulePublish();
    }

    @Override
    public void onUpdate(EndpointSlice before, EndpointSlice after) {
      schedulePublish();
    }

    @Override
    public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
      schedulePublish();
    }
  }

  private void schedulePublish() {
    submit(
        () -> {
          if (!publishPending) {
            publishPending = true;
            submit(this::publish);
          }
        });
  }

  /** Runs on the source's thread: reads every slice from the informer's cache and delivers. */
  private void publish() {
    publishPending = false;
    SharedIndexInformer<EndpointSlice> i = informerIfOpen();
    if (i == null || !i.hasSynced()) {
      return;
    }
    if (down && !i.isWatching()) {
      // A resync from the cache while the API server is away: the set is the one kept anyway, and
      // delivering it would make the binding look healthy.
      return;
    }
    down = false;
    pollsNotWatching = 0;
    List<EndpointSlice> slices = new ArrayList<>(i.getStore().list());
    slices.sort(Comparator.comparing(SliceMapping::sliceName));
    List<List<Endpoint>> parts = new ArrayList<>(slices.size());
    List<String> problems = new ArrayList<>();
    Map<String, List<Endpoint>> seen = new HashMap<>();
    int draining = 0;
    for (EndpointSlice slice : slices) {
      String sliceName = SliceMapping.sliceName(slice);
      List<Endpoint> part;
      try {
        part = SliceMapping.endpoints(slice, portName);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
        part = lastGoodBySlice.getOrDefault(sliceName, List.of());
      }
      seen.put(sliceName, part);
      parts.add(part);
      if (slice.getEndpoints() != null) {
        for (var entry : slice.getEndpoints()) {
          if (SliceMapping.draining(entry.getConditions())) {
            draining++;
          }
        }
      }
    }
    lastGoodBySlice.keySet().retainAll(seen.keySet());
    lastGoodBySlice.putAll(seen);
    List<Endpoint> set = SliceMapping.merge(parts);
    EndpointSink s = sinkIfOpen();
    if (s == null) {
      return;
    }
    LOGGER.debug(
        "{}: {} endpoints from {} slices ({} terminating)",
        name(),
        set.size(),
        slices.size(),
        draining);
    s.update(set);
    if (!problems.isEmpty()) {
      LOGGER.warn("{}: rejected {}", name(), problems);
      s.fail(
          new IllegalArgumentException(
              "source "
                  + name()
                  + " rejected "
                  + problems.size()
                  + " EndpointSlice(s), keeping their last good endpoints: "
                  + String.join("; ", problems)));
    }
  }

  /** Runs on the source's thread: the informer could not list or watch. */
  private void onWatchError(Throwable error) {
    if (informerIfOpen() == null) {
      return;
    }
    pollsNotWatching = 0;
    markDown(error);
  }

  /**
   * Runs on the source's thread, every {@link Builder#watchCheckInterval}: notices a watch that
   * stopped without an error reaching the exception handler, and a watch that runs again.
   */
  private void checkWatch() {
    SharedIndexInformer<EndpointSlice> i = informerIfOpen();
    if (i == null || !i.hasSynced()) {
      return;
    }
    if (i.isWatching()) {
      pollsNotWatching = 0;
      if (down) {
        publish(); // recovered: deliver afresh even if nothing changed
      }
      return;
    }
    // A watch is re-established now and then in normal operation; only a watch missing for two
    // checks in a row counts as an outage.
    if (!down && ++pollsNotWatching >= 2) {
      markDown(
          new IOException(
              "the EndpointSlice watch of " + name() + " is not running; keeping the last set"));
    }
  }

  private void markDown(Throwable error) {
    boolean first = !down;
    down = true;
    if (first) {
      LOGGER.warn("{}: watching EndpointSlices failed; keeping the last set", name(), error);
    } else {
      LOGGER.debug("{}: watching EndpointSlices still failing", name(), error);
    }
    fail(error);
  }

  private void fail(Throwable error) {
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      s.fail(error);
    }
  }

  private @Nullable EndpointSink sinkIfOpen() {
    synchronized (lock) {
      return closed ? null : sink;
    }
  }

  private @Nullable SharedIndexInformer<EndpointSlice> informerIfOpen() {
    synchronized (lock) {
      return closed ? null : informer;
    }
  }

  private void submit(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** Stops the informer and the source's thread; not the client. Idempotent. */
  @Override
  public void close() {
    SharedIndexInformer<EndpointSlice> i;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      i = informer;
    }
    if (i != null) {
      try {
        i.stop();
      } catch (RuntimeException e) {
        LOGGER.debug("{}: stopping the informer failed", name(), e);
      }
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "KubernetesEndpointSource{" + name() + '}';
  }

  /** Builds a {@link KubernetesEndpointSource}. Not thread-safe. */
  public static final class Builder {
    private final KubernetesClient client;
    private final String namespace;
    private final String service;
    private @Nullable String portName;
    private Duration resyncPeriod = Duration.ofMinutes(5);
    private Duration watchCheckInterval = Duration.ofSeconds(1);

    private Builder(
        @Nullable KubernetesClient client, @Nullable String namespace, @Nullable String service) {
      Objects.requireNonNull(client, "client must not be null");
      Objects.requireNonNull(namespace, "namespace must not be null");
      Objects.requireNonNull(service, "service must not be null");
      if (namespace.isBlank()) {
        throw new IllegalArgumentException(
            "namespace must not be blank but was '" + namespace + "'");
      }
      if (service.isBlank()) {
        throw new IllegalArgumentException("service must not be blank but was '" + service + "'");
      }
      this.client = client;
      this.namespace = namespace;
      this.service = service;
    }

    /**
     * The name of the service port to use, as in the service's {@code spec.ports[].name} (the
     * slices' {@code ports[].name}). Defaults to none: each slice's only port, and a slice with
     * several ports is rejected. The empty string names a service's single unnamed port.
     *
     * @param portName the port's name; must not be null
     * @return this builder
     * @throws NullPointerException if {@code portName} is null
     */
    public Builder portName(String portName) {
      this.portName = Objects.requireNonNull(portName, "portName must not be null");
      return this;
    }

    /**
     * How often the informer re-delivers its cached slices, which re-delivers the set (a no-op for
     * the balancer when nothing changed). Defaults to 5 minutes; zero turns resyncs off.
     *
     * @param resyncPeriod zero or positive; must not be null
     * @return this builder
     * @throws NullPointerException if {@code resyncPeriod} is null
     * @throws IllegalArgumentException if {@code resyncPeriod} is negative, or positive but under
     *     one second (fabric8's minimum)
     */
    public Builder resyncPeriod(Duration resyncPeriod) {
      Objects.requireNonNull(resyncPeriod, "resyncPeriod must not be null");
      if (resyncPeriod.isNegative()
          || (!resyncPeriod.isZero() && resyncPeriod.compareTo(Duration.ofSeconds(1)) < 0)) {
        throw new IllegalArgumentException(
            "resyncPeriod must be zero or at least 1 second but was " + resyncPeriod);
      }
      this.resyncPeriod = resyncPeriod;
      return this;
    }

    /**
     * How often the source looks whether the informer's watch runs: a watch missing at two checks
     * in a row is reported as a failure, and a watch running again after a failure makes the source
     * deliver afresh. Defaults to 1 second.
     *
     * @param watchCheckInterval positive; must not be null
     * @return this builder
     * @throws NullPointerException if {@code watchCheckInterval} is null
     * @throws IllegalArgumentException if {@code watchCheckInterval} is not positive
     */
    public Builder watchCheckInterval(Duration watchCheckInterval) {
      Objects.requireNonNull(watchCheckInterval, "watchCheckInterval must not be null");
      if (watchCheckInterval.isNegative() || watchCheckInterval.isZero()) {
        throw new IllegalArgumentException(
            "watchCheckInterval must be positive but was " + watchCheckInterval);
      }
      this.watchCheckInterval = watchCheckInterval;
      return this;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     */
    public KubernetesEndpointSource build() {
      return new KubernetesEndpointSource(this);
    }
  }
}
