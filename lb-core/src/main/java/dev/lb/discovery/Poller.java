package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import dev.lb.Scheduler;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Runs a polling source's lookups: the first at once, each later one a {@link RefreshPolicy} delay
 * (or the delay the lookup asks for, such as a DNS answer's TTL) after the previous one ended;
 * after a failed lookup the delay is the policy's {@linkplain RefreshPolicy#retryDelayNanos
 * backoff} instead (the floor, doubling per failure, up to the interval). The scheduler only keeps
 * time; lookups (which may block on the network or the disk) run on the executor, so they never
 * hold up the shared scheduler thread. One lookup at a time, so the sink is never called
 * concurrently.
 */
final class Poller {
  /** One lookup. */
  @FunctionalInterface
  interface Lookup {
    /**
     * Looks endpoints up.
     *
     * @return the complete set, or null if nothing changed since the last lookup and nothing needs
     *     to be delivered
     * @throws Exception if the lookup failed; delivered to the sink as a failure
     */
    @Nullable List<Endpoint> lookup() throws Exception;

    /**
     * When to look again after a successful lookup, if the lookup itself knows (a DNS answer's
     * TTL), in nanoseconds; negative for the refresh policy's interval.
     */
    default long nextDelayNanos() {
      return -1;
    }
  }

  private final RefreshPolicy policy;
  private final Scheduler scheduler;
  private final Executor executor;
  private final RandomGenerator random;
  private final Lookup lookup;
  private final Object lock = new Object();
  private @Nullable EndpointSink sink;
  private Scheduler.@Nullable Cancellable next;
  private boolean closed;
  private int consecutiveFailures; // guarded by lock

  Poller(
      RefreshPolicy policy,
      Scheduler scheduler,
      Executor executor,
      RandomGenerator random,
      Lookup lookup) {
    this.policy = policy;
    this.scheduler = scheduler;
    this.executor = executor;
    this.random = random;
    this.lookup = lookup;
  }

  void start(EndpointSink sink, String sourceName) {
    checkNotNull(sink, "sink");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("source " + sourceName + " is closed");
      }
      if (this.sink != null) {
        throw new IllegalStateException("source " + sourceName + " was already started");
      }
      this.sink = sink;
      next = scheduler.schedule(this::dispatch, 0);
    }
  }

  void close() {
    Scheduler.Cancellable pending;
    synchronized (lock) {
      closed = true;
      pending = next;
      next = null;
    }
    if (pending != null) {
      pending.cancel();
    }
  }

  /** Runs on the scheduler: hands the lookup to the executor. */
  private void dispatch() {
    try {
      executor.execute(this::runOnce);
    } catch (RejectedExecutionException e) {
      EndpointSink s = sinkIfOpen();
      if (s != null) {
        s.fail(e);
      }
      synchronized (lock) {
        consecutiveFailures++;
      }
      scheduleNext();
    }
  }

  private void runOnce() {
    try {
      EndpointSink s = sinkIfOpen();
      if (s == null) {
        return;
      }
      List<Endpoint> found;
      try {
        found = lookup.lookup();
      } catch (Exception | LinkageError e) {
        synchronized (lock) {
          consecutiveFailures++;
        }
        if (sinkIfOpen() != null) {
          s.fail(e);
        }
        return;
      }
      synchronized (lock) {
        consecutiveFailures = 0;
      }
      if (found != null && sinkIfOpen() != null) {
        s.update(found);
      }
    } finally {
      scheduleNext();
    }
  }

  private @Nullable EndpointSink sinkIfOpen() {
    synchronized (lock) {
      return closed ? null : sink;
    }
  }

  private void scheduleNext() {
    synchronized (lock) {
      if (!closed) {
        long hinted = consecutiveFailures == 0 ? lookup.nextDelayNanos() : -1;
        long delay =
            consecutiveFailures != 0
                ? policy.retryDelayNanos(consecutiveFailures, random)
                : hinted >= 0 ? hinted : policy.nextDelayNanos(random);
        next = scheduler.schedule(this::dispatch, delay);
      }
    }
  }
}
