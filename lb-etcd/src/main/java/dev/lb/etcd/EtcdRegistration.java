package dev.lb.etcd;

import dev.lb.Endpoint;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
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
 * Registers one instance in etcd for {@link EtcdEndpointSource}s to find: its record is written
 * under {@code prefix + endpoint.id()}, bound to a lease that this object keeps alive, and removed
 * when it is closed.
 *
 * <pre>{@code
 * EtcdRegistration registration = EtcdRegistration.register(
 *     client, "/services/users/", Endpoint.builder("10.0.0.7", 8080).zone("eu-west-1a").build(),
 *     Duration.ofSeconds(10));
 * // ... serve ...
 * registration.close(); // revokes the lease: the key is gone at once
 * }</pre>
 *
 * <h2>Leases and TTL</h2>
 *
 * <p>The key lives as long as its lease: etcd deletes it {@code ttl} after the last keep-alive it
 * received, so an instance that crashes or is cut off leaves every watcher's set within {@code ttl}
 * (plus the watchers' propagation time), while one that closes its registration leaves at once.
 * jetcd sends keep-alives about every third of the TTL. etcd extends every lease when a new leader
 * is elected, so an etcd failover does not expire healthy instances. If the keep-alive stream ends
 * (etcd was unreachable longer than the TTL, or the lease was revoked by someone else), the
 * registration grants a new lease and writes the record again, retrying with gRPC's backoff (1 s
 * growing to 30 s) until it succeeds or is closed: the instance comes back by itself. A short TTL
 * notices crashes sooner but costs more keep-alives; 10 seconds is a usual choice (etcd's minimum
 * is 5 seconds by default).
 *
 * <p>{@link #register} returns at once; the first write happens on the registration's own thread
 * ({@code lb-etcd-registration-<key>}); {@link #isRegistered()} says whether the record is
 * currently written. Thread-safe.
 */
public final class EtcdRegistration implements AutoCloseable {
  private static final Logger LOGGER = LoggerFactory.getLogger(EtcdRegistration.class);
  private static final Backoff BACKOFF =
      new Backoff(Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(30).toNanos());

  private final Client client;
  private final String key;
  private final ByteSequence keyBytes;
  private final ByteSequence value;
  private final long ttlSeconds;
  private final ScheduledExecutorService executor;
  private final Object lock = new Object();
  private boolean closed;
  private volatile boolean registered;

  // Confined to the executor's thread.
  private long leaseId;
  private @Nullable CloseableClient keepAlive;
  private int attempts;
  private int generation;

  private EtcdRegistration(Client client, String prefix, Endpoint endpoint, long ttlSeconds) {
    this.client = client;
    this.key = prefix + endpoint.id();
    this.keyBytes = ByteSequence.from(key, StandardCharsets.UTF_8);
    this.value = ByteSequence.from(InstanceRecords.format(endpoint));
    this.ttlSeconds = ttlSeconds;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lb-etcd-registration-" + key);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts registering {@code endpoint} under {@code prefix + endpoint.id()} with a lease of {@code
   * ttl}.
   *
   * @param client a jetcd client; must not be null; the caller closes it (after this registration)
   * @param prefix the prefix the {@link EtcdEndpointSource}s watch; must not be empty
   * @param endpoint the instance to register; must not be null
   * @param ttl the lease's time to live, whole seconds, at least 1 second; must not be null
   * @return the running registration; close it to deregister
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code prefix} is empty or {@code ttl} is under 1 second
   */
  public static EtcdRegistration register(
      Client client, String prefix, Endpoint endpoint, Duration ttl) {
    Objects.requireNonNull(client, "client must not be null");
    Objects.requireNonNull(prefix, "prefix must not be null");
    Objects.requireNonNull(endpoint, "endpoint must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("prefix must not be empty but was ''");
    }
    if (ttl.toSeconds() < 1) {
      throw new IllegalArgumentException("ttl must be at least 1 second but was " + ttl);
    }
    EtcdRegistration registration = new EtcdRegistration(client, prefix, endpoint, ttl.toSeconds());
    registration.submit(registration::grant);
    return registration;
  }

  /**
   * The key the record is written under.
   *
   * @return {@code prefix + endpoint.id()}
   */
  public String key() {
    return key;
  }

  /**
   * Whether the record is written and its lease kept alive, as far as this registration knows.
   *
   * @return true once the record is written, false before and while it is being written again
   */
  public boolean isRegistered() {
    return registered;
  }

  /** Runs on the registration's thread: a new lease, the record under it, the keep-alive. */
  private void grant() {
    if (isClosed()) {
      return;
    }
    int gen = ++generation;
    // The outcome is handled in whenComplete; the future it returns has nothing more to say.
    CompletableFuture<?> unused =
        client
            .getLeaseClient()
            .grant(ttlSeconds)
            .thenCompose(
                lease ->
                    client
                        .getKVClient()
                        .put(
                            keyBytes, value, PutOption.builder().withLeaseId(lease.getID()).build())
                        .thenApply(put -> lease.getID()))
            .orTimeout(Math.max(5, ttlSeconds), TimeUnit.SECONDS)
            .whenComplete(
                (id, error) ->
                    submit(
                        () -> {
                          if (gen != generation) {
                            return;
                          }
                          if (error != null) {
                            retry(error);
                          } else {
                            onWritten(gen, id);
                          }
                        }));
  }

  private void onWritten(int gen, long id) {
    if (isClosed()) {
      revoke(id);
      return;
    }
    leaseId = id;
    attempts = 0;
    registered = true;
    LOGGER.debug("registered {} with lease {} ({} s)", key, Long.toHexString(id), ttlSeconds);
    keepAlive =
        client
            .getLeaseClient()
            .keepAlive(
                id,
                new StreamObserver<LeaseKeepAliveResponse>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse response) {}

                  @Override
                  public void onError(Throwable error) {
                    submit(() -> lost(gen, error));
                  }

                  @Override
                  public void onCompleted() {
                    submit(() -> lost(gen, new IllegalStateException("the lease expired")));
                  }
                });
  }

  private void lost(int gen, Throwable error) {
    if (gen != generation || isClosed()) {
      return;
    }
    registered = false;
    closeKeepAlive();
    retry(error);
  }

  private void retry(Throwable error) {
    attempts++;
    long delay = BACKOFF.delayNanos(attempts, ThreadLocalRandom.current());
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    LOGGER.warn(
        "registering {} failed ({}); trying again in {} ms",
        key,
        cause.toString(),
        TimeUnit.NANOSECONDS.toMillis(delay));
    try {
      ScheduledFuture<?> unused = executor.schedule(this::grant, delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void closeKeepAlive() {
    CloseableClient k = keepAlive;
    keepAlive = null;
    if (k != null) {
      try {
        k.close();
      } catch (RuntimeException e) {
        LOGGER.debug("closing the keep-alive of {} failed", key, e);
      }
    }
  }

  private void revoke(long id) {
    try {
      client.getLeaseClient().revoke(id).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // The key still goes when the lease expires, at most a TTL from now.
      LOGGER.debug("revoking the lease of {} failed; it expires within its TTL", key, e);
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
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
   * Deregisters: stops the keep-alive and revokes the lease, which deletes the key at once (waiting
   * at most 5 seconds for etcd; if it does not answer, the key goes when the lease expires).
   * Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      executor
          .submit(
              () -> {
                generation++;
                closeKeepAlive();
                if (registered) {
                  registered = false;
                  revoke(leaseId);
                }
              })
          .get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException
        | RejectedExecutionException e) {
      LOGGER.debug("deregistering {} failed", key, e);
    }
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "EtcdRegistration{" + key + (registered ? ", registered" : "") + '}';
  }
}
