package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.breaker.CircuitBreakerListener;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.ConcurrencyLimitFactory;
import dev.lb.limit.RateLimiter;
import dev.lb.limit.RateLimiterFactory;
import dev.lb.retry.RetryBudget;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.subset.ClientCoordinate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The engine behind a {@link LoadBalancer}: orchestrates its collaborators on the serialized {@link
 * UpdatePath}. {@link Membership} diffs the members; {@link StatusTransitions} is the one writer of
 * status bits; {@link ActiveHealthChecks}, {@link OutlierEjection}, {@link Drains} and {@link
 * BreakerRouting} each own one health rule; {@link SubsetFilter}, under subsetting, sets each
 * member's share; {@link SlowStartRamps} sets effective weights; {@link Routing} turns it all into
 * the {@link Snapshot} that picks read, which this class publishes to the facade.
 */
final class BalancerEngine {
  private static final System.Logger LOGGER = System.getLogger(LoadBalancer.class.getName());

  private final LoadBalancer balancer;
  private final String name;
  private final Strategy strategy;
  private final StrategyContext strategyContext;
  private final MetricsClock metricsClock;
  private final CallListeners callListeners;
  private final UpdatePath updates;
  private final Membership membership = new Membership();
  private final SlowStartRamps ramps;
  private final StatusTransitions status;
  private final Routing routing;
  private final ActiveHealthChecks checks;
  private final OutlierEjection outliers;
  private final Drains drains;
  private final BreakerRouting breakers;
  private final PickerRefresh refresh;
  private final OutlierDetection outlierConfig;
  private final @Nullable CircuitBreakerFactory breakerFactory;
  private final @Nullable RateLimiterFactory limiterFactory;
  private final @Nullable RetryBudget retryBudget;
  private final long removalDrainNanos;
  private final boolean slowStartOn;
  private final EndpointState.Observer observer = new LeaseSignals();
  private final @Nullable StrategySwitch strategySwitch;
  private final @Nullable TrafficPolicy trafficPolicy;
  private final TrafficPolicy.Attachment policyFollower;

  // Set once before start(), by the facade's constructor.
  private @Nullable ConcurrencyLimitFactory endpointLimits;
  private @Nullable Admission admission;
  private int maxInFlight = Integer.MAX_VALUE;

  // Guarded by the update lock.
  private boolean closed;

  /** The membership filter before routing, if subsetting is on; set before {@link #start}. */
  private @Nullable SubsetFilter subsets;

  /** Whether the panic now in force was announced (so its end is announced too). */
  private boolean panicAnnounced;

  BalancerEngine(
      LoadBalancer balancer,
      String name,
      Strategy strategy,
      StrategyContext strategyContext,
      MetricsClock metricsClock,
      CallListeners callListeners,
      UpdatePath updates,
      @Nullable HealthCheckConfig healthCheck,
      OutlierDetection outlier,
      @Nullable SlowStart slowStart,
      int panicThreshold,
      @Nullable String localZone,
      @Nullable TrafficPolicy trafficPolicy,
      double overprovisioning,
      long removalDrainNanos,
      @Nullable CircuitBreakerFactory breakerFactory,
      @Nullable RateLimiterFactory limiterFactory,
      @Nullable RetryBudget retryBudget) {
    this.balancer = balancer;
    this.name = name;
    // The strategy's instance for this balancer, closed with it (see Strategy.bind).
    Strategy bound = checkNotNull(strategy.bind(strategyContext), "strategy bound by " + strategy);
    this.strategy = bound;
    this.strategyContext = strategyContext;
    this.metricsClock = metricsClock;
    this.callListeners = callListeners;
    this.updates = updates;
    this.ramps = new SlowStartRamps(balancer, slowStart, strategyContext.ticker(), updates);
    this.status = new StatusTransitions(balancer, updates, ramps);
    this.routing =
        new Routing(
            bound,
            strategyContext,
            panicThreshold,
            localZone,
            trafficPolicy == null ? overprovisioning : trafficPolicy.overprovisioningFactor());
    this.checks = new ActiveHealthChecks(healthCheck, updates, status, strategyContext.random());
    this.outliers =
        new OutlierEjection(
            balancer,
            outlier,
            updates,
            status,
            checks,
            strategyContext.ticker(),
            membership::members);
    this.drains = new Drains(balancer, updates, status, membership::forget);
    this.breakers = new BreakerRouting(balancer, updates, status);
    this.refresh = new PickerRefresh(balancer, updates, strategyContext.ticker(), bound);
    this.outlierConfig = outlier;
    this.removalDrainNanos = removalDrainNanos;
    this.breakerFactory = breakerFactory;
    this.limiterFactory = limiterFactory;
    this.retryBudget = retryBudget;
    this.slowStartOn = slowStart != null;
    updates.publisher(this::publish);
    if (strategy instanceof SwitchableStrategy switchable) {
      StrategySwitch s = new StrategySwitch(switchable);
      switchable.attach(s);
      this.strategySwitch = s;
    } else {
      this.strategySwitch = null;
    }
    this.trafficPolicy = trafficPolicy;
    this.policyFollower = () -> updates.run(this::overprovisioningChanged);
    if (trafficPolicy != null) {
      trafficPolicy.attach(policyFollower);
    }
  }

  /** The traffic policy's factor changed ({@link TrafficPolicy}); under the lock. */
  private void overprovisioningChanged() {
    TrafficPolicy p = trafficPolicy;
    if (!closed && p != null) {
      routing.overprovisioning(p.overprovisioningFactor());
      updates.markDirty();
    }
  }

  /** Told by a {@link SwitchableStrategy} of a switch; see there. */
  private final class StrategySwitch implements SwitchableStrategy.Attachment {
    private final SwitchableStrategy strategy;

    StrategySwitch(SwitchableStrategy strategy) {
      this.strategy = strategy;
    }

    @Override
    public void check(Strategy next) {
      if (slowStartOn && next.stableMembership()) {
        throw new IllegalArgumentException(
            "balancer '"
                + name
                + "' cannot switch to strategy "
                + next.name()
                + ": it has slow start, and a hash strategy keeps each key on its endpoint");
      }
    }

    @Override
    public void switched() {
      updates.run(
          () -> {
            if (closed) {
              return;
            }
            routing.strategyChanged();
            refresh.restart(strategy.refreshPeriodNanos());
            updates.markDirty();
          });
    }
  }

  /**
   * Sets the fixed per-endpoint cap, the per-endpoint limit factory and the balancer's admission;
   * before {@link #start}.
   */
  void concurrencyLimits(
      int maxInFlight, @Nullable ConcurrencyLimitFactory perEndpoint, Admission admission) {
    this.maxInFlight = maxInFlight;
    this.endpointLimits = perEndpoint;
    this.admission = admission;
  }

  /** Turns subsetting on; called once, before {@link #start}. */
  void subsetting(SubsetFilter filter) {
    this.subsets = filter;
    ramps.scaleForShares();
  }

  @Nullable SubsetFilter subsets() {
    return subsets;
  }

  /** Moves this client to {@code next}; must run under the lock. True if it changed. */
  boolean clientCoordinate(ClientCoordinate next) {
    checkOpen();
    SubsetFilter filter = subsets;
    if (filter == null || !filter.coordinate(next)) {
      return false;
    }
    updates.markDirty();
    return true;
  }

  /**
   * Registers the initial members (no slow start: nobody else can take their share), each with the
   * history {@code inherited} carries for it.
   */
  void start(Collection<Endpoint> initial, Inheritance inherited) {
    updates.run(
        () -> {
          long now = strategyContext.ticker().read();
          for (Endpoint e : initial) {
            EndpointState state = newState(e);
            inherited.intoState(state);
            membership.register(new Member(state));
          }
          // Once all are members: an inherited ejection counts against the cap of the whole group.
          for (Member m : membership.members()) {
            inherited.intoMember(m, status, checks, outliers, now);
            checks.start(m);
          }
          outliers.start();
          refresh.start();
          updates.markDirty();
        });
  }

  /** What a successor balancer inherits from this one; under the lock. */
  Inheritance inheritance() {
    return Inheritance.capture(membership.everyone(), strategyContext.ticker().read());
  }

  <T> T locked(Supplier<T> change) {
    return updates.locked(change);
  }

  // ---------------------------------------------------------------------------------------------
  // Membership

  /** Brings the membership to {@code desired}; must run under the lock. */
  boolean apply(List<Endpoint> desired) {
    checkOpen();
    Membership.Diff diff = membership.apply(desired, e -> new Member(newState(e)));
    if (diff == null) {
      return false;
    }
    try {
      publish();
    } catch (RuntimeException e) {
      membership.rollback(diff);
      throw e;
    }
    boolean[] back = new boolean[diff.added.size()];
    for (int i = 0; i < back.length; i++) {
      back[i] = membership.cameBack(diff, diff.added.get(i));
    }
    membership.commit(diff);
    for (int i = 0; i < back.length; i++) {
      Member m = diff.added.get(i);
      if (back[i]) {
        m.removed = false;
        drains.finish(m, DrainResult.CANCELLED);
        status.clear(m, EndpointState.DRAINING, HealthChangeCause.ADDED_BACK, "added back");
      } else {
        ramps.begin(m);
      }
      checks.start(m);
      Endpoint e = m.endpoint();
      updates.emit(l -> l.onEndpointAdded(balancer, e));
    }
    for (Member m : diff.gone) {
      m.removed = true;
      m.cancelTimers();
      m.awaitingChecks = false;
      Endpoint e = m.endpoint();
      updates.emit(l -> l.onEndpointRemoved(balancer, e));
      if (m.drain == null) {
        CompletableFuture<DrainResult> unused = drains.start(m, removalDrainNanos);
      }
    }
    updates.markDirty();
    return true;
  }

  List<Endpoint> memberEndpoints() {
    return membership.endpoints();
  }

  boolean isMember(String id) {
    return membership.contains(id);
  }

  Member member(String id) {
    Member m = membership.get(id);
    if (m == null) {
      throw new IllegalArgumentException(
          String.format("no endpoint with id '%s' in balancer '%s'", id, name));
    }
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // Administrative states

  CompletionStage<DrainResult> drain(String id, long timeoutNanos) {
    checkOpen();
    Member m = member(id);
    CompletableFuture<DrainResult> pending = m.drain;
    return pending != null ? pending : drains.start(m, timeoutNanos);
  }

  boolean disable(String id) {
    checkOpen();
    return status.set(member(id), EndpointState.DISABLED, HealthChangeCause.DISABLED, "disabled");
  }

  boolean enable(String id) {
    checkOpen();
    Member m = member(id);
    boolean changed = drains.finish(m, DrainResult.CANCELLED);
    return status.clear(
            m,
            EndpointState.DISABLED | EndpointState.DRAINING,
            HealthChangeCause.ENABLED,
            "enabled")
        || changed;
  }

  boolean markDown(String id, String reason) {
    checkOpen();
    return status.set(member(id), EndpointState.MARKED_DOWN, HealthChangeCause.MARKED_DOWN, reason);
  }

  boolean markUp(String id) {
    checkOpen();
    return status.clear(
        member(id), EndpointState.MARKED_DOWN, HealthChangeCause.MARKED_UP, "marked up");
  }

  @Nullable HealthStatus health(String id) {
    Member m = membership.find(id);
    return m == null ? null : m.health();
  }

  /** Stops every timer and ends pending drains; later changes fail. Idempotent. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Member m : membership.everyone()) {
      m.cancelTimers();
      drains.finish(m, DrainResult.CANCELLED);
    }
    checks.close();
    outliers.close();
    breakers.close();
    ramps.close();
    refresh.close();
    StrategySwitch s = strategySwitch;
    if (s != null) {
      s.strategy.detach(s);
    }
    if (trafficPolicy != null) {
      trafficPolicy.detach(policyFollower);
    }
    try {
      strategy.close(); // after its refresh timer: nothing it started may outlive the balancer
    } catch (RuntimeException e) {
      LOGGER.log(
          System.Logger.Level.WARNING, "strategy " + strategy.name() + " failed to close", e);
    }
    balancer.publish(Snapshot.closed(balancer.snapshot()));
    updates.emitLast(l -> l.onRoutingChanged(balancer));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("balancer '" + name + "' is closed");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing

  private void publish() {
    if (closed) {
      return; // a closed balancer keeps its closed snapshot
    }
    List<Member> members = membership.members();
    SubsetFilter filter = subsets;
    if (filter != null) {
      filter.apply(members);
    }
    ramps.applyWeights(members);
    Snapshot previous = balancer.snapshot();
    Snapshot next = routing.route(members);
    balancer.publish(next);
    announcePanic(previous, next);
    // Queued last, so it reaches listeners after the events of the change that caused it.
    updates.emitLast(l -> l.onRoutingChanged(balancer));
  }

  /**
   * Panic is announced (a WARNING and {@code onPanicEntered}) only when entered from a settled
   * state, one where routing was once out of panic with endpoints: a new balancer whose endpoints
   * are not yet known to be healthy (first checks, a transport still connecting) is not in trouble.
   */
  private void announcePanic(Snapshot previous, Snapshot next) {
    int healthy = next.healthyPercent;
    if (!next.panic) {
      if (panicAnnounced) {
        panicAnnounced = false;
        updates.emit(l -> l.onPanicLeft(balancer, healthy));
      }
      return;
    }
    boolean fromSettled =
        !previous.panic && !previous.states.isEmpty() && (status.anyRecovery() || anyCalls(next));
    if (fromSettled && !panicAnnounced) {
      panicAnnounced = true;
      LOGGER.log(
          System.Logger.Level.WARNING,
          "balancer ''{0}'' entered panic mode: {1}% of endpoints healthy",
          name,
          healthy);
      updates.emit(l -> l.onPanicEntered(balancer, healthy));
    }
  }

  private static boolean anyCalls(Snapshot s) {
    for (EndpointState e : s.states) {
      if (e.inFlight() > 0 || e.successes() > 0 || e.failures() > 0 || e.cancels() > 0) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Stats

  BalancerStats stats() {
    Snapshot s = balancer.snapshot();
    long now = strategyContext.ticker().read();
    List<EndpointStats> list = new ArrayList<>();
    for (Member m : membership.everyone()) {
      list.add(statsOf(m, now));
    }
    RetryBudget budget = retryBudget;
    Admission a = admission;
    ConcurrencyLimit cap = a == null ? null : a.limit();
    return BalancerStats.builder(name, strategy.name())
        .membershipVersion(membership.version())
        .panic(s.panic)
        .healthyPercent(s.healthyPercent)
        .retryBudgetRemaining(budget == null ? -1 : budget.remaining())
        .concurrencyLimit(cap == null ? Integer.MAX_VALUE : Math.max(1, cap.limit()))
        .waiting(a == null ? 0 : a.waiting())
        .endpoints(list)
        .build();
  }

  private EndpointStats statsOf(Member m, long now) {
    EndpointState e = m.state;
    CircuitBreaker breaker = e.breaker();
    RateLimiter limiter = e.limiter();
    double[] percentiles = new double[3];
    long samples = e.latencyPercentiles(percentiles);
    LoadReport report = e.loadReport();
    return EndpointStats.builder(e.endpoint())
        .inFlight(e.inFlight())
        .successes(e.successes())
        .failures(e.failures())
        .cancellations(e.cancels())
        .latencyEwmaNanos(e.latencyEwmaNanos())
        .peakEwmaNanos(e.peakEwmaNanos(now))
        .responseBytes(e.responseBytes())
        .throughputBytesPerSecond(e.throughputBytesPerSecond(now))
        .lastFailure(e.lastFailure())
        .health(m.health())
        .effectiveWeightPercent(m.subsetShare > 0 ? ramps.percent(m) : 0)
        .inSubset(m.subsetShare > 0 && !m.removed)
        .ejections(m.ejections)
        .lastCheck(m.lastCheck)
        .breakerState(breaker == null ? null : breaker.state())
        .limiterRejections(limiter == null ? 0 : limiter.rejectedCount())
        .latencyPercentiles(samples, percentiles[0], percentiles[1], percentiles[2])
        .loadReport(report, report == null ? -1 : now - report.receivedAtNanos())
        .concurrencyLimit(Math.max(1, e.capacity(maxInFlight)))
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Live state

  private EndpointState newState(Endpoint e) {
    CircuitBreakerFactory breakerMaker = breakerFactory;
    RateLimiterFactory limiterMaker = limiterFactory;
    Ticker ticker = strategyContext.ticker();
    CircuitBreaker breaker =
        breakerMaker == null
            ? null
            : checkNotNull(breakerMaker.create(e, ticker), "circuit breaker created for " + e.id());
    RateLimiter limiter =
        limiterMaker == null
            ? null
            : checkNotNull(limiterMaker.create(e, ticker), "rate limiter created for " + e.id());
    EndpointState state =
        new EndpointState(e, metricsClock, observer, breaker, limiter, callListeners);
    state.failureStreakLimit(outlierConfig.consecutiveFailures());
    ConcurrencyLimitFactory limits = endpointLimits;
    state.limits(
        limits == null
            ? null
            : checkNotNull(limits.create(ticker), "concurrency limit created for " + e.id()),
        admission);
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
      updates.later(
          () -> {
            Member m = membership.of(state);
            if (m != null) {
              breakers.changed(m, breaker, from, to);
            }
          });
    }
  }

  /** Signals from the lease path, which must never wait: see {@link UpdatePath#later}. */
  private final class LeaseSignals implements EndpointState.Observer {
    @Override
    public void onFailureStreak(EndpointState state) {
      int streak = state.failureStreakLimit();
      updates.later(
          () -> {
            Member m = membership.of(state);
            if (m == null || m.removed) {
              state.resetFailureStreak();
            } else {
              outliers.onFailureStreak(m, streak);
            }
          });
    }

    @Override
    public void onDrained(EndpointState state) {
      updates.later(
          () -> {
            Member m = membership.of(state);
            if (m != null) {
              drains.onDrained(m);
            }
          });
    }
  }
}
