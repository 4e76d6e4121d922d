package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;
import static java.util.Objects.requireNonNull;

import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.internal.ThreadLocalRandomGenerator;
import dev.lb.limit.ConcurrencyLimitFactory;
import dev.lb.limit.RateLimiterFactory;
import dev.lb.retry.RetryBudget;
import dev.lb.retry.RetryBudgetListener;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Picks an endpoint for every call from a changing set of endpoints, using a {@link Strategy},
 * keeps live statistics per endpoint from the outcomes callers report on each {@link Lease}, and
 * keeps unhealthy endpoints out of rotation.
 *
 * <pre>{@code
 * LoadBalancer balancer = LoadBalancer.builder()
 *     .name("users")
 *     .strategy(Strategies.peakEwma())
 *     .endpoints(List.of(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080)))
 *     .healthCheck(HealthCheckConfig.builder(TcpHealthChecker.create()).build())
 *     .build();
 *
 * Lease lease = balancer.pick();
 * // send the call to lease.endpoint(), then report exactly once:
 * lease.onSuccess(latencyNanos);
 * }</pre>
 *
 * <h2>Health</h2>
 *
 * <p>Each endpoint has a {@link HealthStatus}. Active checks ({@link Builder#healthCheck}) flip it
 * between healthy and unhealthy after rise/fall thresholds; outlier detection ({@link
 * Builder#outlierDetection}, on by default) ejects endpoints whose reported calls fail; {@link
 * #drain}, {@link #disable} and {@link #enable} take endpoints out and back administratively;
 * {@link #markDown}/{@link #markUp} let a transport report connectivity. Calls go to healthy
 * endpoints only, split across priority levels and zones, unless the healthy share falls below the
 * panic threshold, when they go to every endpoint that is not draining, disabled, marked down or
 * behind an open breaker. Priority levels and panic follow Envoy's rules, per level (see {@link
 * Builder#panicThreshold}). Backup endpoints take calls only when no primary endpoint is healthy.
 * Endpoints that join or recover ramp up under {@link Builder#slowStart}. See docs/ARCHITECTURE.md
 * for the state diagram.
 *
 * <h2>Threading</h2>
 *
 * <p>Thread-safe. Picking and reporting are lock-free: {@link #pick} reads one volatile reference
 * to the current immutable snapshot (endpoints plus the strategy's {@link Picker}), asks the
 * picker, checks the choice is still available and under its concurrency limit, and counts the call
 * in flight. Selection allocates nothing; the returned lease is one small object. A balancer-wide
 * {@link Builder#concurrencyLimit concurrency limit} adds one compare-and-set on a shared counter
 * before the picker is asked; {@link #pickAsync} waits for capacity without holding a thread.
 *
 * <p>Every change (membership, health, ejection, drain, slow-start step) is applied on one
 * serialized path, under a lock that picking never takes, and publishes a new snapshot before the
 * call that made it returns. Signals from the lease path (a failure streak, the last call of a
 * draining endpoint) are applied at once by the reporting thread if the lock is free (tryLock), and
 * otherwise handed to the {@link Scheduler}, so reporting never waits. Health checks run on the
 * scheduler too, never on a caller's thread. Listeners are called after the change, by the thread
 * that made it, never under the lock.
 *
 * <p>A pick that starts after a change returned sees it; a pick already under way may still return
 * an endpoint just removed or ejected. Live statistics are kept per endpoint id and survive every
 * change; a removed endpoint's statistics go once it has drained.
 *
 * <p>{@link #close()} stops every timer; later picks and changes fail with {@link
 * IllegalStateException}, while leases already taken can still be reported.
 *
 * <p>Every method throws {@link NullPointerException} naming the parameter when an argument is
 * null, and {@link IllegalArgumentException} naming the option and quoting the value when it is
 * invalid.
 *
 * <h2>Structure</h2>
 *
 * <p>This class is the facade: the hot path, the membership and admin verbs, stats and close.
 * Behind it a {@code BalancerEngine} orchestrates one package-private class per rule (membership
 * diff, status transitions, routing and the priority split, slow start, active checks, outlier
 * ejection, drains, breaker routing, the diagnosis of "no endpoint") on one serialized update path;
 * docs/ARCHITECTURE.md has the map.
 */
public final class LoadBalancer implements AutoCloseable {
  private final String name;
  private final Strategy strategy;
  private final StrategyContext strategyContext;
  private final Scheduler scheduler;
  private final int maxInFlight;
  private final int panicThreshold;
  private final @Nullable RetryBudget retryBudget;
  private final UpdatePath updates;
  private final BalancerEngine engine;
  private final CallListeners callListeners = new CallListeners();
  private final Admission admission;
  private final PickFallback fallback;
  private final @Nullable TrafficPolicy trafficPolicy;

  /** What picks read: replaced, never changed, on the serialized path. */
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  private LoadBalancer(Builder builder) {
    this.name = builder.name;
    this.strategy = builder.strategy;
    this.strategyContext = new StrategyContext(builder.random, builder.ticker);
    this.maxInFlight = builder.maxInFlightPerEndpoint;
    this.panicThreshold = builder.panicThreshold;
    this.retryBudget = builder.retryBudget;
    this.trafficPolicy = builder.trafficPolicy;
    this.updates =
        new UpdatePath(builder.name, builder.listeners, builder.scheduler, builder.stateExecutor);
    this.scheduler = updates.timers();
    MetricsClock metricsClock =
        MetricsClock.forStrategy(
            builder.ticker,
            builder.decayWindow.toNanos(),
            strategy,
            builder.latencyWindow.toNanos());
    this.engine =
        new BalancerEngine(
            this,
            name,
            strategy,
            strategyContext,
            metricsClock,
            callListeners,
            updates,
            builder.healthCheck,
            builder.outlierDetection,
            builder.slowStart,
            builder.panicThreshold,
            builder.localZone,
            builder.trafficPolicy,
            builder.overprovisioning,
            builder.removalDrainTimeout.toNanos(),
            builder.breakerFactory,
            builder.limiterFactory,
            builder.retryBudget);
    ConcurrencyLimitFactory balancerLimit = builder.balancerLimit;
    this.admission =
        new Admission(
            this,
            scheduler,
            balancerLimit == null
                ? null
                : checkNotNull(balancerLimit.create(builder.ticker), "balancer concurrency limit"));
    engine.concurrencyLimits(maxInFlight, builder.endpointLimit, admission);
    this.fallback =
        new PickFallback(this, updates, strategyContext.random(), maxInFlight, panicThreshold);
    RetryBudget budget = builder.retryBudget;
    if (budget != null) {
      budget.addListener(new BudgetSignals());
    }
    Subsetting subsetting = builder.subsetting;
    if (subsetting != null) {
      ClientCoordinate coordinate = builder.clientCoordinate;
      engine.subsetting(
          SubsetFilter.of(subsetting, coordinate != null ? coordinate : ClientCoordinate.of(0, 1)));
    }
    LoadBalancer previous = builder.predecessor;
    engine.start(
        builder.endpoints.values(),
        previous == null
            ? Inheritance.none()
            : previous.engine.locked(previous.engine::inheritance));
  }

  /** The balancer-wide admission (cap and waiters). */
  Admission admission() {
    return admission;
  }

  /** The routing snapshot picks read now. */
  Snapshot snapshot() {
    return snapshot;
  }

  /** Publishes a new routing snapshot; called on the serialized path only. */
  void publish(Snapshot next) {
    snapshot = next;
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
   * The scheduler this balancer runs health checks and timers on.
   *
   * @return the scheduler set with {@link Builder#scheduler(Scheduler)}, {@link
   *     Scheduler#systemScheduler()} if none was set
   */
  public Scheduler scheduler() {
    return scheduler;
  }

  /**
   * The retry budget adapters share for calls through this balancer, if one was set.
   *
   * @return the budget set with {@link Builder#retryBudget(RetryBudget)}, or null
   */
  public @Nullable RetryBudget retryBudget() {
    return retryBudget;
  }

  /** Budget exhaustion and recovery, forwarded to the balancer's listeners. */
  private final class BudgetSignals extends RetryBudgetListener {
    @Override
    public void onExhausted(RetryBudget budget) {
      updates.deliverNow(l -> l.onRetryBudgetExhausted(LoadBalancer.this, budget));
    }

    @Override
    public void onReplenished(RetryBudget budget) {
      updates.deliverNow(l -> l.onRetryBudgetReplenished(LoadBalancer.this, budget));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Picking

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
   * @param context what the strategy may know about the call (affinity key, attributes, endpoints
   *     to avoid); {@link PickContext#none()} if nothing
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once
   * @throws NoEndpointAvailableException if no endpoint can take the call; its {@link
   *     NoEndpointAvailableException#reason() reason} says why
   * @throws NullPointerException if {@code context} is null
   * @throws IllegalStateException if the balancer is closed
   */
  public Lease pick(PickContext context) {
    checkNotNull(context, "context");
    return requireNonNull(admit(context, true, true));
  }

  /**
   * Like {@link #pick(PickContext)}, but returns null instead of throwing when no endpoint can take
   * the call.
   *
   * @param context what the strategy may know about the call (affinity key, attributes, endpoints
   *     to avoid); {@link PickContext#none()} if nothing
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once,
   *     or null if no endpoint can take the call
   * @throws NullPointerException if {@code context} is null
   * @throws IllegalStateException if the balancer is closed
   */
  public @Nullable Lease tryPick(PickContext context) {
    checkNotNull(context, "context");
    return admit(context, false, true);
  }

  /** A pick for a waiter: null without a word when there is no capacity. */
  @Nullable Lease tryPickQuietly(PickContext context) {
    return admit(context, false, false);
  }

  /**
   * Picks an endpoint for a call, waiting up to {@code maxWait} for capacity when the balancer-wide
   * or every endpoint's concurrency limit refuses it ({@link
   * NoEndpointAvailableException.Reason#AT_CAPACITY}); any other reason fails at once.
   *
   * <p>The wait holds no thread: the caller queues (first come, first served) and is served by the
   * thread whose lease report frees capacity, which picks for it and completes the returned stage
   * with the lease (dependent stages not made {@code async} run on that thread, so keep them
   * short); at the deadline, measured by the balancer's {@link Builder#scheduler scheduler}, it is
   * completed by a last pick, or with the {@link NoEndpointAvailableException} that pick throws.
   * Only lease reports wake waiters: capacity that comes back otherwise (a rate limiter refilling,
   * an endpoint added or recovering) is seen by the next report or at the deadline. If the caller
   * cancels the stage, a lease completed at the same moment is given back ({@link Lease#onCancel}).
   *
   * @param context what the strategy may know about the call; {@link PickContext#none()} if nothing
   * @param maxWait how long to wait at most; zero does not wait
   * @return a stage completed with a lease (report its outcome exactly once), or exceptionally with
   *     {@link NoEndpointAvailableException} or, if the balancer is closed, {@link
   *     IllegalStateException}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code maxWait} is negative
   */
  public CompletableFuture<Lease> pickAsync(PickContext context, Duration maxWait) {
    checkNotNull(context, "context");
    checkNotNull(maxWait, "maxWait");
    checkArgument(!maxWait.isNegative(), "maxWait must not be negative but was %s", maxWait);
    try {
      return CompletableFuture.completedFuture(requireNonNull(admit(context, true, false)));
    } catch (NoEndpointAvailableException e) {
      if (e.reason() != NoEndpointAvailableException.Reason.AT_CAPACITY || maxWait.isZero()) {
        updates.deliverNow(l -> l.onNoEndpointAvailable(this, e.reason()));
        return CompletableFuture.failedFuture(e);
      }
      return admission.await(context, maxWait.toNanos());
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Like {@link #pickAsync}, blocking the calling thread until the lease or the refusal. The
   * deadline is the balancer's scheduler's, as for {@code pickAsync}; the thread parks meanwhile
   * (no spinning).
   *
   * @param context what the strategy may know about the call; {@link PickContext#none()} if nothing
   * @param maxWait how long to wait at most; zero does not wait
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once
   * @throws NoEndpointAvailableException if no endpoint took the call within {@code maxWait}
   * @throws InterruptedException if the thread is interrupted while waiting (it then holds no
   *     lease)
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code maxWait} is negative
   * @throws IllegalStateException if the balancer is closed
   */
  public Lease pick(PickContext context, Duration maxWait) throws InterruptedException {
    return PickFallback.await(pickAsync(context, maxWait));
  }

  /**
   * Admission: a balancer-wide slot, then an endpoint. Returns null (or throws, if {@code fail})
   * when nothing takes the call; {@code emit} tells listeners of a refusal.
   */
  private @Nullable Lease admit(PickContext context, boolean fail, boolean emit) {
    TrafficPolicy policy = trafficPolicy;
    if (policy != null) {
      TrafficPolicy.Drop drop = policy.draw(strategyContext.random());
      if (drop != null) {
        return fallback.dropped(drop, fail, emit);
      }
    }
    if (!admission.tryEnter()) {
      return fallback.atBalancerLimit(fail, emit);
    }
    EndpointState chosen = snapshot.choose(context, maxInFlight, strategyContext.random(), true);
    if (chosen == null) {
      try {
        chosen = fallback.retry(context, true, fail, emit);
      } finally {
        if (chosen == null) {
          admission.leave();
        }
      }
      if (chosen == null) {
        return null;
      }
    }
    return new Lease(chosen);
  }

  /**
   * Chooses an endpoint the way {@link #pick(PickContext)} does, without counting a call on it: no
   * lease, nothing added in flight, no breaker permission or rate-limit permit taken. For routing
   * decisions that are not calls: which endpoint owns a key, where to open a long-lived connection
   * or subscription; and for callers that count their calls elsewhere.
   *
   * <p>It honours health, ejection, draining, panic mode, zones and priorities, exclusions and the
   * per-endpoint concurrency limit (compared, without taking a slot). It differs from a pick in
   * three ways: an endpoint whose half-open breaker has no probe left, or whose rate limiter is
   * empty, can still be chosen; load-aware strategies see nothing of these choices (they rank by
   * the calls that leases count); and the strategy's own state moves as for a pick (round robin's
   * position advances, random strategies draw), so choices interleaved with picks shift the
   * sequence the picks get. For a key's owner under a hash strategy it is exactly the pick's
   * answer. Lock-free and allocation-free.
   *
   * @param context what the strategy may know about the decision (affinity key, attributes,
   *     endpoints to avoid); {@link PickContext#none()} if nothing
   * @return the chosen endpoint's configuration
   * @throws NoEndpointAvailableException if no endpoint is available; its {@link
   *     NoEndpointAvailableException#reason() reason} says why
   * @throws NullPointerException if {@code context} is null
   * @throws IllegalStateException if the balancer is closed
   */
  public Endpoint choose(PickContext context) {
    checkNotNull(context, "context");
    EndpointState chosen = snapshot.choose(context, maxInFlight, strategyContext.random(), false);
    if (chosen == null) {
      chosen = fallback.retry(context, false, true, true);
    }
    return requireNonNull(chosen).endpoint();
  }

  // ---------------------------------------------------------------------------------------------
  // Membership

  /**
   * The current endpoints, in membership order; an immutable list. Draining removed endpoints are
   * not members.
   *
   * @return the members as of the latest membership change, which later changes do not alter; empty
   *     if the balancer has none
   */
  public List<Endpoint> endpoints() {
    return snapshot.endpoints;
  }

  /**
   * Adds an endpoint. Unless it is among the first endpoints, it ramps up under slow start.
   *
   * @param endpoint the endpoint to add at the end of the membership; must not be null
   * @throws IllegalArgumentException if an endpoint with the same id is already a member
   */
  public void addEndpoint(Endpoint endpoint) {
    checkNotNull(endpoint, "endpoint");
    engine.locked(
        () -> {
          checkArgument(
              !engine.isMember(endpoint.id()),
              "endpoint id '%s' is already a member of balancer '%s'",
              endpoint.id(),
              name);
          List<Endpoint> next = new ArrayList<>(engine.memberEndpoints());
          next.add(endpoint);
          return engine.apply(next);
        });
  }

  /**
   * Removes the endpoint with this id. It takes no new calls; calls already picked onto it finish
   * normally while it drains, for at most the {@link Builder#removalDrainTimeout}, after which its
   * statistics go.
   *
   * @param id the {@link Endpoint#id() id} of the endpoint to remove
   * @return true if it was a member
   */
  public boolean removeEndpoint(String id) {
    checkNotNull(id, "id");
    return engine.locked(
        () -> {
          List<Endpoint> next = new ArrayList<>(engine.memberEndpoints());
          return next.removeIf(e -> e.id().equals(id)) && engine.apply(next);
        });
  }

  /**
   * Replaces the member that has {@code endpoint}'s id with {@code endpoint} (new weight, zone,
   * priority, metadata or address), keeping its live statistics and health.
   *
   * @param endpoint the new configuration of the member with the same {@link Endpoint#id() id};
   *     must not be null
   * @return true if anything changed
   * @throws IllegalArgumentException if no member has that id
   */
  public boolean updateEndpoint(Endpoint endpoint) {
    checkNotNull(endpoint, "endpoint");
    return engine.locked(
        () -> {
          checkArgument(
              engine.isMember(endpoint.id()),
              "no endpoint with id '%s' in balancer '%s'",
              endpoint.id(),
              name);
          List<Endpoint> next = new ArrayList<>(engine.memberEndpoints());
          next.replaceAll(e -> e.id().equals(endpoint.id()) ? endpoint : e);
          return engine.apply(next);
        });
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
    checkNotNull(id, "id");
    return engine.locked(
        () -> {
          Member m = engine.member(id);
          return updateEndpoint(m.endpoint().toBuilder().weight(weight).build());
        });
  }

  /**
   * Replaces the whole membership, as a discovery source does: endpoints whose id is new are added
   * (with slow start), members whose id is absent are removed (and drain), and members whose id is
   * kept take the new configuration and keep their statistics and health. Order follows {@code
   * endpoints}.
   *
   * @param endpoints the complete new membership, in the order to keep; must not be null or contain
   *     null, may be empty
   * @return true if anything changed
   * @throws IllegalArgumentException if two endpoints share an id
   */
  public boolean setEndpoints(Collection<Endpoint> endpoints) {
    List<Endpoint> next = List.copyOf(indexById(endpoints).values());
    return engine.locked(() -> engine.apply(next));
  }

  // ---------------------------------------------------------------------------------------------
  // Administrative states and external health

  /**
   * Drains the member with this id: it takes no new calls, and the returned stage completes when
   * its calls in flight have finished ({@link DrainResult#DRAINED}), when {@code timeout} passes
   * first ({@link DrainResult#TIMED_OUT}), or when {@link #enable} cancels the drain ({@link
   * DrainResult#CANCELLED}). The endpoint stays a member, draining, until enabled or removed: use
   * this before a deploy stops a backend (the "deregistration delay").
   *
   * @param id the {@link Endpoint#id() id} of the member to drain
   * @param timeout how long to wait for calls in flight; must be positive
   * @return a stage completed, on the thread that ended the drain, with how it ended; if the member
   *     is draining already, the stage of that drain
   * @throws IllegalArgumentException if no member has that id or {@code timeout} is not positive
   */
  public CompletionStage<DrainResult> drain(String id, Duration timeout) {
    checkNotNull(timeout, "timeout");
    checkArgument(
        !timeout.isNegative() && !timeout.isZero(), "timeout must be positive but was %s", timeout);
    checkNotNull(id, "id");
    long nanos = timeout.toNanos();
    return engine.locked(() -> engine.drain(id, nanos));
  }

  /**
   * Moves this client to a new coordinate among the clients of the same backends (a client joined
   * or left, or this one was renumbered) and recomputes its subset on the update path, before the
   * call returns. Under deterministic aperture, each client moved by one index moves its window by
   * {@code backends/clients} slices, so few members change; random subsetting ignores the
   * coordinate. Without subsetting it only records nothing and returns false.
   *
   * @param coordinate the new coordinate; must not be null
   * @return true if the coordinate changed (and the subset was recomputed)
   * @throws IllegalStateException if the balancer is closed
   */
  public boolean updateClientCoordinate(ClientCoordinate coordinate) {
    checkNotNull(coordinate, "clientCoordinate");
    return engine.locked(() -> engine.clientCoordinate(coordinate));
  }

  /**
   * This client's coordinate under subsetting.
   *
   * @return the coordinate set on the builder or by {@link #updateClientCoordinate}; null without
   *     subsetting; client 0 of 1 when the subsetting ignores coordinates and none was set
   */
  public @Nullable ClientCoordinate clientCoordinate() {
    SubsetFilter filter = engine.subsets();
    return filter == null ? null : engine.locked(filter::coordinate);
  }

  /**
   * The subsetting this balancer filters its members with.
   *
   * @return the subsetting set with {@link Builder#subsetting}, or null if every member is routed
   */
  public @Nullable Subsetting subsetting() {
    SubsetFilter filter = engine.subsets();
    return filter == null ? null : filter.subsetting();
  }

  /**
   * Takes the member with this id out of rotation for maintenance: it takes no calls, not even in
   * panic mode, until {@link #enable enabled}. Calls in flight finish normally.
   *
   * @param id the {@link Endpoint#id() id} of the member to disable
   * @return true if it was not disabled already
   * @throws IllegalArgumentException if no member has that id
   */
  public boolean disable(String id) {
    checkNotNull(id, "id");
    return engine.locked(() -> engine.disable(id));
  }

  /**
   * Puts a disabled or draining member back into rotation, cancelling its drain. Its health
   * (checks, ejection) is as it was.
   *
   * @param id the {@link Endpoint#id() id} of the member to enable
   * @return true if it was disabled or draining
   * @throws IllegalArgumentException if no member has that id
   */
  public boolean enable(String id) {
    checkNotNull(id, "id");
    return engine.locked(() -> engine.enable(id));
  }

  /**
   * Marks the member with this id unhealthy on outside evidence, such as a transport that lost its
   * connection to it. It stays unhealthy until {@link #markUp}, whatever its checks say.
   *
   * @param id the {@link Endpoint#id() id} of the member
   * @param reason why, for events and logs; must not be null or blank
   * @return true if it was not marked down already
   * @throws IllegalArgumentException if no member has that id or {@code reason} is blank
   */
  public boolean markDown(String id, String reason) {
    checkNotNull(id, "id");
    checkNotBlank(reason, "reason");
    return engine.locked(() -> engine.markDown(id, reason));
  }

  /**
   * Clears {@link #markDown}: the member is healthy again unless something else keeps it out. It
   * ramps up under slow start.
   *
   * @param id the {@link Endpoint#id() id} of the member
   * @return true if it was marked down
   * @throws IllegalArgumentException if no member has that id
   */
  public boolean markUp(String id) {
    checkNotNull(id, "id");
    return engine.locked(() -> engine.markUp(id));
  }

  /**
   * The health of the member with this id, or of a removed endpoint still draining.
   *
   * @param id an {@link Endpoint#id() endpoint id}
   * @return its status, or null if the balancer has no such endpoint
   */
  public @Nullable HealthStatus health(String id) {
    checkNotNull(id, "id");
    return engine.locked(() -> engine.health(id));
  }

  /**
   * Hands the balancer a load report the backend of endpoint {@code id} sent outside any call (an
   * out-of-band stream, a metrics poll): it becomes the endpoint's latest report, as with {@link
   * Lease#onLoadReport}. Lock-free and safe from any thread; it finds the endpoint by a scan of the
   * current members, so it suits reports every few seconds per endpoint rather than per call (per
   * call, report on the lease).
   *
   * @param id an {@link Endpoint#id() endpoint id}
   * @param report the backend's report
   * @return true if the balancer has a member with that id, which now holds the report; false if
   *     not (the report is dropped)
   * @throws NullPointerException if an argument is null
   */
  public boolean reportLoad(String id, LoadReport report) {
    checkNotNull(id, "id");
    checkNotNull(report, "report");
    for (EndpointState state : snapshot.states) {
      if (state.endpoint().id().equals(id)) {
        state.onLoadReport(report);
        return true;
      }
    }
    return false;
  }

  /**
   * Closes the balancer: stops health checks, outlier detection and every timer (ejections, breaker
   * waits, slow-start steps, drain timeouts), and ends pending drains with {@link
   * DrainResult#CANCELLED}. Afterwards {@link #pick}, {@link #tryPick}, {@link #choose} and every
   * membership and admin change throw {@link IllegalStateException}; leases taken before can still
   * be reported, and {@link #stats()} still reads. Idempotent.
   */
  @Override
  public void close() {
    engine.locked(
        () -> {
          engine.close();
          return null;
        });
    admission.close(name); // outside the lock: failing a waiter runs its dependent stages
  }

  // ---------------------------------------------------------------------------------------------
  // Stats

  /**
   * Returns a copy of every endpoint's live statistics and health, members in membership order,
   * then removed endpoints still draining.
   *
   * @return a new immutable snapshot of the statistics, with time-decayed values decayed to the
   *     ticker's current reading
   */
  public BalancerStats stats() {
    return engine.locked(engine::stats);
  }

  // ---------------------------------------------------------------------------------------------
  // Listeners added after building

  /**
   * Adds a listener for membership and health events after the balancer was built, as metrics
   * binders do; it hears the events of changes made from now on (read {@link #stats()} for the
   * state so far). Listeners set with {@link Builder#listener} come first.
   *
   * @param listener the listener; must not be null
   * @throws NullPointerException if {@code listener} is null
   */
  public void addListener(LoadBalancerListener listener) {
    updates.addListener(checkNotNull(listener, "listener"));
  }

  /**
   * Removes a listener added with {@link #addListener} or {@link Builder#listener}; events of a
   * change already under way may still reach it.
   *
   * @param listener the listener; must not be null
   * @return true if it was registered
   * @throws NullPointerException if {@code listener} is null
   */
  public boolean removeListener(LoadBalancerListener listener) {
    return updates.removeListener(checkNotNull(listener, "listener"));
  }

  /**
   * Adds a listener told of every call's outcome, on the reporting thread (see {@link
   * CallListener}); leases already taken report to it too.
   *
   * @param listener the listener; must not be null
   * @throws NullPointerException if {@code listener} is null
   */
  public void addCallListener(CallListener listener) {
    callListeners.add(checkNotNull(listener, "listener"));
  }

  /**
   * Removes a call listener; reports already under way may still reach it.
   *
   * @param listener the listener; must not be null
   * @return true if it was registered
   * @throws NullPointerException if {@code listener} is null
   */
  public boolean removeCallListener(CallListener listener) {
    return callListeners.remove(checkNotNull(listener, "listener"));
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

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

  @Override
  public String toString() {
    Snapshot s = snapshot;
    return "LoadBalancer{"
        + name
        + ", "
        + strategy.name()
        + ", "
        + s.states.size()
        + " endpoints"
        + (s.panic ? ", panic" : "")
        + "}";
  }

  /** Builds a {@link LoadBalancer}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private String name = "default";
    private Strategy strategy = Strategies.roundRobin();
    private Ticker ticker = Ticker.systemTicker();
    private RandomGenerator random = ThreadLocalRandomGenerator.INSTANCE;
    private Duration decayWindow = Duration.ofSeconds(10);
    private Duration latencyWindow = Duration.ofSeconds(60);
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private Scheduler scheduler = Scheduler.systemScheduler();
    private @Nullable Executor stateExecutor;
    private final List<LoadBalancerListener> listeners = new ArrayList<>();
    private @Nullable HealthCheckConfig healthCheck;
    private OutlierDetection outlierDetection = OutlierDetection.defaults();
    private @Nullable SlowStart slowStart;
    private int panicThreshold = 50;
    private @Nullable String localZone;
    private double overprovisioning = TrafficPolicy.DEFAULT_OVERPROVISIONING_FACTOR;
    private boolean overprovisioningSet;
    private @Nullable TrafficPolicy trafficPolicy;
    private int maxInFlightPerEndpoint = Integer.MAX_VALUE;
    private @Nullable ConcurrencyLimitFactory endpointLimit;
    private @Nullable ConcurrencyLimitFactory balancerLimit;
    private Duration removalDrainTimeout = Duration.ofSeconds(30);
    private @Nullable CircuitBreakerFactory breakerFactory;
    private @Nullable RateLimiterFactory limiterFactory;
    private @Nullable RetryBudget retryBudget;
    private @Nullable Subsetting subsetting;
    private @Nullable ClientCoordinate clientCoordinate;
    private @Nullable LoadBalancer predecessor;

    private Builder() {}

    /**
     * Names the balancer in stats, errors and logs. Defaults to {@code default}.
     *
     * @param name the balancer's name, such as the name of the service it calls; must not be null
     *     or blank
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
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
     * @throws NullPointerException if {@code strategy} is null
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
     * @throws NullPointerException if {@code ticker} is null
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
     * @throws NullPointerException if {@code random} is null
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
     * Sets the window of each endpoint's recent latency percentiles in {@link EndpointStats} (p50,
     * p90, p99 of the calls reported with a latency, successes and failures alike). The window is
     * kept in four slices, so the percentiles cover between three quarters of it and the whole of
     * it; each endpoint keeps 4.8 KB of counters for it, and recording is one plain increment per
     * report (see docs/ARCHITECTURE.md). Defaults to 60 seconds; {@link Duration#ZERO} keeps no
     * percentiles.
     *
     * @param latencyWindow the window, zero or at least one millisecond; must not be null
     * @return this builder
     * @throws NullPointerException if {@code latencyWindow} is null
     * @throws IllegalArgumentException if negative or positive but under a millisecond
     */
    public Builder latencyWindow(Duration latencyWindow) {
      checkNotNull(latencyWindow, "latencyWindow");
      checkArgument(
          latencyWindow.isZero() || latencyWindow.compareTo(Duration.ofMillis(1)) >= 0,
          "latencyWindow must be zero or at least 1 ms but was %s",
          latencyWindow);
      this.latencyWindow = latencyWindow;
      return this;
    }

    /**
     * Sets the scheduler for health checks, ejection expiry, slow-start steps and drain timeouts.
     * Defaults to {@link Scheduler#systemScheduler()}; tests pass a fake one driven by a fake
     * ticker.
     *
     * @param scheduler the scheduler; must not be null
     * @return this builder
     * @throws NullPointerException if {@code scheduler} is null
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = checkNotNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Runs the balancer's own state changes on {@code executor}: the work of its timers (health
     * checks and their results, ejection ends, breaker waits, slow-start steps, drain timeouts) and
     * the changes that call outcomes trigger (an ejection after a failure streak, a breaker opening
     * or closing, a drain finishing). For adapters whose framework has a serialized context that
     * owns such changes, such as gRPC's {@code SynchronizationContext}: with it, every change and
     * every listener event happens there, apart from the caller's own calls (membership, {@code
     * markDown}, {@code drain}...), which run on the caller's thread. By default, timer work runs
     * on the scheduler's thread and outcome-triggered changes on the reporting thread when the
     * balancer is idle, else on the scheduler.
     *
     * <p>The executor must run tasks one at a time, in order, and must not run a task inside the
     * {@code execute} call that submits it while the caller holds a lock of its own. Tasks never
     * block, but the health checker is called from them, so it must return its result
     * asynchronously.
     *
     * @param executor where state changes run; must not be null
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder stateExecutor(Executor executor) {
      this.stateExecutor = checkNotNull(executor, "executor");
      return this;
    }

    /**
     * Adds a listener for membership and health events.
     *
     * @param listener the listener; must not be null
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(LoadBalancerListener listener) {
      listeners.add(checkNotNull(listener, "listener"));
      return this;
    }

    /**
     * Turns on active health checks. Off by default.
     *
     * @param healthCheck what to check and how often; must not be null
     * @return this builder
     * @throws NullPointerException if {@code healthCheck} is null
     */
    public Builder healthCheck(HealthCheckConfig healthCheck) {
      this.healthCheck = checkNotNull(healthCheck, "healthCheck");
      return this;
    }

    /**
     * Sets passive outlier detection. Defaults to {@link OutlierDetection#defaults()} (consecutive
     * failures and success rate); {@link OutlierDetection#disabled()} turns it off.
     *
     * @param outlierDetection the detectors and ejection times; must not be null
     * @return this builder
     * @throws NullPointerException if {@code outlierDetection} is null
     */
    public Builder outlierDetection(OutlierDetection outlierDetection) {
      this.outlierDetection = checkNotNull(outlierDetection, "outlierDetection");
      return this;
    }

    /**
     * Turns on slow start for endpoints that join or recover. Off by default. Hash strategies
     * ({@link Strategy#stableMembership()}) reject it when the balancer is built: a ramp would move
     * keys between endpoints that did not change.
     *
     * @param slowStart the ramp; must not be null
     * @return this builder
     * @throws NullPointerException if {@code slowStart} is null
     */
    public Builder slowStart(SlowStart slowStart) {
      this.slowStart = checkNotNull(slowStart, "slowStart");
      return this;
    }

    /**
     * Routes to a subset of the members only (see {@link Subsetting}): {@link
     * Subsetting#deterministicAperture(int)} for even load per backend when each client knows its
     * {@link #clientCoordinate coordinate}, {@link Subsetting#random(int)} when clients cannot be
     * numbered. The subset is recomputed on the update path whenever the membership or the
     * coordinate changes, never per pick; members outside it stay members (in {@link
     * LoadBalancer#endpoints()} and {@link LoadBalancer#stats()}) but take no calls. Off by
     * default.
     *
     * @param subsetting the subsetting; must not be null
     * @return this builder
     */
    public Builder subsetting(Subsetting subsetting) {
      this.subsetting = checkNotNull(subsetting, "subsetting");
      return this;
    }

    /**
     * Sets this client's coordinate among the clients of the same backends, which deterministic
     * aperture requires; {@link LoadBalancer#updateClientCoordinate} changes it later.
     *
     * @param coordinate this client's index and the client count; must not be null
     * @return this builder
     * @see ClientCoordinate#fromPeers
     */
    public Builder clientCoordinate(ClientCoordinate coordinate) {
      this.clientCoordinate = checkNotNull(coordinate, "clientCoordinate");
      return this;
    }

    /**
     * Sets the panic threshold, per priority level as in Envoy: when the levels together lack
     * healthy endpoints (their availabilities, {@code min(1, overprovisioningFactor x healthy
     * share)} each, add up to less than 100%), a level whose healthy share is below this percentage
     * sends its share of calls to every one of its endpoints that is not draining, disabled, marked
     * down or behind an open breaker, healthy or not, rather than overload its few healthy ones.
     * While the levels together have enough healthy endpoints, no level is in panic. If no level
     * has a healthy endpoint, calls go to the first level in panic. Hash strategies ignore levels:
     * for them the balancer is in panic when any level is. Defaults to 50, as in Envoy; 0 turns
     * panic mode off (calls then fail when no endpoint is healthy).
     *
     * @param percent 0 to 100
     * @return this builder
     * @throws IllegalArgumentException if not in 0..100
     */
    public Builder panicThreshold(int percent) {
      checkArgument(
          percent >= 0 && percent <= 100, "panicThreshold must be in 0..100 but was %s", percent);
      this.panicThreshold = percent;
      return this;
    }

    /**
     * Sets the caller's zone: calls prefer endpoints of this zone while it has enough healthy
     * capacity ({@code overprovisioningFactor x healthy share >= 1}) and spill the rest to other
     * zones in proportion. Unset by default: zones are ignored.
     *
     * @param zone the caller's zone, compared with {@link Endpoint#zone()}; must not be blank
     * @return this builder
     * @throws NullPointerException if {@code zone} is null
     * @throws IllegalArgumentException if {@code zone} is blank
     */
    public Builder localZone(String zone) {
      this.localZone = checkNotBlank(zone, "localZone");
      return this;
    }

    /**
     * Sets the overprovisioning factor of priority and zone spill-over, as in Envoy: a level or
     * zone keeps all its traffic while {@code factor x healthy share >= 1}. Defaults to 1.4, so a
     * level keeps all traffic until fewer than about 72% of its endpoints are healthy.
     *
     * @param factor 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1 or not finite
     */
    public Builder overprovisioningFactor(double factor) {
      TrafficPolicy.checkOverprovisioning(factor);
      this.overprovisioning = factor;
      this.overprovisioningSet = true;
      return this;
    }

    /**
     * Makes the balancer follow a {@link TrafficPolicy}: it drops the share of calls the policy's
     * drop categories say, and routes with the policy's overprovisioning factor, both as they
     * change while the balancer runs. One policy may serve many balancers (lb-xds shares one per
     * cluster). Unset by default: nothing is dropped, and the factor is {@link
     * #overprovisioningFactor}'s.
     *
     * @param policy the policy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder trafficPolicy(TrafficPolicy policy) {
      this.trafficPolicy = checkNotNull(policy, "trafficPolicy");
      return this;
    }

    /**
     * Caps the calls in flight on each endpoint, as Envoy's {@code max_requests}: an endpoint at
     * its limit is skipped, and if every available endpoint is, the pick fails with {@link
     * NoEndpointAvailableException.Reason#AT_CAPACITY}. Unlimited by default. The fixed variant of
     * {@link #concurrencyLimitPerEndpoint}; with both set, this is the ceiling of the other.
     *
     * @param max 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxInFlightPerEndpoint(int max) {
      checkArgument(max >= 1, "maxInFlightPerEndpoint must be 1 or more but was %s", max);
      this.maxInFlightPerEndpoint = max;
      return this;
    }

    /**
     * Gives every endpoint its own concurrency limit, fixed or adaptive ({@link
     * dev.lb.limit.ConcurrencyLimits}): an endpoint at its limit is skipped like one at {@link
     * #maxInFlightPerEndpoint}, and if every available endpoint is, the pick fails with {@link
     * NoEndpointAvailableException.Reason#AT_CAPACITY} (or waits, with {@link #pickAsync}). An
     * adaptive limit learns from every lease report with a latency (failures count as drops);
     * cancellations and untimed successes teach it nothing. With {@link #maxInFlightPerEndpoint}
     * also set, both apply: the fixed cap is a ceiling the adaptive limit never exceeds. None by
     * default.
     *
     * @param limits makes one limit per endpoint, such as {@code
     *     ConcurrencyLimits.gradient().build()}; must not be null
     * @return this builder
     * @throws NullPointerException if {@code limits} is null
     */
    public Builder concurrencyLimitPerEndpoint(ConcurrencyLimitFactory limits) {
      this.endpointLimit = checkNotNull(limits, "concurrencyLimitPerEndpoint");
      return this;
    }

    /**
     * Caps the calls in flight through the whole balancer, as HAProxy's {@code maxconn} or Envoy's
     * cluster {@code max_requests}: with the cap reached, a pick fails with {@link
     * NoEndpointAvailableException.Reason#AT_CAPACITY} before any endpoint is asked (or waits, with
     * {@link #pickAsync}). The limit is fixed ({@code ConcurrencyLimits.fixed(n)}) or adapts to the
     * latency of all calls together. It adds one shared counter, updated by a compare-and-set on
     * every pick and one atomic decrement on every report. None by default.
     *
     * @param limit makes the balancer's one limit; must not be null
     * @return this builder
     * @throws NullPointerException if {@code limit} is null
     */
    public Builder concurrencyLimit(ConcurrencyLimitFactory limit) {
      this.balancerLimit = checkNotNull(limit, "concurrencyLimit");
      return this;
    }

    /**
     * Sets how long a removed endpoint drains before its statistics go. Defaults to 30 seconds.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder removalDrainTimeout(Duration timeout) {
      checkNotNull(timeout, "removalDrainTimeout");
      checkArgument(
          !timeout.isNegative() && !timeout.isZero(),
          "removalDrainTimeout must be positive but was %s",
          timeout);
      this.removalDrainTimeout = timeout;
      return this;
    }

    /**
     * Gives every endpoint a circuit breaker: an open breaker takes its endpoint out of picking
     * (not only failing the calls picked onto it), a half-open one admits exactly its probes, and
     * lease outcomes feed it. None by default.
     *
     * @param breakers makes one breaker per endpoint, such as {@code
     *     CircuitBreakerFactory.of(CircuitBreakerConfig.builder().build())} or a resilience4j
     *     bridge; must not be null
     * @return this builder
     * @throws NullPointerException if {@code breakers} is null
     */
    public Builder circuitBreakers(CircuitBreakerFactory breakers) {
      this.breakerFactory = checkNotNull(breakers, "circuitBreakers");
      return this;
    }

    /**
     * Gives every endpoint a rate limiter (max calls per second to one backend): an endpoint whose
     * limiter refuses is skipped like one at its concurrency limit. None by default.
     *
     * @param limiters makes one limiter per endpoint; must not be null
     * @return this builder
     * @throws NullPointerException if {@code limiters} is null
     */
    public Builder rateLimiters(RateLimiterFactory limiters) {
      this.limiterFactory = checkNotNull(limiters, "rateLimiters");
      return this;
    }

    /**
     * Sets the retry budget that adapters retrying calls through this balancer share; its remaining
     * retries show in {@link BalancerStats} and its exhaustion reaches the listeners. None by
     * default.
     *
     * @param budget the budget; must not be null
     * @return this builder
     * @throws NullPointerException if {@code budget} is null
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = checkNotNull(budget, "retryBudget");
      return this;
    }

    /**
     * Starts the new balancer with {@code previous}'s history, for replacing a balancer with one of
     * other options without forgetting what it learnt: each initial endpoint ({@link #endpoints})
     * whose id {@code previous} has as a member starts with its outcome counters, last failure,
     * failure streak (kept below this balancer's limit), load estimators and failure penalty
     * (decayed as they were, then by this balancer's {@link #decayWindow}), its latest load report,
     * its ejection count, an ejection under way (for what was left of it but at most this
     * balancer's maximum ejection time, within its ejection cap, and only with outlier detection
     * on), and, with active health checks on, its checks' verdict (an endpoint failing them stays
     * out until it passes them here).
     *
     * <p>Not carried: calls in flight on {@code previous} (their leases report there, so load-aware
     * strategies see them only once {@code previous}' calls end), the recent latency percentiles
     * (refilled within a {@link #latencyWindow}), circuit breakers and limits (made by this
     * balancer's factories), a slow-start ramp under way (initial endpoints start at full weight),
     * a strategy's own per-endpoint state ({@code orca_weighted_round_robin}'s blackout period
     * starts again), and state its owner applies from outside (drains, {@link LoadBalancer#disable
     * disabled} and {@link LoadBalancer#markDown marked-down} endpoints): apply those again.
     * Endpoints added later start afresh. The history is read when {@link #build()} runs (health
     * under {@code previous}' lock, the lock-free counters and estimators just after); close {@code
     * previous} afterwards.
     *
     * @param previous the balancer being replaced; it must read the same {@link #ticker}
     * @return this builder
     * @throws NullPointerException if {@code previous} is null
     */
    public Builder inheritFrom(LoadBalancer previous) {
      this.predecessor = checkNotNull(previous, "previous");
      return this;
    }

    /**
     * Returns the balancer.
     *
     * @return a new balancer with the options and initial endpoints set on this builder
     * @throws IllegalArgumentException if slow start is set with a hash strategy, a subsetting that
     *     places clients by coordinate (deterministic aperture) is set without {@link
     *     #clientCoordinate}, or {@link #inheritFrom} names a balancer on another ticker
     */
    public LoadBalancer build() {
      LoadBalancer previous = predecessor;
      checkArgument(
          previous == null || previous.ticker().equals(ticker),
          "inheritFrom needs a balancer on the same ticker, but '%s' reads %s and this one %s",
          previous == null ? "" : previous.name(),
          previous == null ? "" : previous.ticker(),
          ticker);
      Subsetting subset = subsetting;
      checkArgument(
          subset == null || !subset.usesCoordinate() || clientCoordinate != null,
          "subsetting %s needs this client's coordinate: set clientCoordinate(ClientCoordinate.of("
              + "index, count))",
          subset == null ? "" : subset.name());
      checkArgument(
          trafficPolicy == null || !overprovisioningSet,
          "overprovisioningFactor (%s) cannot be set with a trafficPolicy, whose factor (%s) the"
              + " balancer follows: set it on the policy",
          overprovisioning,
          trafficPolicy == null ? "" : trafficPolicy.overprovisioningFactor());
      SlowStart ramp = slowStart;
      checkArgument(
          ramp == null || !strategy.stableMembership(),
          "slowStart (%s) cannot be used with strategy %s: a hash strategy keeps each key on its"
              + " endpoint, and a ramp would move keys between endpoints that did not change",
          ramp,
          strategy.name());
      return new LoadBalancer(this);
    }
  }
}
