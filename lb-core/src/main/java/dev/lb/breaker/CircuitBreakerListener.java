package dev.lb.breaker;

/**
 * Receives a circuit breaker's events. Every method does nothing by default, so new events never
 * break existing listeners: override only what you need.
 *
 * <p>Methods are called by the thread that caused the event, after the state was swapped, never
 * while a lock is held. They must be fast, must not block and should not throw; an exception is
 * caught and logged and does not affect the breaker. A listener registered on several breakers is
 * called concurrently and must be thread-safe.
 */
public abstract class CircuitBreakerListener {
  /** A listener that ignores every event. */
  public static final CircuitBreakerListener NONE = new CircuitBreakerListener() {};

  /** Creates a listener whose methods all do nothing. */
  protected CircuitBreakerListener() {}

  /**
   * Called once per transition, by the thread whose compare-and-set made it.
   *
   * @param breaker the breaker that changed state
   * @param from the state it left
   * @param to the state it entered
   */
  public void onStateTransition(
      CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {}

  /**
   * Called when a permission request is refused (the breaker is open, forced open, or out of
   * half-open probes).
   *
   * @param breaker the breaker that refused
   */
  public void onCallNotPermitted(CircuitBreaker breaker) {}
}
