package dev.lb.limit;

/**
 * How many calls may be in flight at once, to one endpoint or through a whole balancer: a fixed
 * number, or one that an algorithm adapts to the latency and drops it measures ({@link
 * ConcurrencyLimits#vegas() Vegas}, {@link ConcurrencyLimits#gradient() gradient}).
 *
 * <p>The balancer reads {@link #limit()} on every admission and compares it with the calls in
 * flight (one compare-and-set loop, so admission itself never exceeds the value it read), and
 * reports every completed call to {@link #onSample}. When the limit falls, calls already in flight
 * are not revoked: the in-flight count comes down to the new limit as they complete.
 *
 * <p>Implementations must be thread-safe, and both methods must be fast, must not block and must
 * not throw: {@code limit()} runs on every pick and {@code onSample} on every lease report. Build
 * them with {@link ConcurrencyLimits}; the built-in adaptive ones never lock and never allocate.
 */
public interface ConcurrencyLimit {
  /**
   * The calls that may be in flight now.
   *
   * @return at least 1
   */
  int limit();

  /**
   * Hears how one call ended.
   *
   * @param latencyNanos how long the call took, or a negative value when it was reported without a
   *     latency
   * @param inFlight calls in flight when it completed, itself included
   * @param dropped true if it failed (an error, a timeout): a sign of overload to the algorithms
   *     that read drops (Vegas)
   */
  void onSample(long latencyNanos, int inFlight, boolean dropped);

  /**
   * The algorithm that sets the limit.
   *
   * @return the algorithm
   */
  ConcurrencyLimits.Algorithm algorithm();
}
