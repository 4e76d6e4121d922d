package dev.lb.breaker;

import dev.lb.Ticker;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A circuit breaker: a state machine that stops calls to a failing backend (one endpoint, or a
 * group of them) and lets a few probe calls through before it trusts the backend again.
 *
 * <pre>
 *            failure rate, slow-call rate or consecutive failures over the threshold
 *   CLOSED ──────────────────────────────────────────────────────────────▶ OPEN
 *     ▲                                                                    │ wait in open elapsed
 *     │ probes' failure and slow-call rates below the thresholds           ▼ (at the next permission request)
 *     └──────────────────────────────── HALF_OPEN ◀────────────────────────┘
 *                                          │ probes over a threshold: back to OPEN
 * </pre>
 *
 * <p>{@code FORCED_OPEN} (rejects everything) and {@code DISABLED} (admits everything, records
 * nothing) are manual states an operator enters with {@link #forceOpen()} and {@link #disable()};
 * {@link #reset()} returns to {@code CLOSED} with an empty window.
 *
 * <p>A caller asks {@link #tryAcquirePermission()} before each call and then reports exactly one of
 * {@link #onSuccess}, {@link #onFailure} or {@link #releasePermission()} (the call was never made).
 * A balancer takes an endpoint whose breaker is {@code OPEN} out of picking instead of failing the
 * calls picked onto it, and asks for permission at pick time, so half-open probes are admitted
 * exactly as configured.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.of("users", CircuitBreakerConfig.ofDefaults(), ticker);
 * if (breaker.tryAcquirePermission()) {
 *   long start = ticker.read();
 *   try {
 *     send(request);
 *     breaker.onSuccess(ticker.read() - start);
 *   } catch (IOException e) {
 *     breaker.onFailure(ticker.read() - start, e);
 *   }
 * }
 * }</pre>
 *
 * <p>Implementations must be thread-safe; {@link #tryAcquirePermission()}, {@link #onSuccess} and
 * {@link #onFailure} are called on every call's path and must be fast and must not block.
 */
public interface CircuitBreaker {

  /** The states of a circuit breaker. */
  enum State {
    /** Calls flow; outcomes are recorded in the sliding window. */
    CLOSED(true),
    /** Calls are rejected until the wait in the open state has elapsed. */
    OPEN(false),
    /** A configured number of probe calls are admitted; their outcomes decide the next state. */
    HALF_OPEN(true),
    /** Set by an operator: every call is rejected until {@link CircuitBreaker#reset()}. */
    FORCED_OPEN(false),
    /** Set by an operator: every call is admitted and nothing is recorded. */
    DISABLED(true);

    private final boolean admitsCalls;

    State(boolean admitsCalls) {
      this.admitsCalls = admitsCalls;
    }

    /**
     * Whether a breaker in this state may admit calls: true for {@code CLOSED}, {@code HALF_OPEN}
     * (up to its probe limit) and {@code DISABLED}.
     *
     * @return true if an endpoint whose breaker is in this state belongs in picking
     */
    public boolean admitsCalls() {
      return admitsCalls;
    }
  }

  /**
   * Returns the built-in breaker: lock-free, allocation-free on the call path, with state
   * transitions by compare-and-set on immutable state objects.
   *
   * @param name the breaker's name in events and stats, such as an endpoint id; must not be blank
   * @param config thresholds, window and waits
   * @param ticker the clock for time-based windows and the wait in the open state
   * @return a new breaker in the {@code CLOSED} state
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  static CircuitBreaker of(String name, CircuitBreakerConfig config, Ticker ticker) {
    return new StateMachineCircuitBreaker(name, config, ticker);
  }

  /**
   * The breaker's name, used in events and stats.
   *
   * @return the name given when the breaker was made
   */
  String name();

  /**
   * Asks to make one call. In {@code CLOSED} and {@code DISABLED} this always succeeds; in {@code
   * OPEN} it fails until the wait has elapsed, then moves the breaker to {@code HALF_OPEN} and asks
   * again; in {@code HALF_OPEN} it succeeds for at most the configured number of probes, exactly,
   * however many threads ask at once. A caller given permission must report {@link #onSuccess},
   * {@link #onFailure} or {@link #releasePermission()}.
   *
   * @return true if the call may go ahead
   */
  boolean tryAcquirePermission();

  /**
   * Gives back a permission whose call was never made (cancelled before it was sent), so that a
   * half-open breaker can admit another probe in its place. A half-open breaker cannot tell here
   * whether the permission was one of its probes or was taken before it opened, and returns a probe
   * either way: a caller that may give a permission back long after taking it should record {@link
   * #permissionEpoch()} and call {@link #releasePermission(long)} instead.
   */
  void releasePermission();

  /**
   * Identifies the phase whose permissions {@link #tryAcquirePermission()} hands out now, so that a
   * permission given back later returns only what it took. Read it right after a successful {@link
   * #tryAcquirePermission()}; pass it to {@link #releasePermission(long)}.
   *
   * <p>The built-in breaker answers a number unique to each half-open phase while half-open, and 0
   * otherwise. The default answers 0, and {@link #releasePermission(long)} then falls back to
   * {@link #releasePermission()}.
   *
   * @return a token for the current phase's permissions; must be fast and must not block
   */
  default long permissionEpoch() {
    return 0L;
  }

  /**
   * Gives back a permission whose call was never made, taken while {@link #permissionEpoch()}
   * answered {@code epoch}. The built-in breaker returns a half-open probe only if the permission
   * was a probe of the current half-open phase: a permission taken while {@code CLOSED}, or in an
   * earlier half-open phase, gives nothing back, so a breaker admits no more probes than
   * configured.
   *
   * @param epoch what {@link #permissionEpoch()} answered when the permission was taken
   */
  default void releasePermission(long epoch) {
    releasePermission();
  }

  /**
   * Records a successful call.
   *
   * @param durationNanos how long the call took; longer than the slow-call threshold counts as slow
   */
  void onSuccess(long durationNanos);

  /**
   * Records a failed call.
   *
   * @param durationNanos how long the call took; longer than the slow-call threshold also counts as
   *     slow
   * @param cause why it failed, or null if unknown
   */
  void onFailure(long durationNanos, @Nullable Throwable cause);

  /**
   * The current state. A plain read: an {@code OPEN} breaker whose wait has elapsed stays {@code
   * OPEN} here until the next {@link #tryAcquirePermission()} moves it.
   *
   * @return the state at the time of the call
   */
  State state();

  /**
   * A snapshot of the breaker's counters, for stats.
   *
   * @return a new immutable snapshot
   */
  CircuitBreakerMetrics metrics();

  /**
   * How long the breaker stays {@code OPEN} before it admits probes; a balancer schedules the
   * endpoint's return to picking this long after the breaker opened.
   *
   * @return the configured wait in the open state, positive
   */
  Duration waitDurationInOpenState();

  /** Moves the breaker to {@code FORCED_OPEN}: every call is rejected until {@link #reset()}. */
  void forceOpen();

  /** Moves the breaker to {@code DISABLED}: every call is admitted and nothing is recorded. */
  void disable();

  /** Moves the breaker to {@code CLOSED} with an empty window, whatever its state. */
  void reset();

  /**
   * Registers a listener, told about every state transition after it happened. Adding the same
   * listener twice registers it twice.
   *
   * @param listener the listener; must be fast, must not block, and should not throw (exceptions
   *     are caught and logged)
   * @throws NullPointerException if {@code listener} is null
   */
  void addListener(CircuitBreakerListener listener);

  /**
   * Unregisters one registration of a listener.
   *
   * @param listener the listener to remove
   * @return true if it was registered
   */
  boolean removeListener(CircuitBreakerListener listener);
}
