package dev.lb.breaker;

import static dev.lb.internal.Checks.checkNotNull;

/**
 * A snapshot of a circuit breaker's counters, for stats tables and dashboards.
 *
 * <p>In {@code CLOSED} the counts cover the sliding window; in {@code HALF_OPEN} the probes; in
 * {@code OPEN} the window that opened the breaker. Immutable and thread-safe.
 *
 * @param state the breaker's state when the snapshot was taken
 * @param failureRate failed calls in percent of the calls counted, or -1 while fewer calls than the
 *     minimum were counted
 * @param slowCallRate slow calls in percent of the calls counted, or -1 while fewer calls than the
 *     minimum were counted
 * @param calls calls counted
 * @param failedCalls failed calls counted
 * @param slowCalls slow calls counted (successful or failed)
 * @param notPermittedCalls permission requests refused since the breaker was made
 */
public record CircuitBreakerMetrics(
    CircuitBreaker.State state,
    float failureRate,
    float slowCallRate,
    int calls,
    int failedCalls,
    int slowCalls,
    long notPermittedCalls) {

  /**
   * Validates the snapshot.
   *
   * @param state the breaker's state
   * @param failureRate failed calls in percent, or -1 below the minimum number of calls
   * @param slowCallRate slow calls in percent, or -1 below the minimum number of calls
   * @param calls calls counted
   * @param failedCalls failed calls counted
   * @param slowCalls slow calls counted
   * @param notPermittedCalls refused permission requests
   * @throws NullPointerException if {@code state} is null
   * @throws IllegalArgumentException if a count is negative
   */
  public CircuitBreakerMetrics {
    checkNotNull(state, "state");
    if (calls < 0 || failedCalls < 0 || slowCalls < 0 || notPermittedCalls < 0) {
      throw new IllegalArgumentException(
          "counts must not be negative but were calls="
              + calls
              + ", failedCalls="
              + failedCalls
              + ", slowCalls="
              + slowCalls
              + ", notPermittedCalls="
              + notPermittedCalls);
    }
  }
}
