package dev.lb.breaker;

import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The built-in {@link CircuitBreaker}: one immutable phase object per state, swapped by
 * compare-and-set under an explicit transition table.
 *
 * <p>Design note. The shape follows resilience4j's {@code CircuitBreakerStateMachine} and Armeria's
 * {@code NonBlockingCircuitBreaker}: the current phase is one volatile reference; a phase's
 * identity is what a transition compares against, so of two threads that both see the window over
 * its threshold exactly one opens the breaker and tells the listeners, after the swap. Thresholds,
 * comparisons (rates "at or above" the threshold, a call "longer than" the slow-call duration, the
 * open wait elapsed "strictly after" its end) and the half-open rule (the probes' rates decide once
 * {@code min(minimumNumberOfCalls, permittedNumberOfCallsInHalfOpenState)} of them have reported)
 * match resilience4j 2.x, so the two drive identically through the same call sequence (the
 * lb-resilience4j module tests this).
 *
 * <p>Hot paths. {@link #tryAcquirePermission()} in {@code CLOSED} is one volatile read. {@link
 * #onSuccess} in {@code CLOSED} records into a lock-free window ({@link CountWindow}, {@link
 * TimeWindow}) and reads its totals; neither allocates. Half-open probes are counted down by
 * compare-and-set, so no more than the configured number are admitted however many threads race.
 * Each half-open phase has its own {@linkplain #permissionEpoch() epoch}, so a permission given
 * back with {@link #releasePermission(long)} returns a probe only to the phase that handed it out.
 */
final class StateMachineCircuitBreaker implements CircuitBreaker {
  private static final System.Logger LOGGER =
      System.getLogger(StateMachineCircuitBreaker.class.getName());
  private static final VarHandle PHASE;
  private static final Map<State, Set<State>> ALLOWED = new EnumMap<>(State.class);

  static {
    try {
      PHASE =
          MethodHandles.lookup()
              .findVarHandle(StateMachineCircuitBreaker.class, "phase", Phase.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    // The transition table: from -> the states it may move to. CLOSED -> CLOSED is reset().
    allow(State.CLOSED, State.CLOSED, State.OPEN, State.FORCED_OPEN, State.DISABLED);
    allow(State.OPEN, State.HALF_OPEN, State.CLOSED, State.FORCED_OPEN, State.DISABLED);
    allow(State.HALF_OPEN, State.CLOSED, State.OPEN, State.FORCED_OPEN, State.DISABLED);
    allow(State.FORCED_OPEN, State.CLOSED, State.DISABLED);
    allow(State.DISABLED, State.CLOSED, State.FORCED_OPEN);
  }

  private static void allow(State from, State first, State... rest) {
    ALLOWED.put(from, Collections.unmodifiableSet(EnumSet.of(first, rest)));
  }

  static boolean isAllowed(State from, State to) {
    Set<State> targets = ALLOWED.get(from);
    return targets != null && targets.contains(to);
  }

  private final String name;
  private final CircuitBreakerConfig config;
  private final Ticker ticker;
  private final long slowNanos;
  private final long waitInOpenNanos;
  private final long maxWaitInHalfOpenNanos;
  private final int permittedProbes;
  private final int probesToDecide;
  private final LongAdder notPermitted = new LongAdder();
  private final AtomicLong halfOpenEpochs = new AtomicLong();
  private final Object listenerLock = new Object();
  private volatile CircuitBreakerListener[] listeners = new CircuitBreakerListener[0];

  @SuppressWarnings("unused") // read and written through PHASE
  private volatile Phase phase;

  StateMachineCircuitBreaker(@Nullable String name, CircuitBreakerConfig config, Ticker ticker) {
    this.name = checkNotBlank(name, "name");
    checkNotNull(config, "config");
    checkNotNull(ticker, "ticker");
    this.config = config;
    this.ticker = ticker;
    this.slowNanos = config.slowCallDurationThresholdNanos();
    this.waitInOpenNanos = config.waitDurationInOpenStateNanos();
    this.maxWaitInHalfOpenNanos = config.maxWaitDurationInHalfOpenStateNanos();
    this.permittedProbes = config.permittedNumberOfCallsInHalfOpenState();
    // As in resilience4j: the minimum, capped by a count-based window's size, capped again by the
    // number of probes.
    int minimumCalls =
        config.slidingWindowType() == CircuitBreakerConfig.SlidingWindowType.COUNT_BASED
            ? Math.min(config.minimumNumberOfCalls(), config.slidingWindowSize())
            : config.minimumNumberOfCalls();
    this.probesToDecide = Math.min(permittedProbes, minimumCalls);
    this.phase = newClosed();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean tryAcquirePermission() {
    Phase p = phase;
    if (p.state == State.CLOSED || p.state == State.DISABLED) {
      return true;
    }
    return tryAcquireSlow(p);
  }

  private boolean tryAcquireSlow(Phase p) {
    while (true) {
      if (p instanceof Open open) {
        long now = ticker.read();
        if (now - open.openedAt - waitInOpenNanos <= 0) {
          return notPermitted();
        }
        transition(
            open,
            new HalfOpen(now, permittedProbes, probesToDecide, halfOpenEpochs.incrementAndGet()));
      } else if (p instanceof HalfOpen halfOpen) {
        if (halfOpen.tryTakeProbe()) {
          return true;
        }
        if (maxWaitInHalfOpenNanos > 0) {
          long now = ticker.read();
          if (now - halfOpen.enteredAt - maxWaitInHalfOpenNanos > 0) {
            transition(halfOpen, halfOpen.reopen(now));
          }
        }
        return notPermitted();
      } else if (p.state == State.FORCED_OPEN) {
        return notPermitted();
      } else {
        return true; // CLOSED or DISABLED, entered since the caller's read
      }
      p = phase;
    }
  }

  private boolean notPermitted() {
    notPermitted.increment();
    for (CircuitBreakerListener l : listeners) {
      try {
        l.onCallNotPermitted(this);
      } catch (RuntimeException e) {
        LOGGER.log(System.Logger.Level.WARNING, "circuit breaker listener " + l + " failed", e);
      }
    }
    return false;
  }

  @Override
  public void releasePermission() {
    if (phase instanceof HalfOpen halfOpen) {
      halfOpen.returnProbe();
    }
  }

  @Override
  public long permissionEpoch() {
    return phase instanceof HalfOpen halfOpen ? halfOpen.epoch : 0L;
  }

  @Override
  public void releasePermission(long epoch) {
    // Only a probe of the current half-open phase goes back; epoch 0 is any other phase's.
    if (epoch != 0 && phase instanceof HalfOpen halfOpen && halfOpen.epoch == epoch) {
      halfOpen.returnProbe();
    }
  }

  @Override
  public void onSuccess(long durationNanos) {
    record(false, durationNanos > slowNanos);
  }

  @Override
  public void onFailure(long durationNanos, @Nullable Throwable cause) {
    record(true, durationNanos > slowNanos);
  }

  private void record(boolean failed, boolean slow) {
    Phase p = phase;
    if (p instanceof Closed closed) {
      onClosedOutcome(closed, failed, slow);
    } else if (p instanceof HalfOpen halfOpen) {
      onProbeOutcome(halfOpen, failed, slow);
    }
    // OPEN, FORCED_OPEN, DISABLED: outcomes of calls admitted earlier change nothing.
  }

  private void onClosedOutcome(Closed closed, boolean failed, boolean slow) {
    OutcomeWindow window = closed.window;
    window.record(OutcomeWindow.outcome(failed, slow));
    int threshold = config.consecutiveFailureThreshold();
    if (threshold > 0) {
      AtomicInteger run = closed.consecutiveFailures;
      if (failed) {
        if (run.incrementAndGet() >= threshold) {
          transition(closed, open(window));
          return;
        }
      } else if (run.get() != 0) {
        run.set(0);
      }
    }
    int calls = window.calls();
    if (calls <= 0 || calls < window.minimumCalls()) {
      return;
    }
    if (overThreshold(window.failures(), window.slowCalls(), calls)) {
      transition(closed, open(window));
    }
  }

  private void onProbeOutcome(HalfOpen halfOpen, boolean failed, boolean slow) {
    long packed = halfOpen.results.addAndGet(HalfOpen.pack(failed, slow));
    int calls = HalfOpen.calls(packed);
    if (calls != probesToDecide) {
      return; // exactly one outcome is the deciding one
    }
    Phase next =
        overThreshold(HalfOpen.failures(packed), HalfOpen.slowCalls(packed), calls)
            ? halfOpen.reopen(ticker.read())
            : newClosed();
    transition(halfOpen, next);
  }

  private boolean overThreshold(int failures, int slowCalls, int calls) {
    return rate(failures, calls) >= config.failureRateThreshold()
        || rate(slowCalls, calls) >= config.slowCallRateThreshold();
  }

  private static float rate(int part, int calls) {
    return part * 100.0f / calls;
  }

  private Open open(OutcomeWindow window) {
    return new Open(
        ticker.read(),
        window.calls(),
        window.failures(),
        window.slowCalls(),
        window.minimumCalls());
  }

  private Closed newClosed() {
    OutcomeWindow window =
        config.slidingWindowType() == CircuitBreakerConfig.SlidingWindowType.COUNT_BASED
            ? new CountWindow(config.slidingWindowSize(), config.minimumNumberOfCalls())
            : new TimeWindow(config.slidingWindowSize(), config.minimumNumberOfCalls(), ticker);
    return new Closed(window);
  }

  /**
   * Swaps {@code from} for {@code to} if {@code from} is still current; the winner tells the
   * listeners. Returns false if another thread changed the phase first.
   */
  private boolean transition(Phase from, Phase to) {
    if (!isAllowed(from.state, to.state)) {
      throw new IllegalStateException(
          "circuit breaker '" + name + "' cannot move from " + from.state + " to " + to.state);
    }
    if (!PHASE.compareAndSet(this, from, to)) {
      return false;
    }
    if (from.state != to.state) {
      for (CircuitBreakerListener l : listeners) {
        try {
          l.onStateTransition(this, from.state, to.state);
        } catch (RuntimeException e) {
          LOGGER.log(System.Logger.Level.WARNING, "circuit breaker listener " + l + " failed", e);
        }
      }
    }
    return true;
  }

  /** Moves to {@code target} from whatever phase is current, retrying lost races. */
  private void moveTo(State target, Phase to) {
    while (true) {
      Phase p = phase;
      if (p.state == target && target != State.CLOSED) {
        return;
      }
      if (transition(p, to)) {
        return;
      }
    }
  }

  @Override
  public State state() {
    return phase.state;
  }

  @Override
  public CircuitBreakerMetrics metrics() {
    Phase p = phase;
    int calls = 0;
    int failures = 0;
    int slow = 0;
    int minimum = Integer.MAX_VALUE;
    if (p instanceof Closed closed) {
      OutcomeWindow w = closed.window;
      w.expire();
      calls = w.calls();
      failures = w.failures();
      slow = w.slowCalls();
      minimum = w.minimumCalls();
    } else if (p instanceof HalfOpen halfOpen) {
      long packed = halfOpen.results.get();
      calls = HalfOpen.calls(packed);
      failures = HalfOpen.failures(packed);
      slow = HalfOpen.slowCalls(packed);
      minimum = probesToDecide;
    } else if (p instanceof Open open) {
      calls = open.calls;
      failures = open.failures;
      slow = open.slowCalls;
      minimum = open.minimumCalls;
    }
    calls = Math.max(0, calls);
    failures = Math.max(0, Math.min(calls, failures));
    slow = Math.max(0, Math.min(calls, slow));
    boolean judged = calls > 0 && calls >= minimum;
    return new CircuitBreakerMetrics(
        p.state,
        judged ? rate(failures, calls) : -1f,
        judged ? rate(slow, calls) : -1f,
        calls,
        failures,
        slow,
        notPermitted.sum());
  }

  @Override
  public Duration waitDurationInOpenState() {
    return config.waitDurationInOpenState();
  }

  @Override
  public void forceOpen() {
    moveTo(State.FORCED_OPEN, new Phase(State.FORCED_OPEN));
  }

  @Override
  public void disable() {
    moveTo(State.DISABLED, new Phase(State.DISABLED));
  }

  @Override
  public void reset() {
    moveTo(State.CLOSED, newClosed());
  }

  @Override
  public void addListener(CircuitBreakerListener listener) {
    checkNotNull(listener, "listener");
    synchronized (listenerLock) {
      CircuitBreakerListener[] next = Arrays.copyOf(listeners, listeners.length + 1);
      next[next.length - 1] = listener;
      listeners = next;
    }
  }

  @Override
  public boolean removeListener(CircuitBreakerListener listener) {
    synchronized (listenerLock) {
      CircuitBreakerListener[] current = listeners;
      for (int i = 0; i < current.length; i++) {
        if (current[i].equals(listener)) {
          CircuitBreakerListener[] next = new CircuitBreakerListener[current.length - 1];
          System.arraycopy(current, 0, next, 0, i);
          System.arraycopy(current, i + 1, next, i, current.length - i - 1);
          listeners = next;
          return true;
        }
      }
      return false;
    }
  }

  @Override
  public String toString() {
    return "CircuitBreaker{" + name + ", " + phase.state + '}';
  }

  /** An immutable phase; its identity is what transitions compare against. */
  private static class Phase {
    final State state;

    Phase(State state) {
      this.state = state;
    }
  }

  private static final class Closed extends Phase {
    final OutcomeWindow window;
    final AtomicInteger consecutiveFailures = new AtomicInteger();

    Closed(OutcomeWindow window) {
      super(State.CLOSED);
      this.window = window;
    }
  }

  /** Open since {@code openedAt}; keeps the counts that opened it, for stats. */
  private static final class Open extends Phase {
    final long openedAt;
    final int calls;
    final int failures;
    final int slowCalls;
    final int minimumCalls;

    Open(long openedAt, int calls, int failures, int slowCalls, int minimumCalls) {
      super(State.OPEN);
      this.openedAt = openedAt;
      this.calls = calls;
      this.failures = failures;
      this.slowCalls = slowCalls;
      this.minimumCalls = minimumCalls;
    }
  }

  /**
   * Admits a fixed number of probes; counts their outcomes in one packed long (21 bits each for
   * calls, failures and slow calls; probes are at most {@link CircuitBreakerConfig#MAX_CALLS}).
   */
  private static final class HalfOpen extends Phase {
    private static final long MASK = (1L << 21) - 1;

    final long enteredAt;
    final int permitted;
    final int toDecide;
    final long epoch;
    final AtomicInteger probes;
    final AtomicLong results = new AtomicLong();

    HalfOpen(long enteredAt, int permitted, int toDecide, long epoch) {
      super(State.HALF_OPEN);
      this.enteredAt = enteredAt;
      this.epoch = epoch;
      this.permitted = permitted;
      this.toDecide = toDecide;
      this.probes = new AtomicInteger(permitted);
    }

    /** Gives a probe back, never raising the count above the permitted number. */
    void returnProbe() {
      while (true) {
        int left = probes.get();
        if (left >= permitted || probes.compareAndSet(left, left + 1)) {
          return;
        }
      }
    }

    boolean tryTakeProbe() {
      while (true) {
        int left = probes.get();
        if (left <= 0) {
          return false;
        }
        if (probes.compareAndSet(left, left - 1)) {
          return true;
        }
      }
    }

    Open reopen(long now) {
      long packed = results.get();
      return new Open(now, calls(packed), failures(packed), slowCalls(packed), toDecide);
    }

    static long pack(boolean failed, boolean slow) {
      return 1L | (failed ? 1L << 21 : 0) | (slow ? 1L << 42 : 0);
    }

    static int calls(long packed) {
      return (int) (packed & MASK);
    }

    static int failures(long packed) {
      return (int) ((packed >>> 21) & MASK);
    }

    static int slowCalls(long packed) {
      return (int) ((packed >>> 42) & MASK);
    }
  }
}
