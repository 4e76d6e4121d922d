package dev.lb.etcd;

import dev.lb.Endpoint;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSink;
import dev.lb.discovery.EndpointSource;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * Endpoints from etcd (v3 API, through jetcd): every key under a prefix holds one instance record,
 * listed once and then watched live.
 *
 * <pre>{@code
 * Client client = Client.builder().endpoints("http://etcd-0:2379", "http://etcd-1:2379").build();
 * EndpointSource users = EtcdEndpointSource.builder(client, "/services/users/").build();
 * DiscoveryBinding binding = DiscoveryBinding.bind(users, balancer);
 * }</pre>
 *
 * <h2>Records</h2>
 *
 * <p>Each key's value is one JSON object with the fields of an lb endpoint, as in lb-core's JSON
 * endpoint files: {@code host} and {@code port} (required), {@code id} (defaults to {@code
 * host:port}), {@code weight}, {@code zone}, {@code priority}, {@code backup}, {@code metadata} (an
 * object of strings). Instances usually register with {@link EtcdRegistration}, which writes that
 * record under a lease and keeps the lease alive. A record that cannot be read (not JSON, an
 * unknown field, a port outside 1..65535, a weight below 1) is rejected alone: the source keeps the
 * endpoint that key last held (none if it never read), delivers the set of the other keys, and then
 * reports the bad key with {@link EndpointSink#fail}, so the binding's status names it until it is
 * fixed or deleted. Two keys holding the same endpoint id: the first key (in key order) wins and
 * the other is reported the same way. The set is sorted by id.
 *
 * <h2>Consistency: list, then watch from the next revision</h2>
 *
 * <p>The source reads the whole prefix at one revision R and then watches the prefix from R + 1, so
 * the set is always "the prefix at R, plus every change after R", with no event missed between the
 * read and the watch; it tracks the revision of the last change it applied. The watch requires a
 * leader ({@code WithRequireLeader}), so a member cut off from its cluster's leader ends the watch
 * instead of going quiet (etcd ends it once the member has gone a few election timeouts without a
 * leader, so a quick election leaves it running). When the watch ends (etcd restarted, the
 * connection broke, leader lost), the source watches again from the revision after the last one it
 * applied: etcd replays every change made meanwhile, so nothing is missed, and changes it already
 * has are skipped by revision. If that revision has been compacted away meanwhile, the changes are
 * gone: the source then lists the prefix again at the current revision and watches from there (a
 * relist replaces the whole set, so keys deleted during the gap leave too).
 *
 * <h2>Outages</h2>
 *
 * <p>Every {@link Builder#checkInterval check interval} the source asks etcd for the prefix's key
 * count (bounded by {@link Builder#requestTimeout}); a check or a watch that fails is reported with
 * {@link EndpointSink#fail} (the binding keeps the last good set), and the source watches again
 * from its revision after gRPC's backoff ({@link Builder#retryBackoff}) until etcd answers; once
 * the watch is re-established it delivers the set afresh (with whatever changed meanwhile), ending
 * the failure streak. An outage is thus noticed within about one check interval plus the request
 * timeout, or at once when the watch breaks. A prefix with no keys yields an empty set, which a
 * binding rejects (keeping the last one) unless it {@link DiscoveryBinding.Builder#allowEmpty
 * allows empty sets}.
 *
 * <p>The client is the caller's: the source neither configures nor closes it. Deliveries run on one
 * thread of the source's own ({@code lb-etcd-<prefix>}).
 *
 * <p>Thread-safe.
 */
public final class EtcdEndpointSource implements EndpointSource {
  private static final Logger LOGGER = LoggerFactory.getLogger(EtcdEndpointSource.class);

  private final Client client;
  private final String prefix;
  private final ByteSequence prefixBytes;
  private final long checkNanos;
  private final long timeoutNanos;
  private final Backoff backoff;
  private final ScheduledExecutorService executor;
  private final Object lock = new Object();
  private @Nullable EndpointSink sink;
  private boolean closed;
  private volatile long relists;

  // Confined to the executor's thread.
  private final Map<String, Endpoint> byKey = new TreeMap<>();
  private final Map<String, String> problems = new TreeMap<>();
  private int generation;
  private Watch.@Nullable Watcher watcher;
  private long revision;
  private boolean down;
  private boolean resyncPending;
  private int attempts;

  private EtcdEndpointSource(Builder b) {
    this.client = b.client;
    this.prefix = b.prefix;
    this.prefixBytes = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    this.checkNanos = b.checkInterval.toNanos();
    this.timeoutNanos = b.requestTimeout.toNanos();
    this.backoff = new Backoff(b.initialBackoff.toNanos(), b.maxBackoff.toNanos());
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lb-etcd-" + prefix);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Returns a builder for the endpoints recorded under {@code prefix}.
   *
   * @param client a jetcd client for the cluster; must not be null; the caller closes it
   * @param prefix the key prefix, such as {@code /services/users/}; every key that starts with it
   *     is one instance
   * @return a new builder
   * @throws NullPointerException if {@code client} or {@code prefix} is null
   * @throws IllegalArgumentException if {@code prefix} is empty
   */
  public static Builder builder(Client client, String prefix) {
    return new Builder(client, prefix);
  }

  @Override
  public String name() {
    return "etcd:" + prefix;
  }

  /** How many times the source has listed the prefix (the first list included); for tests. */
  long relists() {
    return relists;
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
    submit(this::resync);
    try {
      ScheduledFuture<?> unused =
          executor.scheduleWithFixedDelay(
              this::check, checkNanos, checkNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /** Runs on the source's thread: lists the prefix, then watches from the revision after. */
  private void resync() {
    resyncPending = false;
    if (isClosed()) {
      return;
    }
    int gen = ++generation;
    closeWatcher();
    // The outcome is handled in whenComplete; the future it returns has nothing more to say.
    CompletableFuture<?> unused =
        client
            .getKVClient()
            .get(prefixBytes, GetOption.builder().isPrefix(true).build())
            .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
            .whenComplete(
                (response, error) ->
                    submit(
                        () -> {
                          if (gen != generation) {
                            return;
                          }
                          if (error != null) {
                            onFailure(unwrap(error), "listing " + prefix);
                          } else {
                            onListed(gen, response);
                          }
                        }));
  }

  @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the source's serial executor
  private void onListed(int gen, GetResponse response) {
    relists++;
    long listedAt = response.getHeader().getRevision();
    Map<String, Endpoint> previous = new TreeMap<>(byKey);
    byKey.clear();
    problems.clear();
    for (KeyValue kv : response.getKvs()) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      apply(key, kv.getValue().getBytes(), previous.get(key));
    }
    revision = listedAt;
    if (down) {
      LOGGER.info("{}: etcd answers again; {} keys at revision {}", name(), byKey.size(), listedAt);
    }
    down = false;
    attempts = 0;
    publish();
    watch(gen);
  }

  /**
   * Runs on the source's thread: watches the prefix from the revision after the one the set is at.
   * After a failure this resumes without listing again: etcd replays every change since, unless it
   * was compacted away (then {@link #onWatchError} lists again).
   */
  private void watch(int gen) {
    closeWatcher();
    Watch.Listener listener =
        Watch.listener(
            r -> submit(() -> onEvents(gen, r)),
            e -> submit(() -> onWatchError(gen, e)),
            () -> submit(() -> onWatchError(gen, new IOException("the watch ended"))));
    try {
      watcher =
          client
              .getWatchClient()
              .watch(
                  prefixBytes,
                  WatchOption.builder()
                      .isPrefix(true)
                      .withRevision(revision + 1)
                      .withRequireLeader(true)
                      .withCreateNotify(true)
                      .build(),
                  listener);
    } catch (RuntimeException e) {
      onFailure(e, "watching " + prefix);
    }
  }

  /**
   * Runs on the source's thread, after a failure: resumes the watch (or lists, if never listed).
   */
  private void retry() {
    resyncPending = false;
    if (isClosed()) {
      return;
    }
    if (relists == 0) {
      resync();
    } else {
      watch(++generation);
    }
  }

  /** Reads one record into {@code byKey}; a bad one keeps {@code lastGood} and is recorded. */
  private void apply(String key, byte[] value, @Nullable Endpoint lastGood) {
    try {
      byKey.put(key, InstanceRecords.parse(key, value));
      problems.remove(key);
    } catch (IllegalArgumentException e) {
      problems.put(key, e.getMessage());
      if (lastGood != null) {
        byKey.put(key, lastGood);
      } else {
        byKey.remove(key);
      }
    }
  }

  private void onEvents(int gen, WatchResponse response) {
    if (gen != generation) {
      return;
    }
    if (response.isCreatedNotify() && down) {
      // The watch runs again: etcd answers, and replays what changed since our revision.
      LOGGER.info("{}: etcd answers again; watching from revision {}", name(), revision + 1);
      down = false;
      attempts = 0;
      publish(); // ends the failure streak even if nothing changed
    }
    if (response.getEvents().isEmpty()) {
      return;
    }
    for (WatchEvent event : response.getEvents()) {
      KeyValue kv = event.getKeyValue();
      if (kv.getModRevision() <= revision) {
        continue; // already in the list this watch started after
      }
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      switch (event.getEventType()) {
        case PUT -> apply(key, kv.getValue().getBytes(), byKey.get(key));
        case DELETE -> {
          byKey.remove(key);
          problems.remove(key);
        }
        default -> {
          // UNRECOGNIZED: nothing to apply
        }
      }
      revision = Math.max(revision, kv.getModRevision());
    }
    publish();
  }

  private void onWatchError(int gen, Throwable error) {
    if (gen != generation) {
      return;
    }
    Throwable cause = unwrap(error);
    if (cause instanceof CompactedException compacted) {
      LOGGER.info(
          "{}: revisions up to {} were compacted while the watch was away; listing again",
          name(),
          compacted.getCompactedRevision());
      resync();
      return;
    }
    onFailure(cause, "watching " + prefix);
  }

  /** Runs on the source's thread, every check interval: is etcd still answering? */
  private void check() {
    if (down || resyncPending || isClosed()) {
      return;
    }
    int gen = generation;
    // The outcome is handled in whenComplete; the future it returns has nothing more to say.
    CompletableFuture<?> unused =
        client
            .getKVClient()
            .get(prefixBytes, GetOption.builder().isPrefix(true).withCountOnly(true).build())
            .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
            .whenComplete(
                (response, error) -> {
                  if (error != null) {
                    submit(
                        () -> {
                          if (gen == generation && !down) {
                            onFailure(unwrap(error), "checking " + prefix);
                          }
                        });
                  }
                });
  }

  private void onFailure(Throwable error, String what) {
    if (isClosed()) {
      return; // closing the watch ends it: that is no failure to log or retry
    }
    closeWatcher();
    generation++; // whatever the old list or watch still delivers is stale
    attempts++;
    boolean first = !down;
    down = true;
    long delay = backoff.delayNanos(attempts, ThreadLocalRandom.current());
    String message =
        "source "
            + name()
            + ": "
            + what
            + " failed ("
            + error
            + "); retrying in "
            + TimeUnit.NANOSECONDS.toMillis(delay)
            + " ms, keeping the last endpoints";
    if (first) {
      LOGGER.warn("{}", message);
    } else {
      LOGGER.debug("{}", message);
    }
    EndpointSink s = sinkIfOpen();
    if (s != null) {
      s.fail(new IOException(message, error));
    }
    if (!resyncPending) {
      resyncPending = true;
      try {
        ScheduledFuture<?> unused = executor.schedule(this::retry, delay, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // closed meanwhile
      }
    }
  }

  private void publish() {
    List<Endpoint> set = new ArrayList<>(byKey.size());
    Set<String> ids = new HashSet<>();
    List<String> reports = new ArrayList<>(problems.values());
    Map<String, String> ownerOfId = new TreeMap<>();
    for (Map.Entry<String, Endpoint> entry : byKey.entrySet()) {
      Endpoint e = entry.getValue();
      if (ids.add(e.id())) {
        set.add(e);
        ownerOfId.put(e.id(), entry.getKey());
      } else {
        reports.add(
            "etcd key '"
                + entry.getKey()
                + "' holds endpoint id '"
                + e.id()
                + "', already held by key '"
                + ownerOfId.get(e.id())
                + "'");
      }
    }
    set.sort(Comparator.comparing(Endpoint::id));
    EndpointSink s = sinkIfOpen();
    if (s == null) {
      return;
    }
    LOGGER.debug("{}: {} endpoints at revision {}", name(), set.size(), revision);
    s.update(List.copyOf(set));
    if (!reports.isEmpty()) {
      LOGGER.warn("{}: rejected {}", name(), reports);
      s.fail(
          new IllegalArgumentException(
              "source "
                  + name()
                  + " rejected "
                  + reports.size()
                  + " record(s), keeping their last good endpoints: "
                  + String.join("; ", reports)));
    }
  }

  private void closeWatcher() {
    Watch.Watcher w = watcher;
    watcher = null;
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        LOGGER.debug("{}: closing the watch failed", name(), e);
      }
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
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

  /** Ends the watch and stops the source's thread; not the client. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      executor.submit(this::closeWatcher).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException
        | RejectedExecutionException e) {
      LOGGER.debug("{}: closing the watch failed", name(), e);
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "EtcdEndpointSource{" + name() + '}';
  }

  /** Builds an {@link EtcdEndpointSource}. Not thread-safe. */
  public static final class Builder {
    private final Client client;
    private final String prefix;
    private Duration checkInterval = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(30);

    private Builder(@Nullable Client client, @Nullable String prefix) {
      Objects.requireNonNull(client, "client must not be null");
      Objects.requireNonNull(prefix, "prefix must not be null");
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException(
            "prefix must not be empty (it would watch the whole key space) but was ''");
      }
      this.client = client;
      this.prefix = prefix;
    }

    /**
     * How often the source checks that etcd answers (a count-only read of the prefix). Defaults to
     * 1 second.
     *
     * @param checkInterval positive; must not be null
     * @return this builder
     * @throws NullPointerException if {@code checkInterval} is null
     * @throws IllegalArgumentException if {@code checkInterval} is not positive
     */
    public Builder checkInterval(Duration checkInterval) {
      this.checkInterval = positive(checkInterval, "checkInterval");
      return this;
    }

    /**
     * How long a list or a check may take before it counts as failed. Defaults to 5 seconds.
     *
     * @param requestTimeout positive; must not be null
     * @return this builder
     * @throws NullPointerException if {@code requestTimeout} is null
     * @throws IllegalArgumentException if {@code requestTimeout} is not positive
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = positive(requestTimeout, "requestTimeout");
      return this;
    }

    /**
     * The delays between attempts while etcd fails: {@code initial} for the first, times 1.6 per
     * further attempt, at most {@code max}, each with ±20% jitter. Defaults to 1 and 30 seconds.
     *
     * @param initial positive; must not be null
     * @param max at least {@code initial}; must not be null
     * @return this builder
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is below
     *     it
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      positive(initial, "retryBackoff initial");
      Objects.requireNonNull(max, "max must not be null");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "retryBackoff max must be at least initial (" + initial + ") but was " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    private static Duration positive(@Nullable Duration d, String option) {
      Objects.requireNonNull(d, option + " must not be null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(option + " must be positive but was " + d);
      }
      return d;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     */
    public EtcdEndpointSource build() {
      return new EtcdEndpointSource(this);
    }
  }
}
