package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.internal.Checks;
import dev.lb.internal.LoadSignal;
import dev.lb.internal.LoadWatcher;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.RateLimiter;
import dev.lb.strategy.LiveEndpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The live state of one endpoint: exact counters and lossy estimators, all lock-free.
 *
 * <p><b>Counters</b> (in flight, successes, failures, cancellations, bytes) are updated with atomic
 * read-modify-write operations and are exact: every pick adds one call in flight, every first
 * report on a lease removes it. Calls in flight and successes share one 64-bit word, so a success
 * counts itself and releases its call in a single atomic add (see {@link #successes()}). Total
 * picks are derived ({@code inFlight + successes + failures + cancels}), never counted separately.
 *
 * <p><b>Estimators</b> (latency EWMA, peak EWMA, throughput, failure penalty) live in the
 * superclass {@link EndpointEstimators}.
 *
 * <p><b>Load watcher.</b> Every change of what a least-loaded score reads (calls in flight, an
 * outcome with its keys and penalty) ends with one call to the registered {@link LoadWatcher}, the
 * index of the picker built over this endpoint (see {@code dev.lb.strategy.LoadIndex}); without one
 * it costs a volatile read.
 *
 * <p><b>Layout.</b> The fields live in {@link EndpointStateLayout}'s superclasses, which keep what
 * picks read apart from what calls write, on separate cache lines.
 */
final class EndpointState extends EndpointEstimators implements LiveEndpoint, LoadSignal {

  /** Status bit: failed its active health checks. */
  public static final int UNHEALTHY = 1;

  /** Status bit: ejected by outlier detection (or waiting to pass checks after an ejection). */
  public static final int EJECTED = 1 << 1;

  /** Status bit: draining, by request or because it was removed. */
  public static final int DRAINING = 1 << 2;

  /** Status bit: disabled for maintenance. */
  public static final int DISABLED = 1 << 3;

  /** Status bit: marked down from outside (a transport's connectivity, say). */
  public static final int MARKED_DOWN = 1 << 4;

  /** Status bit: its circuit breaker is open. */
  public static final int BREAKER_OPEN = 1 << 5;

  /** The bits that keep an endpoint out even in panic mode. */
  public static final int ADMINISTRATIVE = DRAINING | DISABLED;

  /**
   * What the balancer needs to hear from the lease path, which must never block: both are rare, and
   * implementations hand them to the balancer's scheduler.
   */
  public interface Observer {
    /** The endpoint's consecutive failures just reached {@link #failureStreakLimit()}. */
    void onFailureStreak(EndpointState state);

    /** The endpoint is draining and its last call in flight just finished. */
    void onDrained(EndpointState state);
  }

  private static final VarHandle CALLS;
  private static final VarHandle FAILURE_STREAK;
  private static final VarHandle SUCCESSES_FOLDED;
  private static final VarHandle FOLD_VERSION;
  private static final VarHandle FAILURES;
  private static final VarHandle CANCELS;
  private static final VarHandle LOAD_WATCHER;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      CALLS = l.findVarHandle(EndpointStateLayout.Keys.class, "inFlightAndSuccesses", long.class);
      FAILURE_STREAK = l.findVarHandle(EndpointStateLayout.Keys.class, "failureStreak", int.class);
      SUCCESSES_FOLDED =
          l.findVarHandle(EndpointStateLayout.Counters.class, "successesFolded", long.class);
      FOLD_VERSION = l.findVarHandle(EndpointStateLayout.Counters.class, "foldVersion", int.class);
      FAILURES = l.findVarHandle(EndpointStateLayout.Counters.class, "failures", long.class);
      CANCELS = l.findVarHandle(EndpointStateLayout.Counters.class, "cancels", long.class);
      LOAD_WATCHER =
          l.findVarHandle(EndpointStateLayout.Head.class, "loadWatcher", LoadWatcher.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Trailing padding: keeps the counters off the cache lines of whatever object comes next.
  @SuppressWarnings("unused")
  private byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013;
  @SuppressWarnings("unused")
  private byte q014, q015, q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027;
  @SuppressWarnings("unused")
  private byte q028, q029, q030, q031, q032, q033, q034, q035, q036, q037, q038, q039, q040, q041;
  @SuppressWarnings("unused")
  private byte q042, q043, q044, q045, q046, q047, q048, q049, q050, q051, q052, q053, q054, q055;
  @SuppressWarnings("unused")
  private byte q056, q057, q058, q059, q060, q061, q062, q063;

  public EndpointState(Endpoint endpoint, MetricsClock clock, Observer observer) {
    this(endpoint, clock, observer, null, null);
  }

  public EndpointState(
      Endpoint endpoint,
      MetricsClock clock,
      Observer observer,
      @Nullable CircuitBreaker breaker,
      @Nullable RateLimiter limiter) {
    this(endpoint, clock, observer, breaker, limiter, new CallListeners());
  }

  public EndpointState(
      Endpoint endpoint,
      MetricsClock clock,
      Observer observer,
      @Nullable CircuitBreaker breaker,
      @Nullable RateLimiter limiter,
      CallListeners calls) {
    super(endpoint, clock, observer, breaker, limiter, calls);
  }

  /**
   * Keeps {@code report} as the endpoint's latest, stamped with the balancer's clock. Any thread,
   * at any time (with a call's outcome, before it, or from an out-of-band stream); lock-free, one
   * clock read and one small copy.
   */
  public void onLoadReport(LoadReport report) {
    loadReport = report.receivedAt(clock.now());
  }

  @Override
  public @Nullable LoadReport loadReport() {
    return loadReport;
  }

  /** The balancer's call listeners, told of each outcome by the lease that reports it. */
  public CallListeners callListeners() {
    return calls;
  }

  /**
   * Reads the recent latency percentiles (p50, p90, p99) into {@code into}, NaN without samples.
   *
   * @return the samples in the window, 0 if none or if the balancer keeps no latency window
   */
  public long latencyPercentiles(double[] into) {
    LatencyWindow w = latencies;
    if (w == null) {
      into[0] = into[1] = into[2] = Double.NaN;
      return 0;
    }
    return w.percentiles(into);
  }

  /** The endpoint's circuit breaker, or null if the balancer has none. */
  public @Nullable CircuitBreaker breaker() {
    return breaker;
  }

  /** The endpoint's rate limiter, or null if the balancer has none. */
  public @Nullable RateLimiter limiter() {
    return limiter;
  }

  /**
   * Admits one call: under the concurrency limit, then permitted by the breaker (a half-open
   * breaker admits only its probes), then by the rate limiter. Everything taken is given back when
   * a later step refuses, except a rate limiter's permit, which is why the limiter is asked last.
   */
  public boolean tryAdmit(int maxInFlight) {
    if (!tryAcquire(capacity(maxInFlight))) {
      return false;
    }
    CircuitBreaker b = breaker;
    if (b != null && !b.tryAcquirePermission()) {
      release();
      loadChanged();
      return false;
    }
    RateLimiter l = limiter;
    if (l != null && !l.tryAcquire()) {
      if (b != null) {
        b.releasePermission(b.permissionEpoch()); // taken just now, by this thread
      }
      release();
      loadChanged();
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency limits (dev.lb.limit.ConcurrencyLimit): kept apart from the counters' code on
  // purpose; the completion methods below call afterRelease once, after release().

  /**
   * Gives this endpoint its own concurrency limit (null for none) and the balancer's admission
   * (null in tests of the state alone). Called once by the engine before the state is published, so
   * plain fields suffice: the snapshot's volatile write publishes them.
   */
  void limits(@Nullable ConcurrencyLimit limit, @Nullable Admission admission) {
    this.concurrencyLimit = limit;
    this.admission = admission;
  }

  /** The endpoint's own concurrency limit, or null if it has none. */
  public @Nullable ConcurrencyLimit concurrencyLimit() {
    return concurrencyLimit;
  }

  /**
   * The calls this endpoint takes now: the smaller of the balancer's fixed {@code maxInFlight} and
   * its own limit's current value.
   */
  public int capacity(int maxInFlight) {
    ConcurrencyLimit l = concurrencyLimit;
    return l == null ? maxInFlight : Math.min(maxInFlight, l.limit());
  }

  /**
   * Feeds the call that just ended to the endpoint's limit and to the balancer's admission (its cap
   * and its waiters). {@code inFlight} counts the call itself.
   */
  private void afterRelease(int inFlight, long latencyNanos, boolean dropped, boolean sample) {
    ConcurrencyLimit l = concurrencyLimit;
    if (l != null && sample) {
      l.onSample(latencyNanos, inFlight, dropped);
    }
    Admission a = admission;
    if (a != null) {
      a.onRelease(latencyNanos, dropped, sample);
    }
  }

  /** The status bits; 0 means healthy and active. */
  public int status() {
    return status;
  }

  @Override
  public boolean available() {
    return status() == 0;
  }

  /** Replaces the status bits; only the balancer's serialized path calls this. */
  public void status(int status) {
    this.status = status;
  }

  /** Sets the weight strategies see; only the balancer's serialized path calls this. */
  public void effectiveWeight(int weight) {
    this.effectiveWeight = weight;
  }

  /**
   * Sets the share of traffic strategies that ignore weights give this endpoint while it warms up
   * (see {@link LiveEndpoint#rampFactor()}); only the balancer's serialized path calls this, and it
   * rebuilds the pickers afterwards.
   *
   * @param factor in (0, 1]; 1 when not ramping
   * @throws IllegalArgumentException if {@code factor} is not in (0, 1]
   */
  public void rampFactor(double factor) {
    Checks.checkArgument(
        factor > 0 && factor <= 1, "rampFactor must be in (0, 1] but was %s", factor);
    this.rampFactor = factor;
  }

  @Override
  public double rampFactor() {
    return rampFactor;
  }

  /** Consecutive failures that trigger {@link Observer#onFailureStreak}; 0 for never. */
  public int failureStreakLimit() {
    return failureStreakLimit;
  }

  /** Sets the failure streak limit; 0 turns the signal off. */
  public void failureStreakLimit(int limit) {
    this.failureStreakLimit = limit;
  }

  /** Failures reported since the last success (approximate under racing reports). */
  public int failureStreak() {
    return (int) FAILURE_STREAK.getOpaque(this);
  }

  /** Forgets the failure streak, as after an ejection. */
  public void resetFailureStreak() {
    FAILURE_STREAK.setOpaque(this, 0);
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  /** Replaces the endpoint's configuration; only the balancer's update path calls this. */
  public void endpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public int weight() {
    return effectiveWeight;
  }

  @Override
  public int inFlight() {
    return (int) (long) CALLS.getVolatile(this);
  }

  /**
   * Successes reported so far, exact. The count lives in two places: the high half of the word that
   * also holds the calls in flight (so that a success is one atomic add, see {@link #onSuccess}),
   * and, 2^31 at a time, a folded total; a read that overlaps a fold (once per 2^31 successes)
   * retries. Not for the pick path: stats and outlier detection read it.
   */
  public long successes() {
    while (true) {
      int version = (int) FOLD_VERSION.getVolatile(this);
      long folded = (long) SUCCESSES_FOLDED.getVolatile(this);
      long word = (long) CALLS.getVolatile(this);
      if ((version & 1) == 0 && (int) FOLD_VERSION.getVolatile(this) == version) {
        return folded + (word >>> 32);
      }
      Thread.onSpinWait();
    }
  }

  public long failures() {
    return (long) FAILURES.getVolatile(this);
  }

  public long cancels() {
    return (long) CANCELS.getVolatile(this);
  }

  /** The cause of the most recent failure that reported one, or null. */
  public @Nullable Throwable lastFailure() {
    return lastFailure;
  }

  /**
   * Makes {@code watcher} the one told of this endpoint's load changes: every change of calls in
   * flight, of a ranking key or of the failure penalty calls it once, after the change, on the
   * thread that made it. A load-aware picker's index registers here when it is built.
   */
  @Override
  public @Nullable LoadWatcher watchLoad(LoadWatcher watcher) {
    return (LoadWatcher) LOAD_WATCHER.getAndSet(this, watcher);
  }

  @Override
  public void unwatchLoad(LoadWatcher watcher) {
    LOAD_WATCHER.compareAndSet(this, watcher, null);
  }

  /** Tells the load watcher, if any, that the load just changed: one volatile read without one. */
  private void loadChanged() {
    LoadWatcher w = loadWatcher;
    if (w != null) {
      w.loadChanged();
    }
  }

  /**
   * What {@link #onSuccess} adds to {@code inFlightAndSuccesses}: 2^32 - 1, which takes one from
   * the low half (calls in flight, at least 1 for the call reporting) and carries one into the high
   * half (successes).
   */
  private static final long SUCCESS_AND_RELEASE = 0xFFFF_FFFFL;

  /** The high half's value after which its top bit is set: the successes are folded then. */
  private static final long FOLD_AT = 0x7FFF_FFFFL;

  /** Counts one call picked onto this endpoint. */
  public void acquire() {
    CALLS.getAndAdd(this, 1L);
    loadChanged();
  }

  /**
   * Counts one call picked onto this endpoint unless {@code maxInFlight} calls are in flight
   * already; exact under contention (a compare-and-set loop).
   */
  public boolean tryAcquire(int maxInFlight) {
    if (maxInFlight == Integer.MAX_VALUE) {
      CALLS.getAndAdd(this, 1L);
      loadChanged();
      return true;
    }
    long current = (long) CALLS.getVolatile(this);
    while ((int) current < maxInFlight) {
      long witness = (long) CALLS.compareAndExchange(this, current, current + 1);
      if (witness == current) {
        loadChanged();
        return true;
      }
      current = witness;
    }
    return false;
  }

  /** Returns the calls still in flight. */
  private int release() {
    return released((long) CALLS.getAndAdd(this, -1L));
  }

  /**
   * Counts a success and releases its call in one atomic add; returns the calls still in flight.
   */
  private int releaseSuccess() {
    long before = (long) CALLS.getAndAdd(this, SUCCESS_AND_RELEASE);
    if (before >>> 32 == FOLD_AT) {
      foldSuccesses();
    }
    return released(before);
  }

  private int released(long before) {
    int left = (int) before - 1;
    if (left == 0 && (status & DRAINING) != 0) {
      observer.onDrained(this);
    }
    return left;
  }

  /**
   * Moves 2^31 successes from the high half of {@code inFlightAndSuccesses} to {@code
   * successesFolded}, so that the half never wraps. Only the thread whose success set the half's
   * top bit runs this (once per 2^31 successes); other threads keep adding meanwhile, below the top
   * bit. The version is odd while the two writes are between states, and readers of {@link
   * #successes()} retry then.
   */
  private void foldSuccesses() {
    FOLD_VERSION.getAndAdd(this, 1);
    SUCCESSES_FOLDED.getAndAdd(this, 1L << 31);
    CALLS.getAndAdd(this, Long.MIN_VALUE); // clears the top bit: minus 2^31 successes
    FOLD_VERSION.getAndAdd(this, 1);
  }

  /**
   * Records a success. {@code latencyNanos < 0} means unknown: counted, but not averaged. {@code
   * bytes} may be 0.
   */
  public void onSuccess(long latencyNanos, long bytes) {
    CircuitBreaker b = breaker;
    if (b != null) {
      b.onSuccess(Math.max(0, latencyNanos));
    }
    if ((int) FAILURE_STREAK.getOpaque(this) != 0) {
      FAILURE_STREAK.setOpaque(this, 0);
    }
    // Counted and released in one atomic add.
    afterRelease(releaseSuccess() + 1, latencyNanos, false, latencyNanos >= 0);
    if (latencyNanos >= 0 || bytes > 0) {
      observe(latencyNanos, bytes, false, Long.MIN_VALUE);
    }
    LatencyWindow w = latencies;
    if (w != null && latencyNanos >= 0) {
      w.record(latencyNanos, Long.MIN_VALUE);
    }
    // Once, after the call left the count and its latency and bytes entered the keys.
    loadChanged();
  }

  /** Records a failure; its latency can raise the latency estimates but never lower them. */
  public void onFailure(long latencyNanos, @Nullable Throwable cause) {
    FAILURES.getAndAdd(this, 1L);
    if (cause != null) {
      lastFailure = cause;
    }
    CircuitBreaker b = breaker;
    if (b != null) {
      b.onFailure(Math.max(0, latencyNanos), cause);
    }
    int streak = (int) FAILURE_STREAK.getAndAdd(this, 1) + 1;
    if (streak == failureStreakLimit) {
      observer.onFailureStreak(this);
    }
    // The penalty before release: the call stops counting in flight only once its failure does.
    long now = clock.now();
    addFailurePenalty(now);
    afterRelease(release() + 1, latencyNanos, true, true);
    if (latencyNanos >= 0) {
      observe(latencyNanos, 0, true, now);
      LatencyWindow w = latencies;
      if (w != null) {
        w.record(latencyNanos, now);
      }
    }
    loadChanged();
  }

  /**
   * The {@linkplain CircuitBreaker#permissionEpoch() epoch} of the breaker's permissions, or 0
   * without a breaker; a lease reads it when it is made, right after {@link #tryAdmit}, and hands
   * it back to {@link #onCancel(long)}.
   */
  public long permitEpoch() {
    CircuitBreaker b = breaker;
    return b == null ? 0L : b.permissionEpoch();
  }

  /**
   * Records a call abandoned before it had an outcome: it only stops being in flight. A breaker
   * permission is given back as taken in {@code permitEpoch} (see {@link #permitEpoch()}), so a
   * permission taken while the breaker was closed never returns a half-open probe.
   */
  public void onCancel(long permitEpoch) {
    CANCELS.getAndAdd(this, 1L);
    CircuitBreaker b = breaker;
    if (b != null) {
      b.releasePermission(permitEpoch);
    }
    afterRelease(release() + 1, -1L, false, false);
    loadChanged();
  }

  /**
   * Records a call abandoned before it had an outcome, whose permission was taken while the breaker
   * was not half-open (or that had none): {@code onCancel(0)}.
   */
  public void onCancel() {
    onCancel(0L);
  }

  /**
   * Starts this state with {@code old}'s history, as of {@code now}: its outcome counters, last
   * failure, failure streak and load estimators (see {@link #inheritEstimates}). Not its calls in
   * flight, whose leases report to {@code old}, nor its recent latency window, breaker or limits,
   * which belong to the balancer that made them. Only before this state is published.
   */
  void inheritFrom(EndpointState old, long now) {
    // No call in flight here yet: the word's low half stays 0. Multiples of 2^31 go to the folded
    // total, the rest to the high half, as foldSuccesses leaves them.
    long successes = old.successes();
    successesFolded = successes & ~FOLD_AT;
    inFlightAndSuccesses = (successes & FOLD_AT) << 32;
    failures = old.failures();
    cancels = old.cancels();
    lastFailure = old.lastFailure();
    loadReport = old.loadReport(); // stamped on the same ticker
    // Below this balancer's limit, so that the detector still fires on the streak's next failure.
    failureStreak = Math.min(old.failureStreak(), Math.max(0, failureStreakLimit - 1));
    inheritEstimates(old, now);
  }

  @Override
  public String toString() {
    return "EndpointState{" + endpoint.id() + ", inFlight=" + inFlight() + "}";
  }
}
