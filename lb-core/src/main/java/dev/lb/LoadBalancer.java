package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.internal.EndpointState;
import dev.lb.internal.MetricsClock;
import dev.lb.internal.ThreadLocalRandomGenerator;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Picks an endpoint for every call from a changing set of endpoints, using a {@link Strategy}, and
 * keeps live statistics per endpoint from the outcomes callers report on each {@link Lease}.
 *
 * <pre>{@code
 * LoadBalancer balancer = LoadBalancer.builder()
 *     .name("users")
 *     .strategy(Strategies.peakEwma())
 *     .endpoints(List.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080)))
 *     .build();
 *
 * Lease lease = balancer.pick();
 * // send the call to lease.endpoint(), then report exactly once:
 * lease.onSuccess(latencyNanos);
 * }</pre>
 *
 * <h2>Threading</h2>
 *
 * <p>Thread-safe. Picking and reporting are lock-free: {@link #pick} reads one volatile reference
 * to the current immutable snapshot (endpoints plus the strategy's {@link Picker}), asks the
 * picker, and counts the call in flight. Selection allocates nothing; the returned lease is one
 * small object.
 *
 * <p>Membership changes ({@link #addEndpoint}, {@link #removeEndpoint}, {@link #updateEndpoint},
 * {@link #reweight}, {@link #setEndpoints}) are applied one at a time on a serialized path: each
 * builds the next snapshot, including a new picker, and publishes it with a single volatile write
 * before returning. A pick that starts after a change returned sees it; a pick already under way
 * may still return an endpoint just removed. Changes that change nothing are skipped. Live
 * statistics are kept per endpoint id and survive every change but the endpoint's removal.
 */
public final class LoadBalancer {
  private final String name;
  private final Strategy strategy;
  private final StrategyContext strategyContext;
  private final MetricsClock metricsClock;
  private final Object updateLock = new Object();
  private volatile Snapshot snapshot;

  private LoadBalancer(Builder builder) {
    this.name = builder.name;
    this.strategy = builder.strategy;
    this.strategyContext = new StrategyContext(builder.random, builder.ticker);
    this.metricsClock =
        new MetricsClock(
            builder.ticker,
            builder.decayWindow.toNanos(),
            strategy.usesPeakEwma(),
            strategy.usesThroughput());
    List<EndpointState> states = new ArrayList<>(builder.endpoints.size());
    for (Endpoint e : builder.endpoints.values()) {
      states.add(new EndpointState(e, metricsClock));
    }
    this.snapshot = newSnapshot(states, 0);
  }

  /**
   * Returns a builder; every option has a default except the endpoints, which may come later.
   *
   * @return a new builder with the default options and no endpoints
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The balancer's name, used in stats and error messages.
   *
   * @return the name set with {@link Builder#name(String)}, {@code default} if none was set
   */
  public String name() {
    return name;
  }

  /**
   * The strategy this balancer picks with.
   *
   * @return the strategy set with {@link Builder#strategy(Strategy)}, {@link
   *     Strategies#roundRobin()} if none was set
   */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * The clock this balancer's time-based statistics use; callers may time calls with it too.
   *
   * @return the ticker set with {@link Builder#ticker(Ticker)}, {@link Ticker#systemTicker()} if
   *     none was set
   */
  public Ticker ticker() {
    return strategyContext.ticker();
  }

  /**
   * Picks an endpoint for a call that carries no key or attributes.
   *
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once
   * @throws NoEndpointAvailableException if no endpoint can take the call
   */
  public Lease pick() {
    return pick(PickContext.none());
  }

  /**
   * Picks an endpoint for a call and counts the call in flight on it. Report the call's outcome on
   * the returned lease exactly once.
   *
   * @param context what the strategy may know about the call (affinity key, attributes); {@link
   *     PickContext#none()} if nothing
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once
   * @throws NoEndpointAvailableException if no endpoint can take the call
   */
  public Lease pick(PickContext context) {
    Snapshot s = snapshot;
    EndpointState chosen = s.choose(context);
    if (chosen == null) {
      throw noEndpoint(s);
    }
    return lease(chosen);
  }

  /**
   * Like {@link #pick(PickContext)}, but returns null instead of throwing when no endpoint can take
   * the call.
   *
   * @param context what the strategy may know about the call (affinity key, attributes); {@link
   *     PickContext#none()} if nothing
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once,
   *     or null if no endpoint can take the call
   */
  public @Nullable Lease tryPick(PickContext context) {
    EndpointState chosen = snapshot.choose(context);
    return chosen == null ? null : lease(chosen);
  }

  /** Counts the call in flight on {@code chosen} and hands out its lease. */
  private static Lease lease(EndpointState chosen) {
    chosen.acquire();
    return new Lease(chosen);
  }

  /**
   * The current endpoints, in membership order; an immutable list.
   *
   * @return the members as of the latest membership change, which later changes do not alter; empty
   *     if the balancer has none
   */
  public List<Endpoint> endpoints() {
    return snapshot.endpoints;
  }

  /**
   * Returns a copy of every endpoint's live statistics, in membership order.
   *
   * @return a new immutable snapshot of the statistics, with time-decayed values decayed to the
   *     ticker's current reading
   */
  public BalancerStats stats() {
    Snapshot s = snapshot;
    long now = strategyContext.ticker().read();
    List<EndpointStats> list = new ArrayList<>(s.states.size());
    for (EndpointState e : s.states) {
      list.add(
          new EndpointStats(
              e.endpoint(),
              e.inFlight(),
              e.successes(),
              e.failures(),
              e.cancels(),
              e.latencyEwmaNanos(),
              e.peakEwmaNanos(now),
              e.responseBytes(),
              e.throughputBytesPerSecond(now),
              e.lastFailure()));
    }
    return new BalancerStats(name, strategy.name(), s.version, list);
  }

  /**
   * Adds an endpoint.
   *
   * @param endpoint the endpoint to add at the end of the membership; must not be null
   * @throws IllegalArgumentException if an endpoint with the same id is already a member
   */
  public void addEndpoint(Endpoint endpoint) {
    checkNotNull(endpoint, "endpoint");
    synchronized (updateLock) {
      checkArgument(
          !snapshot.byId.containsKey(endpoint.id()),
          "endpoint id '%s' is already a member of balancer '%s'",
          endpoint.id(),
          name);
      List<Endpoint> next = new ArrayList<>(snapshot.endpoints);
      next.add(endpoint);
      apply(next);
    }
  }

  /**
   * Removes the endpoint with this id. Calls already picked onto it finish normally and are counted
   * on its (now detached) statistics.
   *
   * @param id the {@link Endpoint#id() id} of the endpoint to remove
   * @return true if it was a member
   */
  public boolean removeEndpoint(String id) {
    synchronized (updateLock) {
      List<Endpoint> next = new ArrayList<>(snapshot.endpoints);
      return next.removeIf(e -> e.id().equals(id)) && apply(next);
    }
  }

  /**
   * Replaces the member that has {@code endpoint}'s id with {@code endpoint} (new weight, zone,
   * metadata or address), keeping its live statistics.
   *
   * @param endpoint the new configuration of the member with the same {@link Endpoint#id() id};
   *     must not be null
   * @return true if anything changed
   * @throws IllegalArgumentException if no member has that id
   */
  public boolean updateEndpoint(Endpoint endpoint) {
    checkNotNull(endpoint, "endpoint");
    synchronized (updateLock) {
      checkArgument(
          snapshot.byId.containsKey(endpoint.id()),
          "no endpoint with id '%s' in balancer '%s'",
          endpoint.id(),
          name);
      List<Endpoint> next = new ArrayList<>(snapshot.endpoints);
      next.replaceAll(e -> e.id().equals(endpoint.id()) ? endpoint : e);
      return apply(next);
    }
  }

  /**
   * Sets the weight of the member with this id.
   *
   * @param id the {@link Endpoint#id() id} of the member to reweight
   * @param weight the member's new relative weight; must be positive
   * @return true if the weight changed
   * @throws IllegalArgumentException if no member has that id, or {@code weight} is not positive
   */
  public boolean reweight(String id, int weight) {
    synchronized (updateLock) {
      EndpointState state = snapshot.byId.get(id);
      if (state == null) {
        throw new IllegalArgumentException(
            String.format("no endpoint with id '%s' in balancer '%s'", id, name));
      }
      return updateEndpoint(state.endpoint().toBuilder().weight(weight).build());
    }
  }

  /**
   * Replaces the whole membership, as a discovery source does: endpoints whose id is new are added,
   * members whose id is absent are removed, and members whose id is kept take the new configuration
   * and keep their statistics. Order follows {@code endpoints}.
   *
   * @param endpoints the complete new membership, in the order to keep; must not be null or contain
   *     null, may be empty
   * @return true if anything changed
   * @throws IllegalArgumentException if two endpoints share an id
   */
  public boolean setEndpoints(Collection<Endpoint> endpoints) {
    List<Endpoint> next = List.copyOf(indexById(endpoints).values());
    synchronized (updateLock) {
      return apply(next);
    }
  }

  /**
   * The one place membership changes: builds the snapshot for {@code desired} (distinct ids) and
   * publishes it. Runs under {@code updateLock}. If the strategy fails to build a picker, every
   * member's configuration is rolled back and the current snapshot stays.
   */
  private boolean apply(List<Endpoint> desired) {
    Snapshot current = snapshot;
    if (current.endpoints.equals(desired)) {
      return false;
    }
    List<EndpointState> states = new ArrayList<>(desired.size());
    Map<EndpointState, Endpoint> changed = new HashMap<>();
    for (Endpoint e : desired) {
      EndpointState state = current.byId.get(e.id());
      if (state == null) {
        state = new EndpointState(e, metricsClock);
      } else if (!state.endpoint().equals(e)) {
        changed.put(state, state.endpoint());
        state.endpoint(e);
      }
      states.add(state);
    }
    try {
      snapshot = newSnapshot(states, current.version + 1);
    } catch (RuntimeException e) {
      changed.forEach(EndpointState::endpoint);
      throw e;
    }
    return true;
  }

  private Snapshot newSnapshot(List<EndpointState> states, long version) {
    List<EndpointState> frozen = List.copyOf(states);
    Picker picker = EMPTY_PICKER;
    if (!frozen.isEmpty()) {
      picker =
          checkNotNull(
              strategy.newPicker(List.copyOf(frozen), strategyContext),
              "picker built by strategy " + strategy.name());
    }
    return new Snapshot(frozen, picker, version);
  }

  private static Map<String, Endpoint> indexById(Collection<Endpoint> endpoints) {
    checkNotNull(endpoints, "endpoints");
    Map<String, Endpoint> byId = new LinkedHashMap<>();
    for (Endpoint e : endpoints) {
      checkNotNull(e, "endpoint");
      Endpoint previous = byId.put(e.id(), e);
      checkArgument(previous == null, "endpoints must have distinct ids but '%s' repeats", e.id());
    }
    return byId;
  }

  private NoEndpointAvailableException noEndpoint(Snapshot s) {
    int count = s.states.size();
    String message =
        count == 0
            ? "no endpoint available in balancer '" + name + "': it has 0 endpoints"
            : "no endpoint available in balancer '"
                + name
                + "': strategy "
                + strategy.name()
                + " chose none of its "
                + count
                + " endpoints ("
                + count
                + " active)";
    return new NoEndpointAvailableException(message, name, count);
  }

  @Override
  public String toString() {
    Snapshot s = snapshot;
    return "LoadBalancer{" + name + ", " + strategy.name() + ", " + s.states.size() + " endpoints}";
  }

  private static final Picker EMPTY_PICKER = context -> null;

  /** One immutable membership: what {@link #pick} reads. */
  private static final class Snapshot {
    final List<EndpointState> states;
    final List<Endpoint> endpoints;
    final Map<String, EndpointState> byId;
    final Picker picker;
    final long version;

    Snapshot(List<EndpointState> states, Picker picker, long version) {
      this.states = states;
      this.picker = picker;
      this.version = version;
      List<Endpoint> config = new ArrayList<>(states.size());
      Map<String, EndpointState> index = new HashMap<>();
      for (EndpointState s : states) {
        config.add(s.endpoint());
        index.put(s.endpoint().id(), s);
      }
      this.endpoints = List.copyOf(config);
      this.byId = index;
    }

    @Nullable EndpointState choose(PickContext context) {
      LiveEndpoint chosen = picker.pick(context);
      if (chosen == null) {
        return null;
      }
      if (chosen instanceof EndpointState state) {
        return state;
      }
      throw new IllegalStateException(
          "picker returned " + chosen + ", which is not one of the endpoints it was given");
    }
  }

  /** Builds a {@link LoadBalancer}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private String name = "default";
    private Strategy strategy = Strategies.roundRobin();
    private Ticker ticker = Ticker.systemTicker();
    private RandomGenerator random = ThreadLocalRandomGenerator.INSTANCE;
    private Duration decayWindow = Duration.ofSeconds(10);
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Names the balancer in stats, errors and logs. Defaults to {@code default}.
     *
     * @param name the balancer's name, such as the name of the service it calls; must not be null
     *     or blank
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Builder name(String name) {
      this.name = checkNotBlank(name, "name");
      return this;
    }

    /**
     * Sets the selection strategy. Defaults to {@link Strategies#roundRobin()}.
     *
     * @param strategy the strategy that picks an endpoint for each call, usually one of {@link
     *     Strategies}; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code strategy} is null
     */
    public Builder strategy(Strategy strategy) {
      this.strategy = checkNotNull(strategy, "strategy");
      return this;
    }

    /**
     * Adds endpoints to the initial membership, after any added before.
     *
     * @param endpoints the endpoints to add, in membership order; must not be null or contain null
     * @return this builder
     * @throws IllegalArgumentException if an id repeats
     */
    public Builder endpoints(Collection<Endpoint> endpoints) {
      for (Endpoint e : indexById(endpoints).values()) {
        addEndpoint(e);
      }
      return this;
    }

    /**
     * Adds one endpoint to the initial membership.
     *
     * @param endpoint the endpoint to add after any added before; must not be null
     * @return this builder
     * @throws IllegalArgumentException if its id was added before
     */
    public Builder addEndpoint(Endpoint endpoint) {
      checkNotNull(endpoint, "endpoint");
      checkArgument(
          !endpoints.containsKey(endpoint.id()),
          "endpoints must have distinct ids but '%s' repeats",
          endpoint.id());
      endpoints.put(endpoint.id(), endpoint);
      return this;
    }

    /**
     * Sets the clock for time-based statistics. Defaults to {@link Ticker#systemTicker()}.
     *
     * @param ticker the source of monotonic nanosecond time, a fake one in tests and simulations;
     *     must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code ticker} is null
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = checkNotNull(ticker, "ticker");
      return this;
    }

    /**
     * Sets the random source strategies draw from. It is called concurrently by every picking
     * thread, so it must be thread-safe unless the balancer is used from one thread only (a seeded
     * {@link java.util.SplittableRandom} makes a single-threaded test reproducible). Defaults to
     * the calling thread's {@link java.util.concurrent.ThreadLocalRandom}.
     *
     * @param random the random source for randomized strategies; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = checkNotNull(random, "random");
      return this;
    }

    /**
     * Sets the time constant of time-decayed statistics (peak EWMA, throughput): a sample loses 63%
     * of its weight after one window, so an endpoint that stopped being slow or busy looks better
     * again within a few windows. Defaults to 10 seconds, as in Finagle.
     *
     * @param decayWindow the decay time constant; must be positive, resolved to nanoseconds
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder decayWindow(Duration decayWindow) {
      checkNotNull(decayWindow, "decayWindow");
      checkArgument(
          !decayWindow.isNegative() && !decayWindow.isZero(),
          "decayWindow must be positive but was %s",
          decayWindow);
      this.decayWindow = decayWindow;
      return this;
    }

    /**
     * Returns the balancer.
     *
     * @return a new balancer with the options and initial endpoints set on this builder
     */
    public LoadBalancer build() {
      return new LoadBalancer(this);
    }
  }
}
