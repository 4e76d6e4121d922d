package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.Ticker;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Feeds what an {@link EndpointSource} finds into a {@link LoadBalancer} (or into any consumer of
 * endpoint sets, such as an adapter's service group), keeping the last good set while the source
 * fails.
 *
 * <pre>{@code
 * DiscoveryBinding binding = DiscoveryBinding.builder(DnsEndpointSource.forSrv("_http._tcp.users").build())
 *     .listener(new DiscoveryListener() {
 *       @Override
 *       public void onFailed(DiscoveryStatus status, Throwable error, List<Endpoint> kept) {
 *         log.warn("discovery failing, keeping {} endpoints", kept.size(), error);
 *       }
 *     })
 *     .bind(balancer);
 * }</pre>
 *
 * <p>Each complete set the source delivers replaces the balancer's membership through {@link
 * LoadBalancer#setEndpoints}, which keeps the statistics of endpoints whose id stays and skips sets
 * that change nothing. A set is rejected, and counted as a failure with the last good set kept,
 * when it cannot be applied (two endpoints share an id) or when it is empty and {@link
 * Builder#allowEmpty(boolean) empty sets} are not allowed: by default an empty answer is taken as a
 * broken source rather than as "send nowhere", as gRPC's resolvers do.
 *
 * <p>Every outcome updates the {@link #status()} and is reported to the {@link DiscoveryListener}.
 *
 * <p>Thread-safe. Results are applied one at a time under the binding's lock; listeners are called
 * after the lock is released.
 */
public final class DiscoveryBinding implements AutoCloseable {
  private static final System.Logger LOGGER = System.getLogger(DiscoveryBinding.class.getName());

  private final EndpointSource source;
  private final Target target;
  private final Ticker ticker;
  private final DiscoveryListener listener;
  private final boolean allowEmpty;
  private final Object lock = new Object();
  private volatile DiscoveryStatus status;
  private volatile List<Endpoint> lastGood = List.of();
  private volatile boolean closed;

  private DiscoveryBinding(Builder builder, Target target, Ticker ticker) {
    this.source = builder.source;
    this.target = target;
    this.ticker = ticker;
    this.listener = builder.listener;
    this.allowEmpty = builder.allowEmpty;
    this.status = DiscoveryStatus.initial(source.name());
  }

  /**
   * Starts {@code source} and applies what it finds to {@code balancer}, with the default options.
   *
   * @param source the source to start; must not be null and not started yet
   * @param balancer the balancer whose membership the source sets; must not be null
   * @return the running binding; close it to stop the source
   * @throws NullPointerException if {@code source} or {@code balancer} is null
   */
  public static DiscoveryBinding bind(EndpointSource source, LoadBalancer balancer) {
    return builder(source).bind(balancer);
  }

  /**
   * Returns a builder for a binding of {@code source}.
   *
   * @param source the source to start when the binding is made; must not be null
   * @return a new builder with the default options
   * @throws NullPointerException if {@code source} is null
   */
  public static Builder builder(EndpointSource source) {
    return new Builder(checkNotNull(source, "source"));
  }

  /**
   * The source this binding feeds from.
   *
   * @return the source given to the builder
   */
  public EndpointSource source() {
    return source;
  }

  /**
   * How the source is doing.
   *
   * @return the current status, an immutable snapshot
   */
  public DiscoveryStatus status() {
    return status;
  }

  /**
   * The last good set, the one in use.
   *
   * @return the set last applied, an immutable list; empty before the first success
   */
  public List<Endpoint> endpoints() {
    return lastGood;
  }

  /**
   * Stops the source and ignores anything it still delivers; the target keeps its last set.
   * Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    source.close();
  }

  @Override
  public String toString() {
    return "DiscoveryBinding{" + status + '}';
  }

  private void start() {
    source.start(new Sink());
  }

  private final class Sink implements EndpointSink {
    @Override
    public void update(List<Endpoint> endpoints) {
      if (closed) {
        return;
      }
      Runnable event;
      synchronized (lock) {
        event = applyLocked(endpoints);
      }
      tell(event);
    }

    @Override
    public void fail(Throwable error) {
      if (closed) {
        return;
      }
      Runnable event;
      synchronized (lock) {
        event = failLocked(error == null ? new IllegalStateException("source failed") : error);
      }
      tell(event);
    }
  }

  /** Applies a set under {@code lock}; returns the listener calls to make once it is released. */
  private Runnable applyLocked(List<Endpoint> endpoints) {
    List<Endpoint> set;
    boolean changed;
    try {
      set = validate(endpoints);
      changed = target.apply(set, lastGood);
    } catch (RuntimeException e) {
      // An invalid set, or one the target refused (duplicate ids, a strategy that cannot build a
      // picker): the target kept its current membership, so this is a failure like any other.
      return failLocked(e);
    }
    int failuresBefore = status.consecutiveFailures();
    DiscoveryStatus after = status.succeeded(ticker.read(), set.size());
    status = after;
    lastGood = set;
    if (failuresBefore > 0) {
      LOGGER.log(
          System.Logger.Level.INFO,
          "discovery source {0} recovered after {1} failed attempts: {2} endpoints",
          source.name(),
          failuresBefore,
          set.size());
    }
    return () -> {
      if (failuresBefore > 0) {
        listener.onRecovered(after, failuresBefore);
      }
      listener.onUpdated(after, set, changed);
    };
  }

  /** Records a failure under {@code lock}; returns the listener call to make once released. */
  private Runnable failLocked(Throwable error) {
    DiscoveryStatus after = status.failed(ticker.read(), error);
    status = after;
    List<Endpoint> kept = lastGood;
    if (after.consecutiveFailures() == 1) {
      LOGGER.log(
          System.Logger.Level.WARNING,
          "discovery source "
              + source.name()
              + " failed; keeping the last good set of "
              + kept.size()
              + " endpoints",
          error);
    }
    return () -> listener.onFailed(after, error, kept);
  }

  /**
   * Calls the listener outside {@code lock}. Sources never overlap their sink calls, so events
   * reach the listener in the order they were applied.
   */
  private void tell(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      LOGGER.log(System.Logger.Level.WARNING, "discovery listener failed on " + source.name(), e);
    }
  }

  private List<Endpoint> validate(List<Endpoint> endpoints) {
    if (endpoints == null) {
      throw new IllegalArgumentException("source " + source.name() + " delivered a null list");
    }
    List<Endpoint> set = List.copyOf(endpoints); // also rejects null elements
    if (set.isEmpty() && !allowEmpty) {
      throw new IllegalArgumentException(
          "source "
              + source.name()
              + " found no endpoints; keeping the last good set (allowEmpty is off)");
    }
    Set<String> ids = new HashSet<>();
    for (Endpoint e : set) {
      if (!ids.add(e.id())) {
        throw new IllegalArgumentException(
            "source " + source.name() + " delivered endpoint id '" + e.id() + "' twice");
      }
    }
    return set;
  }

  /** Where sets go: a balancer (which says whether anything changed) or a plain consumer. */
  @FunctionalInterface
  private interface Target {
    /** Applies {@code next}; returns whether it differs from what was applied before. */
    boolean apply(List<Endpoint> next, List<Endpoint> previous);
  }

  /**
   * Builds a {@link DiscoveryBinding}; {@link #bind(LoadBalancer)} or {@link #bind(Consumer)}
   * starts the source. Not thread-safe.
   */
  public static final class Builder {
    private final EndpointSource source;
    private DiscoveryListener listener = DiscoveryListener.NONE;
    private boolean allowEmpty;
    private Ticker ticker = Ticker.systemTicker();
    private boolean tickerSet;

    private Builder(EndpointSource source) {
      this.source = source;
    }

    /**
     * Sets the listener told of every update, failure and recovery. Defaults to {@link
     * DiscoveryListener#NONE}.
     *
     * @param listener the listener; must not be null
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(DiscoveryListener listener) {
      this.listener = checkNotNull(listener, "listener");
      return this;
    }

    /**
     * Whether an empty set from the source is applied (true) or rejected as a failure that keeps
     * the last good set (false, the default). Allow it for registries where "no instances" is a
     * real state you want honoured, such as a service scaled to zero.
     *
     * @param allowEmpty true to apply empty sets
     * @return this builder
     */
    public Builder allowEmpty(boolean allowEmpty) {
      this.allowEmpty = allowEmpty;
      return this;
    }

    /**
     * Sets the clock for the status's times. Defaults to the balancer's {@link
     * LoadBalancer#ticker()} when bound to a balancer, otherwise to {@link Ticker#systemTicker()}.
     *
     * @param ticker the clock; must not be null
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = checkNotNull(ticker, "ticker");
      this.tickerSet = true;
      return this;
    }

    /**
     * Starts the source and applies each set it finds with {@link LoadBalancer#setEndpoints}.
     *
     * @param balancer the balancer whose membership the source sets; must not be null
     * @return the running binding
     * @throws NullPointerException if {@code balancer} is null
     */
    public DiscoveryBinding bind(LoadBalancer balancer) {
      checkNotNull(balancer, "balancer");
      DiscoveryBinding binding =
          new DiscoveryBinding(
              this,
              (next, previous) -> balancer.setEndpoints(next),
              tickerSet ? ticker : balancer.ticker());
      binding.start();
      return binding;
    }

    /**
     * Starts the source and hands each accepted set to {@code target}: the way adapters (an OkHttp
     * service group, a gRPC name resolver) consume a source. If {@code target} throws, the set
     * counts as a failure and the last good set stays.
     *
     * @param target receives every accepted, complete, immutable set; must not be null, must be
     *     fast and must not block
     * @return the running binding
     * @throws NullPointerException if {@code target} is null
     */
    public DiscoveryBinding bind(Consumer<? super List<Endpoint>> target) {
      checkNotNull(target, "target");
      DiscoveryBinding binding =
          new DiscoveryBinding(
              this,
              (next, previous) -> {
                target.accept(next);
                return !next.equals(previous);
              },
              ticker);
      binding.start();
      return binding;
    }
  }
}
