package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.breaker.CircuitBreakerListener;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.internal.EndpointState;
import dev.lb.internal.MetricsClock;
import dev.lb.internal.ThreadLocalRandomGenerator;
import dev.lb.limit.RateLimiter;
import dev.lb.limit.RateLimiterFactory;
import dev.lb.retry.RetryBudget;
import dev.lb.retry.RetryBudgetListener;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
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
 * behind an open breaker. Backup endpoints take calls only when no primary endpoint is healthy.
 * Endpoints that join or recover ramp up under {@link Builder#slowStart}. See docs/ARCHITECTURE.md
 * for the state diagram.
 *
 * <h2>Threading</h2>
 *
 * <p>Thread-safe. Picking and reporting are lock-free: {@link #pick} reads one volatile reference
 * to the current immutable snapshot (endpoints plus the strategy's {@link Picker}), asks the
 * picker, checks the choice is still available and under its concurrency limit, and counts the call
 * in flight. Selection allocates nothing; the returned lease is one small object.
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
 * <p>{@link #close()} stops health checks and timers; the balancer still picks afterwards.
 */
public final class LoadBalancer implements AutoCloseable {
  private static final System.Logger LOGGER = System.getLogger(LoadBalancer.class.getName());

  /** Slow-start ramps are recomputed this many times over their window. */
  static final int SLOW_START_STEPS = 20;

  /**
   * With slow start on, strategies see weights multiplied by this, so that a ramping endpoint of
   * weight 1 can have an effective weight of 10% without rounding to nothing. Only ratios matter to
   * strategies, and the built-in ones reduce weights by their common divisor.
   */
  static final int SLOW_START_WEIGHT_SCALE = 100;

  private final String name;
  private final Strategy strategy;
  private final StrategyContext strategyContext;
  private final MetricsClock metricsClock;
  private final Scheduler scheduler;
  private final @Nullable Executor stateExecutor;
  private final List<LoadBalancerListener> listeners;
  private final @Nullable HealthCheckConfig healthCheck;
  private final OutlierDetection outlier;
  private final @Nullable SlowStart slowStart;
  private final int panicThreshold;
  private final @Nullable String localZone;
  private final double overprovisioning;
  private final int maxInFlight;
  private final long removalDrainNanos;
  private final EndpointState.Observer observer = new LeaseSignals();
  private final @Nullable CircuitBreakerFactory breakerFactory;
  private final @Nullable RateLimiterFactory limiterFactory;
  private final @Nullable RetryBudget retryBudget;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final Map<String, Member> removing = new LinkedHashMap<>();
  private final IdentityHashMap<EndpointState, Member> byState = new IdentityHashMap<>();
  private List<Runnable> events = new ArrayList<>();
  private boolean dirty;
  private long membershipVersion;
  private @Nullable Picker stablePicker;
  private @Nullable List<Object> stablePickerKey;
  private Scheduler.@Nullable Cancellable slowStartStep;
  private Scheduler.@Nullable Cancellable sweep;
  private boolean closed;

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
    this.stateExecutor = builder.stateExecutor;
    Executor executor = builder.stateExecutor;
    this.scheduler = executor == null ? builder.scheduler : onExecutor(builder.scheduler, executor);
    this.listeners = List.copyOf(builder.listeners);
    this.healthCheck = builder.healthCheck;
    this.outlier = builder.outlierDetection;
    this.slowStart = builder.slowStart;
    this.panicThreshold = builder.panicThreshold;
    this.localZone = builder.localZone;
    this.overprovisioning = builder.overprovisioning;
    this.maxInFlight = builder.maxInFlightPerEndpoint;
    this.removalDrainNanos = builder.removalDrainTimeout.toNanos();
    this.breakerFactory = builder.breakerFactory;
    this.limiterFactory = builder.limiterFactory;
    RetryBudget budget = builder.retryBudget;
    this.retryBudget = budget;
    if (budget != null && !listeners.isEmpty()) {
      budget.addListener(new BudgetSignals());
    }
    this.snapshot = Snapshot.EMPTY;
    locked(
        () -> {
          for (Endpoint e : builder.endpoints.values()) {
            admit(new Member(newState(e)), false);
          }
          membershipVersion = 0;
          if (outlier.enabled()) {
            scheduleSweep();
          }
          dirty = true;
          return null;
        });
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
      deliver(l -> l.onRetryBudgetExhausted(LoadBalancer.this, budget));
    }

    @Override
    public void onReplenished(RetryBudget budget) {
      deliver(l -> l.onRetryBudgetReplenished(LoadBalancer.this, budget));
    }
  }

  /** Delivers an event now, on this thread: for signals that change no balancer state. */
  private void deliver(Listener event) {
    for (LoadBalancerListener l : listeners) {
      runGuarded(() -> event.deliver(l));
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
   */
  public Lease pick(PickContext context) {
    Snapshot s = snapshot;
    EndpointState chosen = s.choose(context, maxInFlight, strategyContext.random(), true);
    if (chosen == null) {
      throw noEndpoint(s, context);
    }
    return new Lease(chosen);
  }

  /**
   * Like {@link #pick(PickContext)}, but returns null instead of throwing when no endpoint can take
   * the call.
   *
   * @param context what the strategy may know about the call (affinity key, attributes, endpoints
   *     to avoid); {@link PickContext#none()} if nothing
   * @return a new lease on the chosen endpoint, on which the caller must report the outcome once,
   *     or null if no endpoint can take the call
   */
  public @Nullable Lease tryPick(PickContext context) {
    EndpointState chosen = snapshot.choose(context, maxInFlight, strategyContext.random(), true);
    return chosen == null ? null : new Lease(chosen);
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
   */
  public Endpoint choose(PickContext context) {
    Snapshot s = snapshot;
    EndpointState chosen = s.choose(context, maxInFlight, strategyContext.random(), false);
    if (chosen == null) {
      throw noEndpoint(s, context);
    }
    return chosen.endpoint();
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
    locked(
        () -> {
          checkArgument(
              !members.containsKey(endpoint.id()),
              "endpoint id '%s' is already a member of balancer '%s'",
              endpoint.id(),
              name);
          List<Endpoint> next = new ArrayList<>(memberEndpoints());
          next.add(endpoint);
          return apply(next);
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
    return locked(
        () -> {
          List<Endpoint> next = new ArrayList<>(memberEndpoints());
          return next.removeIf(e -> e.id().equals(id)) && apply(next);
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
    return locked(
        () -> {
          checkArgument(
              members.containsKey(endpoint.id()),
              "no endpoint with id '%s' in balancer '%s'",
              endpoint.id(),
              name);
          List<Endpoint> next = new ArrayList<>(memberEndpoints());
          next.replaceAll(e -> e.id().equals(endpoint.id()) ? endpoint : e);
          return apply(next);
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
    return locked(
        () -> {
          Member m = member(id);
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
    return locked(() -> apply(next));
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
    return locked(
        () -> {
          Member m = member(id);
          CompletableFuture<DrainResult> pending = m.drain;
          if (pending != null) {
            return pending;
          }
          return startDrain(m, timeout.toNanos());
        });
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
    return locked(() -> setBits(member(id), EndpointState.DISABLED, 0, "disabled"));
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
    return locked(
        () -> {
          Member m = member(id);
          boolean changed = finishDrain(m, DrainResult.CANCELLED);
          return setBits(m, 0, EndpointState.DISABLED | EndpointState.DRAINING, "enabled")
              || changed;
        });
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
    checkNotBlank(reason, "reason");
    return locked(() -> setBits(member(id), EndpointState.MARKED_DOWN, 0, reason));
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
    return locked(() -> setBits(member(id), 0, EndpointState.MARKED_DOWN, "marked up"));
  }

  /**
   * The health of the member with this id, or of a removed endpoint still draining.
   *
   * @param id an {@link Endpoint#id() endpoint id}
   * @return its status, or null if the balancer has no such endpoint
   */
  public @Nullable HealthStatus health(String id) {
    return locked(
        () -> {
          Member m = members.get(id);
          if (m == null) {
            m = removing.get(id);
          }
          return m == null ? null : m.health();
        });
  }

  /**
   * Stops health checks, outlier detection and every timer. Picks and reports still work, with the
   * health each endpoint had. Idempotent.
   */
  @Override
  public void close() {
    locked(
        () -> {
          closed = true;
          for (Member m : members.values()) {
            m.cancelTimers();
          }
          for (Member m : removing.values()) {
            m.cancelTimers();
          }
          cancel(sweep);
          cancel(slowStartStep);
          sweep = null;
          slowStartStep = null;
          return null;
        });
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
    return locked(
        () -> {
          Snapshot s = snapshot;
          long now = strategyContext.ticker().read();
          List<EndpointStats> list = new ArrayList<>(members.size() + removing.size());
          for (Member m : members.values()) {
            list.add(statsOf(m, now));
          }
          for (Member m : removing.values()) {
            list.add(statsOf(m, now));
          }
          RetryBudget budget = retryBudget;
          return new BalancerStats(
              name,
              strategy.name(),
              membershipVersion,
              s.panic,
              s.healthyPercent,
              budget == null ? -1 : budget.remaining(),
              list);
        });
  }

  private EndpointStats statsOf(Member m, long now) {
    EndpointState e = m.state;
    return new EndpointStats(
        e.endpoint(),
        e.inFlight(),
        e.successes(),
        e.failures(),
        e.cancels(),
        e.latencyEwmaNanos(),
        e.peakEwmaNanos(now),
        e.responseBytes(),
        e.throughputBytesPerSecond(now),
        e.lastFailure(),
        m.health(),
        effectiveWeightPercent(m),
        m.ejections,
        m.lastCheck,
        e.breaker() == null ? null : e.breaker().state(),
        e.limiter() == null ? 0 : e.limiter().rejectedCount());
  }

  /** The effective weight as a percentage of the configured weight (100 when not ramping). */
  private int effectiveWeightPercent(Member m) {
    int scale = slowStart == null ? 1 : SLOW_START_WEIGHT_SCALE;
    long full = (long) m.endpoint().weight() * scale;
    return (int) Math.round(100.0 * Math.min(full, m.state.weight()) / full);
  }

  // ---------------------------------------------------------------------------------------------
  // The serialized path

  /**
   * Runs {@code change} under the update lock, publishes a new snapshot if it changed anything that
   * routing depends on, then, after unlocking, delivers the events it raised.
   */
  private <T> T locked(Supplier<T> change) {
    lock.lock();
    return runLocked(change);
  }

  /** Runs {@code change} holding the lock (already taken), then unlocks and delivers events. */
  private <T> T runLocked(Supplier<T> change) {
    List<Runnable> raised;
    T result;
    try {
      try {
        result = change.get();
      } finally {
        if (dirty) {
          dirty = false;
          publish();
        }
      }
    } finally {
      // Hand the raised events over and start a fresh list; never iterate the live list after
      // unlocking, since the next holder of the lock appends to it.
      if (events.isEmpty()) {
        raised = List.of();
      } else {
        raised = events;
        events = new ArrayList<>();
      }
      lock.unlock();
    }
    for (Runnable event : raised) {
      runGuarded(event);
    }
    return result;
  }

  /** Runs one event delivery; a listener that throws is logged, never allowed to escape. */
  private void runGuarded(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      LOGGER.log(System.Logger.Level.WARNING, "listener of balancer '" + name + "' threw", e);
    }
  }

  /**
   * Timers whose tasks run on {@code executor}: the timer thread only hands the task over. A task
   * cancelled after it was handed over does not run.
   */
  private static Scheduler onExecutor(Scheduler timers, Executor executor) {
    return (task, delayNanos) -> {
      AtomicBoolean claimed = new AtomicBoolean(); // by the task when it runs, or by cancel
      Scheduler.Cancellable timer =
          timers.schedule(
              () ->
                  executor.execute(
                      () -> {
                        if (claimed.compareAndSet(false, true)) {
                          task.run();
                        }
                      }),
              delayNanos);
      return () -> {
        timer.cancel();
        return claimed.compareAndSet(false, true);
      };
    };
  }

  /** Runs {@code work} on the state executor if there is one, else at once on this thread. */
  private void onStatePath(Runnable work) {
    Executor executor = stateExecutor;
    if (executor == null) {
      work.run();
    } else {
      executor.execute(work);
    }
  }

  /**
   * Runs {@code change} on the serialized path for a signal from the lease path: on the state
   * executor if there is one; otherwise at once if the lock is free (so an ejection takes effect
   * before the caller's next pick), else from a scheduler task, so that reporting never waits for
   * the lock.
   */
  private void later(Runnable change) {
    Supplier<@Nullable Void> body =
        () -> {
          change.run();
          return null;
        };
    Executor executor = stateExecutor;
    if (executor != null) {
      executor.execute(() -> locked(body));
      return;
    }
    if (lock.tryLock()) {
      runLocked(body);
    } else {
      scheduler.schedule(() -> locked(body), 0);
    }
  }

  private void emit(Listener event) {
    for (LoadBalancerListener l : listeners) {
      events.add(() -> event.deliver(l));
    }
  }

  /** One event, delivered to each listener in turn. */
  @FunctionalInterface
  private interface Listener {
    void deliver(LoadBalancerListener listener);
  }

  private Member member(String id) {
    Member m = members.get(id);
    if (m == null) {
      throw new IllegalArgumentException(
          String.format("no endpoint with id '%s' in balancer '%s'", id, name));
    }
    return m;
  }

  private List<Endpoint> memberEndpoints() {
    List<Endpoint> list = new ArrayList<>(members.size());
    for (Member m : members.values()) {
      list.add(m.endpoint());
    }
    return list;
  }

  private EndpointState newState(Endpoint e) {
    CircuitBreakerFactory breakers = breakerFactory;
    RateLimiterFactory limiters = limiterFactory;
    CircuitBreaker breaker =
        breakers == null
            ? null
            : checkNotNull(breakers.create(e, ticker()), "circuit breaker created for " + e.id());
    RateLimiter limiter =
        limiters == null
            ? null
            : checkNotNull(limiters.create(e, ticker()), "rate limiter created for " + e.id());
    EndpointState state = new EndpointState(e, metricsClock, observer, breaker, limiter);
    state.failureStreakLimit(outlier.consecutiveFailures());
    if (breaker != null) {
      breaker.addListener(new BreakerSignals(state));
    }
    return state;
  }

  /** Breaker transitions, told by the thread that won them: applied on the serialized path. */
  private final class BreakerSignals extends CircuitBreakerListener {
    private final EndpointState state;

    BreakerSignals(EndpointState state) {
      this.state = state;
    }

    @Override
    public void onStateTransition(
        CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
      later(
          () -> {
            Member m = byState.get(state);
            if (m != null) {
              breakerChanged(m, breaker, from, to);
            }
          });
    }
  }

  /**
   * An open breaker takes its endpoint out of routing; when its wait is over the endpoint comes
   * back into the pool so that the first pick moves the breaker to half-open and probes it.
   */
  private void breakerChanged(
      Member m, CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
    Endpoint e = m.endpoint();
    emit(l -> l.onBreakerStateChanged(this, e, from, to));
    cancel(m.breakerTask);
    m.breakerTask = null;
    if (to.admitsCalls()) {
      setBits(m, 0, EndpointState.BREAKER_OPEN, "circuit breaker " + to);
      return;
    }
    setBits(m, EndpointState.BREAKER_OPEN, 0, "circuit breaker " + to);
    if (to == CircuitBreaker.State.OPEN && !closed && !m.removed) {
      m.breakerTask =
          scheduler.schedule(
              () ->
                  locked(
                      () -> {
                        m.breakerTask = null;
                        if (breaker.state() != CircuitBreaker.State.FORCED_OPEN) {
                          setBits(m, 0, EndpointState.BREAKER_OPEN, "circuit breaker probing");
                        }
                        return null;
                      }),
              // The breaker's wait ends strictly after its duration; one nanosecond later it
              // probes.
              breaker.waitDurationInOpenState().toNanos() + 1);
    }
  }

  /**
   * The one place membership changes: brings the members to {@code desired} (distinct ids). If the
   * strategy fails to build a picker, every change is rolled back and the current snapshot stays.
   */
  private boolean apply(List<Endpoint> desired) {
    if (memberEndpoints().equals(desired)) {
      return false;
    }
    Map<String, Member> before = new LinkedHashMap<>(members);
    Map<String, Member> removingBefore = new LinkedHashMap<>(removing);
    Map<EndpointState, Endpoint> reconfigured = new HashMap<>();
    Map<String, Member> next = new LinkedHashMap<>();
    List<Member> added = new ArrayList<>();
    for (Endpoint e : desired) {
      Member m = members.get(e.id());
      if (m == null) {
        m = removing.get(e.id());
        if (m != null) {
          added.add(m); // back before it drained
        } else {
          m = new Member(newState(e));
          added.add(m);
        }
      }
      if (!m.endpoint().equals(e)) {
        reconfigured.put(m.state, m.endpoint());
        m.state.endpoint(e);
      }
      next.put(e.id(), m);
    }
    List<Member> gone = new ArrayList<>();
    for (Member m : members.values()) {
      if (!next.containsKey(m.id())) {
        gone.add(m);
      }
    }
    members.clear();
    members.putAll(next);
    try {
      publish();
    } catch (RuntimeException e) {
      reconfigured.forEach(EndpointState::endpoint);
      members.clear();
      members.putAll(before);
      removing.clear();
      removing.putAll(removingBefore);
      throw e;
    }
    membershipVersion++;
    for (Member m : added) {
      if (removing.remove(m.id()) != null) {
        m.removed = false;
        finishDrain(m, DrainResult.CANCELLED);
        setBits(m, 0, EndpointState.DRAINING, "added back");
        startChecks(m);
      } else {
        admit(m, true);
      }
      Endpoint e = m.endpoint();
      emit(l -> l.onEndpointAdded(this, e));
    }
    for (Member m : gone) {
      m.removed = true;
      m.cancelTimers();
      m.awaitingChecks = false;
      removing.put(m.id(), m);
      Endpoint e = m.endpoint();
      emit(l -> l.onEndpointRemoved(this, e));
      if (m.drain == null) {
        CompletableFuture<DrainResult> unused = startDrain(m, removalDrainNanos);
      }
    }
    dirty = true;
    return true;
  }

  /** Registers a new member; joining a running balancer starts its slow start. */
  private void admit(Member m, boolean rampUp) {
    members.putIfAbsent(m.id(), m);
    byState.put(m.state, m);
    if (rampUp && slowStart != null) {
      m.slowStartBegin = ticker().read();
    }
    startChecks(m);
    dirty = true;
  }

  /**
   * Sets and clears status bits, raising a health event if the visible status changed and starting
   * slow start if the endpoint just became available again.
   *
   * @return true if any bit changed
   */
  private boolean setBits(Member m, int set, int clear, String reason) {
    int old = m.state.status();
    int now = (old | set) & ~clear;
    if (now == old) {
      return false;
    }
    m.state.status(now);
    dirty = true;
    HealthStatus from = Member.healthOf(old);
    HealthStatus to = Member.healthOf(now);
    if (from != to) {
      Endpoint e = m.endpoint();
      emit(l -> l.onHealthChanged(this, e, from, to, reason));
    }
    int healthBits =
        EndpointState.UNHEALTHY
            | EndpointState.EJECTED
            | EndpointState.MARKED_DOWN
            | EndpointState.BREAKER_OPEN;
    if ((old & healthBits) != 0 && (now & healthBits) == 0 && slowStart != null) {
      m.slowStartBegin = ticker().read(); // recovered: ramp up from the start
    } else if ((old & healthBits) == 0 && (now & healthBits) != 0) {
      m.slowStartBegin = -1; // out of rotation: a ramp under way stops, and restarts on recovery
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing: effective weights, routing, panic

  private void publish() {
    long now = ticker().read();
    boolean ramping = false;
    for (Member m : members.values()) {
      long weight = m.endpoint().weight();
      if (slowStart != null) {
        weight *= SLOW_START_WEIGHT_SCALE;
        if (m.slowStartBegin >= 0) {
          double f = slowStart.factor(now - m.slowStartBegin);
          if (f >= 1.0) {
            m.slowStartBegin = -1;
            Endpoint e = m.endpoint();
            emit(l -> l.onSlowStartFinished(this, e));
          } else {
            weight = Math.max(1, Math.round(weight * f));
            ramping = true;
          }
        }
      }
      m.state.effectiveWeight((int) Math.min(Integer.MAX_VALUE, weight));
    }
    Snapshot previous = snapshot;
    Snapshot next = route();
    snapshot = next;
    if (next.panic != previous.panic && previous != Snapshot.EMPTY) {
      int healthy = next.healthyPercent;
      if (next.panic) {
        LOGGER.log(
            System.Logger.Level.WARNING,
            "balancer ''{0}'' entered panic mode: {1}% of endpoints healthy",
            name,
            healthy);
        emit(l -> l.onPanicEntered(this, healthy));
      } else {
        emit(l -> l.onPanicLeft(this, healthy));
      }
    }
    if (ramping && slowStartStep == null && !closed && slowStart != null) {
      slowStartStep =
          scheduler.schedule(
              () ->
                  locked(
                      () -> {
                        slowStartStep = null;
                        dirty = true;
                        return null;
                      }),
              Math.max(1, slowStart.windowNanos() / SLOW_START_STEPS));
    }
  }

  /**
   * Decides where calls go, from the members' status bits: healthy primaries split by priority and
   * zone; backups when no primary is healthy; in panic mode, everyone not draining, disabled,
   * marked down or behind an open breaker.
   */
  private Snapshot route() {
    List<EndpointState> all = new ArrayList<>(members.size());
    List<EndpointState> primaries = new ArrayList<>();
    List<EndpointState> backups = new ArrayList<>();
    int healthyPrimaries = 0;
    int healthyBackups = 0;
    for (Member m : members.values()) {
      EndpointState e = m.state;
      all.add(e);
      if ((e.status() & EndpointState.ADMINISTRATIVE) != 0) {
        continue;
      }
      if (e.endpoint().backup()) {
        backups.add(e);
        healthyBackups += e.status() == 0 ? 1 : 0;
      } else {
        primaries.add(e);
        healthyPrimaries += e.status() == 0 ? 1 : 0;
      }
    }
    List<EndpointState> group;
    int healthy;
    if (healthyPrimaries == 0 && healthyBackups > 0) {
      group = backups;
      healthy = healthyBackups;
    } else if (!primaries.isEmpty()) {
      group = primaries;
      healthy = healthyPrimaries;
    } else {
      group = backups;
      healthy = healthyBackups;
    }
    int healthyPercent = group.isEmpty() ? 100 : (int) (100L * healthy / group.size());
    boolean panic = !group.isEmpty() && panicThreshold > 0 && healthyPercent < panicThreshold;
    int admitMask = panic ? Snapshot.PANIC_MASK : ~0;
    List<EndpointState> pool = new ArrayList<>();
    for (EndpointState e : group) {
      if ((e.status() & admitMask) == 0) {
        pool.add(e);
      }
    }
    if (strategy.stableMembership()) {
      List<EndpointState> over = new ArrayList<>();
      boolean backupGroup = !group.isEmpty() && group.get(0).endpoint().backup();
      for (Member m : members.values()) {
        if (m.endpoint().backup() == backupGroup) {
          over.add(m.state);
        }
      }
      Picker picker = over.isEmpty() ? EMPTY_PICKER : stablePicker(over);
      return new Snapshot(all, pool, picker, over.size(), admitMask, panic, healthyPercent);
    }
    Picker picker;
    if (pool.isEmpty()) {
      picker = EMPTY_PICKER;
    } else if (panic) {
      picker = newPicker(pool);
    } else {
      picker = splitPicker(pool);
    }
    return new Snapshot(
        all, pool, picker, Math.min(pool.size(), 3), admitMask, panic, healthyPercent);
  }

  /** Hash-style pickers are rebuilt only when the endpoints or their weights change. */
  private Picker stablePicker(List<EndpointState> over) {
    List<Object> key = new ArrayList<>(over.size() * 2);
    for (EndpointState e : over) {
      key.add(e.endpoint());
      key.add(e.weight());
    }
    Picker cached = stablePicker;
    if (cached != null && key.equals(stablePickerKey)) {
      return cached;
    }
    Picker picker = newPicker(over);
    stablePicker = picker;
    stablePickerKey = key;
    return picker;
  }

  private Picker newPicker(List<EndpointState> endpoints) {
    List<LiveEndpoint> view = List.copyOf(endpoints);
    return checkNotNull(
        strategy.newPicker(view, strategyContext), "picker built by strategy " + strategy.name());
  }

  /**
   * Splits healthy endpoints by priority (Envoy's priority load with an overprovisioning factor)
   * and, within a level, by the caller's zone.
   */
  private Picker splitPicker(List<EndpointState> healthyAndNot) {
    TreeMap<Integer, List<EndpointState>> levels = new TreeMap<>();
    for (EndpointState e : healthyAndNot) {
      levels.computeIfAbsent(e.endpoint().priority(), p -> new ArrayList<>()).add(e);
    }
    // healthyAndNot holds only healthy endpoints outside panic; level sizes count all members.
    Map<Integer, Integer> levelTotals = new HashMap<>();
    for (Member m : members.values()) {
      EndpointState e = m.state;
      if ((e.status() & EndpointState.ADMINISTRATIVE) == 0
          && e.endpoint().backup() == healthyAndNot.get(0).endpoint().backup()) {
        levelTotals.merge(e.endpoint().priority(), 1, Integer::sum);
      }
    }
    List<Double> shares = new ArrayList<>();
    List<List<EndpointState>> parts = new ArrayList<>();
    double remaining = 1.0;
    for (Map.Entry<Integer, List<EndpointState>> level : levels.entrySet()) {
      int total = levelTotals.getOrDefault(level.getKey(), level.getValue().size());
      double health = Math.min(1.0, overprovisioning * level.getValue().size() / total);
      double share = Math.min(remaining, health);
      remaining -= share;
      if (share > 0) {
        shares.add(share);
        parts.add(level.getValue());
      }
    }
    double sum = 1.0 - remaining;
    int n = parts.size();
    double[] levelEnd = new double[n];
    Picker[] local = new Picker[n];
    Picker[] remote = new Picker[n];
    double[] localShare = new double[n];
    double cumulative = 0;
    boolean split = n > 1;
    for (int i = 0; i < n; i++) {
      cumulative += shares.get(i) / sum;
      levelEnd[i] = i == n - 1 ? 1.0 : cumulative;
      List<EndpointState> part = parts.get(i);
      List<EndpointState> near = new ArrayList<>();
      List<EndpointState> far = new ArrayList<>();
      for (EndpointState e : part) {
        (localZone != null && localZone.equals(e.endpoint().zone()) ? near : far).add(e);
      }
      if (localZone == null || near.isEmpty() || far.isEmpty()) {
        local[i] = newPicker(part);
        localShare[i] = 1.0;
        continue;
      }
      int nearTotal = 0;
      for (Member m : members.values()) {
        Endpoint e = m.endpoint();
        if (localZone.equals(e.zone())
            && e.priority() == part.get(0).endpoint().priority()
            && e.backup() == part.get(0).endpoint().backup()
            && (m.state.status() & EndpointState.ADMINISTRATIVE) == 0) {
          nearTotal++;
        }
      }
      double keep = Math.min(1.0, overprovisioning * near.size() / Math.max(1, nearTotal));
      local[i] = newPicker(near);
      localShare[i] = keep;
      if (keep < 1.0) {
        remote[i] = newPicker(far);
        split = true;
      }
    }
    return split
        ? new RoutingPicker(levelEnd, local, remote, localShare, strategyContext.random())
        : local[0];
  }

  // ---------------------------------------------------------------------------------------------
  // Active health checks

  private void startChecks(Member m) {
    HealthCheckConfig hc = healthCheck;
    if (hc == null || closed || m.checkTask != null) {
      return;
    }
    // First check at a random point of the first jittered slice, so clients don't probe in step.
    long delay = (long) (hc.intervalNanos() * hc.jitter() * strategyContext.random().nextDouble());
    m.checkTask = scheduler.schedule(() -> runCheck(m), delay);
  }

  /** Runs on the scheduler: starts one probe, with the balancer's own timeout. */
  private void runCheck(Member m) {
    HealthCheckConfig hc = healthCheck;
    if (hc == null) {
      return;
    }
    AtomicBoolean done = new AtomicBoolean();
    CompletionStage<HealthCheckResult> stage;
    try {
      stage =
          checkNotNull(
              hc.checker().check(m.endpoint(), Duration.ofNanos(hc.timeoutNanos())),
              "stage returned by health checker");
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    CompletionStage<HealthCheckResult> probe = stage;
    Scheduler.Cancellable timeout =
        scheduler.schedule(
            () -> {
              if (done.compareAndSet(false, true)) {
                cancelQuietly(probe);
                checkDone(
                    m,
                    HealthCheckResult.unhealthy(
                        "timed out after "
                            + Duration.ofNanos(hc.timeoutNanos()).toMillis()
                            + " ms"));
              }
            },
            hc.timeoutNanos());
    probe.whenComplete(
        (result, error) -> {
          if (done.compareAndSet(false, true)) {
            timeout.cancel();
            HealthCheckResult outcome =
                result != null ? result : HealthCheckResult.unhealthy(describe(error));
            onStatePath(() -> checkDone(m, outcome));
          }
        });
  }

  private static void cancelQuietly(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().cancel(false);
    } catch (UnsupportedOperationException ignored) {
      // a stage that cannot be cancelled finishes on its own
    }
  }

  private static String describe(@Nullable Throwable error) {
    if (error == null) {
      return "check failed";
    }
    Throwable cause =
        error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause()
            : error;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private void checkDone(Member m, HealthCheckResult result) {
    locked(
        () -> {
          applyCheck(m, result);
          HealthCheckConfig hc = healthCheck;
          if (hc != null && !m.removed && !closed) {
            boolean down =
                (m.state.status() & (EndpointState.UNHEALTHY | EndpointState.EJECTED)) != 0;
            long base = down ? hc.unhealthyIntervalNanos() : hc.intervalNanos();
            double u = 2 * strategyContext.random().nextDouble() - 1;
            long delay = (long) (base * (1 + hc.jitter() * u));
            m.checkTask = scheduler.schedule(() -> runCheck(m), delay);
          }
          return null;
        });
  }

  /** The rise/fall state machine of active checks. */
  private void applyCheck(Member m, HealthCheckResult result) {
    HealthCheckConfig hc = healthCheck;
    if (hc == null || m.removed) {
      return;
    }
    m.lastCheck = result;
    if (result.isHealthy()) {
      m.checkFailures = 0;
      m.checkPasses++;
      if (m.checkPasses >= hc.healthyThreshold()) {
        String reason = m.checkPasses + " consecutive passed checks";
        setBits(m, 0, EndpointState.UNHEALTHY, reason);
        if (m.awaitingChecks) {
          m.awaitingChecks = false;
          restore(m, reason);
        }
      }
    } else {
      m.checkPasses = 0;
      m.checkFailures++;
      if (m.checkFailures >= hc.unhealthyThreshold()) {
        setBits(
            m,
            EndpointState.UNHEALTHY,
            0,
            m.checkFailures + " consecutive failed checks: " + result.reason());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Outlier detection

  private void scheduleSweep() {
    if (!closed) {
      sweep =
          scheduler.schedule(
              () ->
                  locked(
                      () -> {
                        sweep();
                        scheduleSweep();
                        return null;
                      }),
              outlier.intervalNanos());
    }
  }

  /**
   * Every interval: the rate-based detectors run, and the ejection multiplier of every endpoint
   * that spent the whole interval un-ejected shrinks by one.
   */
  private void sweep() {
    long now = ticker().read();
    List<Member> candidates = new ArrayList<>();
    List<long[]> volumes = new ArrayList<>();
    for (Member m : members.values()) {
      long s = m.state.successes();
      long f = m.state.failures();
      long ds = s - m.sweptSuccesses;
      long df = f - m.sweptFailures;
      m.sweptSuccesses = s;
      m.sweptFailures = f;
      int status = m.state.status();
      if ((status & EndpointState.EJECTED) == 0
          && m.ejectionMultiplier > 0
          && now - m.restoredAt >= outlier.intervalNanos()) {
        m.ejectionMultiplier--;
      }
      if ((status & (EndpointState.EJECTED | EndpointState.ADMINISTRATIVE)) == 0) {
        candidates.add(m);
        volumes.add(new long[] {ds, df});
      }
    }
    if (outlier.successRate()) {
      List<Integer> qualified = new ArrayList<>();
      double sum = 0;
      for (int i = 0; i < candidates.size(); i++) {
        long[] v = volumes.get(i);
        if (v[0] + v[1] >= outlier.successRateRequestVolume()) {
          qualified.add(i);
          sum += rate(v);
        }
      }
      if (!qualified.isEmpty() && qualified.size() >= outlier.successRateMinimumHosts()) {
        double mean = sum / qualified.size();
        double squares = 0;
        for (int i : qualified) {
          double d = rate(volumes.get(i)) - mean;
          squares += d * d;
        }
        double stdev = Math.sqrt(squares / qualified.size());
        double threshold = mean - outlier.successRateStdevFactor() * stdev;
        for (int i : qualified) {
          double r = rate(volumes.get(i));
          if (r < threshold) {
            eject(
                candidates.get(i),
                String.format(
                    java.util.Locale.ROOT,
                    "success rate %.1f%% below the group's threshold %.1f%%",
                    r,
                    threshold));
          }
        }
      }
    }
    if (outlier.failurePercentage()) {
      List<Integer> qualified = new ArrayList<>();
      for (int i = 0; i < candidates.size(); i++) {
        long[] v = volumes.get(i);
        if (v[0] + v[1] >= outlier.failurePercentageRequestVolume()) {
          qualified.add(i);
        }
      }
      if (!qualified.isEmpty() && qualified.size() >= outlier.failurePercentageMinimumHosts()) {
        for (int i : qualified) {
          double failed = 100.0 - rate(volumes.get(i));
          if (failed >= outlier.failurePercentageThreshold()) {
            eject(
                candidates.get(i),
                String.format(java.util.Locale.ROOT, "failure percentage %.1f%%", failed));
          }
        }
      }
    }
  }

  private static double rate(long[] volume) {
    return 100.0 * volume[0] / (volume[0] + volume[1]);
  }

  private void eject(Member m, String reason) {
    if (m.removed || closed || (m.state.status() & EndpointState.EJECTED) != 0) {
      return;
    }
    int ejected = 0;
    for (Member other : members.values()) {
      ejected += (other.state.status() & EndpointState.EJECTED) != 0 ? 1 : 0;
    }
    if (ejected >= outlier.maxEjections(members.size())) {
      LOGGER.log(
          System.Logger.Level.DEBUG,
          "balancer ''{0}'' did not eject {1} ({2}): max ejection percent reached",
          name,
          m.id(),
          reason);
      return;
    }
    m.ejectionMultiplier++;
    m.countEjection();
    long nanos =
        Math.min(
            outlier.maxEjectionNanos(), outlier.baseEjectionNanos() * (long) m.ejectionMultiplier);
    m.awaitingChecks = false;
    m.state.resetFailureStreak();
    setBits(m, EndpointState.EJECTED, 0, reason);
    Endpoint e = m.endpoint();
    Duration d = Duration.ofNanos(nanos);
    emit(l -> l.onEjected(this, e, reason, d));
    cancel(m.restoreTask);
    m.restoreTask = scheduler.schedule(() -> locked(() -> ejectionOver(m)), nanos);
  }

  private @Nullable Void ejectionOver(Member m) {
    m.restoreTask = null;
    if (m.removed || (m.state.status() & EndpointState.EJECTED) == 0) {
      return null;
    }
    if (healthCheck != null && !closed) {
      // Envoy's rule: with active checks on, an ejected endpoint returns once it passes them.
      m.awaitingChecks = true;
      m.checkPasses = 0;
      return null;
    }
    restore(m, "ejection time over");
    return null;
  }

  private void restore(Member m, String reason) {
    m.restoredAt = ticker().read();
    if (setBits(m, 0, EndpointState.EJECTED, reason)) {
      Endpoint e = m.endpoint();
      emit(l -> l.onRestored(this, e));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Draining

  private CompletableFuture<DrainResult> startDrain(Member m, long timeoutNanos) {
    CompletableFuture<DrainResult> future = new CompletableFuture<>();
    m.drain = future;
    int inFlight = m.state.inFlight();
    setBits(m, EndpointState.DRAINING, 0, m.removed ? "removed" : "drain requested");
    Endpoint e = m.endpoint();
    emit(l -> l.onDrainStarted(this, e, inFlight));
    if (m.state.inFlight() == 0) {
      finishDrain(m, DrainResult.DRAINED);
    } else {
      m.drainTimeout =
          scheduler.schedule(
              () -> locked(() -> finishDrain(m, DrainResult.TIMED_OUT)), timeoutNanos);
      // The lease path signals when the last call finishes; a call may have finished just before
      // the draining bit was visible to it, so look once more.
      if (m.state.inFlight() == 0) {
        finishDrain(m, DrainResult.DRAINED);
      }
    }
    return future;
  }

  /** Ends the member's drain, if it has one; returns true if it did. */
  private boolean finishDrain(Member m, DrainResult result) {
    CompletableFuture<DrainResult> future = m.drain;
    if (future == null) {
      return false;
    }
    m.drain = null;
    cancel(m.drainTimeout);
    m.drainTimeout = null;
    Endpoint e = m.endpoint();
    emit(l -> l.onDrainFinished(this, e, result));
    events.add(() -> complete(future, result));
    if (m.removed && result != DrainResult.CANCELLED) {
      removing.remove(m.id());
      byState.remove(m.state);
    }
    return true;
  }

  private static void complete(CompletableFuture<DrainResult> future, DrainResult result) {
    future.complete(result);
  }

  private static void cancel(Scheduler.@Nullable Cancellable task) {
    if (task != null) {
      task.cancel();
    }
  }

  /** Signals from the lease path, which must never wait: see {@link #later}. */
  private final class LeaseSignals implements EndpointState.Observer {
    @Override
    public void onFailureStreak(EndpointState state) {
      int streak = state.failureStreakLimit();
      later(
          () -> {
            Member m = byState.get(state);
            if (m != null && !m.removed) {
              eject(m, streak + " consecutive failures");
            }
          });
    }

    @Override
    public void onDrained(EndpointState state) {
      later(
          () -> {
            Member m = byState.get(state);
            if (m != null && m.drain != null && state.inFlight() == 0) {
              finishDrain(m, DrainResult.DRAINED);
            }
          });
    }
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

  /** Whether an available, not excluded endpoint refused only because its breaker is probing. */
  private static boolean probing(Snapshot s, PickContext context) {
    for (EndpointState e : s.pool) {
      CircuitBreaker b = e.breaker();
      if (b != null
          && b.state() == CircuitBreaker.State.HALF_OPEN
          && !context.isExcluded(e.endpoint().id())) {
        return true;
      }
    }
    return false;
  }

  private NoEndpointAvailableException noEndpoint(Snapshot s, PickContext context) {
    int count = s.states.size();
    if (count == 0) {
      return new NoEndpointAvailableException(
          "no endpoint available in balancer '" + name + "': it has 0 endpoints",
          name,
          0,
          NoEndpointAvailableException.Reason.NO_ENDPOINTS);
    }
    Map<HealthStatus, Integer> byHealth = new java.util.EnumMap<>(HealthStatus.class);
    for (HealthStatus h : HealthStatus.values()) {
      byHealth.put(h, 0);
    }
    for (EndpointState e : s.states) {
      byHealth.merge(Member.healthOf(e.status()), 1, Integer::sum);
    }
    StringBuilder states = new StringBuilder();
    byHealth.forEach(
        (h, n) -> {
          if (n > 0) {
            states.append(states.length() == 0 ? "" : ", ").append(n).append(' ');
            states.append(h.name().toLowerCase(java.util.Locale.ROOT));
          }
        });
    NoEndpointAvailableException.Reason reason;
    String why;
    int excluded = 0;
    for (EndpointState e : s.pool) {
      excluded += context.isExcluded(e.endpoint().id()) ? 1 : 0;
    }
    if (s.pool.length == 0) {
      reason = NoEndpointAvailableException.Reason.NONE_AVAILABLE;
      why =
          panicThreshold == 0
              ? "none is available and panic mode is off"
              : "none is available, even in panic mode";
    } else if (excluded == s.pool.length) {
      reason = NoEndpointAvailableException.Reason.ALL_EXCLUDED;
      why = "all " + excluded + " available endpoints are excluded by the call";
    } else if (s.picker.pick(context, 0) == null) {
      reason = NoEndpointAvailableException.Reason.DECLINED;
      why = "strategy " + strategy.name() + " chose none of the " + s.pool.length + " available";
    } else if (probing(s, context)) {
      reason = NoEndpointAvailableException.Reason.AWAITING_PROBES;
      why =
          "every available endpoint refused the call, and the half-open circuit breakers among"
              + " them have all their probes in flight";
    } else {
      reason = NoEndpointAvailableException.Reason.AT_CAPACITY;
      why =
          "every available endpoint refused the call: at its concurrency limit"
              + (maxInFlight == Integer.MAX_VALUE ? "" : " of " + maxInFlight + " calls in flight")
              + (limiterFactory == null ? "" : " or over its rate limit");
    }
    return new NoEndpointAvailableException(
        "no endpoint available in balancer '"
            + name
            + "': "
            + count
            + " endpoints ("
            + states
            + "); "
            + why,
        name,
        count,
        reason);
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

  private static final Picker EMPTY_PICKER = context -> null;

  /** One immutable routing state: what {@link #pick} reads. */
  private static final class Snapshot {
    /**
     * What keeps an endpoint out even in panic: draining and disabled (administrative), an open
     * breaker, and a transport's mark-down (it cannot carry calls at all).
     */
    static final int PANIC_MASK =
        EndpointState.ADMINISTRATIVE | EndpointState.BREAKER_OPEN | EndpointState.MARKED_DOWN;

    static final Snapshot EMPTY =
        new Snapshot(List.of(), List.of(), EMPTY_PICKER, 0, ~0, false, 100);

    final List<EndpointState> states;
    final List<Endpoint> endpoints;
    final EndpointState[] pool;
    final Picker picker;
    final int attempts;
    final int admitMask;
    final boolean panic;
    final int healthyPercent;

    Snapshot(
        List<EndpointState> states,
        List<EndpointState> pool,
        Picker picker,
        int attempts,
        int admitMask,
        boolean panic,
        int healthyPercent) {
      this.states = List.copyOf(states);
      List<Endpoint> config = new ArrayList<>(states.size());
      for (EndpointState s : states) {
        config.add(s.endpoint());
      }
      this.endpoints = List.copyOf(config);
      this.pool = pool.toArray(new EndpointState[0]);
      this.picker = picker;
      this.attempts = Math.max(1, attempts);
      this.admitMask = admitMask;
      this.panic = panic;
      this.healthyPercent = healthyPercent;
    }

    /**
     * Asks the picker for its choice, then its alternatives, then scans the pool: the first
     * endpoint that is available, not excluded and under its concurrency limit is returned, and
     * counted in flight (admitted) if {@code admit} is set.
     */
    @Nullable EndpointState choose(
        PickContext context, int maxInFlight, RandomGenerator random, boolean admit) {
      for (int attempt = 0; attempt < attempts; attempt++) {
        LiveEndpoint chosen = picker.pick(context, attempt);
        if (chosen == null) {
          if (attempt == 0) {
            return null; // the strategy declines the call
          }
          break;
        }
        if (!(chosen instanceof EndpointState state)) {
          throw new IllegalStateException(
              "picker returned " + chosen + ", which is not one of the endpoints it was given");
        }
        if (admits(state, context) && takes(state, maxInFlight, admit)) {
          return state;
        }
      }
      int n = pool.length;
      if (n == 0) {
        return null;
      }
      int start = n == 1 ? 0 : random.nextInt(n); // the balancer's source: seeded runs replay
      for (int i = 0; i < n; i++) {
        EndpointState state = pool[(start + i) % n];
        if (admits(state, context) && takes(state, maxInFlight, admit)) {
          return state;
        }
      }
      return null;
    }

    private static boolean takes(EndpointState state, int maxInFlight, boolean admit) {
      return admit ? state.tryAdmit(maxInFlight) : state.inFlight() < maxInFlight;
    }

    private boolean admits(EndpointState state, PickContext context) {
      // Exclusions are rare (retries): skip the endpoint's id read when the context has none.
      return (state.status() & admitMask) == 0
          && (!context.excludesAny() || !context.isExcluded(state.endpoint().id()));
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
    private Scheduler scheduler = Scheduler.systemScheduler();
    private @Nullable Executor stateExecutor;
    private final List<LoadBalancerListener> listeners = new ArrayList<>();
    private @Nullable HealthCheckConfig healthCheck;
    private OutlierDetection outlierDetection = OutlierDetection.defaults();
    private @Nullable SlowStart slowStart;
    private int panicThreshold = 50;
    private @Nullable String localZone;
    private double overprovisioning = 1.4;
    private int maxInFlightPerEndpoint = Integer.MAX_VALUE;
    private Duration removalDrainTimeout = Duration.ofSeconds(30);
    private @Nullable CircuitBreakerFactory breakerFactory;
    private @Nullable RateLimiterFactory limiterFactory;
    private @Nullable RetryBudget retryBudget;

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
     * Sets the scheduler for health checks, ejection expiry, slow-start steps and drain timeouts.
     * Defaults to {@link Scheduler#systemScheduler()}; tests pass a fake one driven by a fake
     * ticker.
     *
     * @param scheduler the scheduler; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code scheduler} is null
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
     * @throws IllegalArgumentException if {@code executor} is null
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
     * @throws IllegalArgumentException if {@code listener} is null
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
     * @throws IllegalArgumentException if {@code healthCheck} is null
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
     * @throws IllegalArgumentException if {@code outlierDetection} is null
     */
    public Builder outlierDetection(OutlierDetection outlierDetection) {
      this.outlierDetection = checkNotNull(outlierDetection, "outlierDetection");
      return this;
    }

    /**
     * Turns on slow start for endpoints that join or recover. Off by default.
     *
     * @param slowStart the ramp; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code slowStart} is null
     */
    public Builder slowStart(SlowStart slowStart) {
      this.slowStart = checkNotNull(slowStart, "slowStart");
      return this;
    }

    /**
     * Sets the panic threshold: when fewer than this percentage of the endpoints are healthy, calls
     * go to every endpoint that is not draining, disabled, marked down or behind an open breaker,
     * healthy or not, rather than overload the few healthy ones. Defaults to 50, as in Envoy; 0
     * turns panic mode off (calls then fail when no endpoint is healthy).
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
     * @throws IllegalArgumentException if {@code zone} is null or blank
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
      checkArgument(
          factor >= 1 && Double.isFinite(factor),
          "overprovisioningFactor must be 1 or more but was %s",
          factor);
      this.overprovisioning = factor;
      return this;
    }

    /**
     * Caps the calls in flight on each endpoint, as Envoy's {@code max_requests}: an endpoint at
     * its limit is skipped, and if every available endpoint is, the pick fails with {@link
     * NoEndpointAvailableException.Reason#AT_CAPACITY}. Unlimited by default.
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
     * @throws IllegalArgumentException if {@code breakers} is null
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
     * @throws IllegalArgumentException if {@code limiters} is null
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
     * @throws IllegalArgumentException if {@code budget} is null
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = checkNotNull(budget, "retryBudget");
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
