package dev.lb;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by {@link LoadBalancer#pick} when no endpoint can take the call: the balancer has no
 * endpoints, or its strategy would choose none of them. The message names the balancer and says how
 * many endpoints it has and in which states, so that the log line alone explains the failure.
 *
 * <p>Use {@link LoadBalancer#tryPick} instead where "nothing to pick" is an expected, frequent
 * condition (a caller that queues until an endpoint appears, for example): it returns null without
 * building an exception.
 */
public final class NoEndpointAvailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why nothing could be picked. */
  public enum Reason {
    /** The balancer has no endpoints at all. */
    NO_ENDPOINTS,
    /**
     * No endpoint is available: all are unhealthy, ejected, draining, disabled or behind an open
     * breaker, and panic mode is off or cannot help (draining and disabled endpoints never take
     * calls).
     */
    NONE_AVAILABLE,
    /**
     * Endpoints are available, but every one refused the call: at its concurrency limit (fixed max
     * in flight, or its adaptive limit) or its rate limiter out of permits; or the balancer-wide
     * concurrency limit is reached. Load to shed (or wait for, with {@link
     * LoadBalancer#pickAsync}).
     */
    AT_CAPACITY,
    /**
     * Endpoints are available, but every one refused the call, and among them is at least one whose
     * half-open circuit breaker already has all its permitted probes in flight. Nothing to shed:
     * the probes' outcomes decide within moments whether the endpoint takes calls again, so waiting
     * or retrying soon is reasonable.
     */
    AWAITING_PROBES,
    /** Endpoints are available, but the strategy chose none of them for this call. */
    DECLINED,
    /** Every available endpoint was excluded by the call's context, typically as already tried. */
    ALL_EXCLUDED,
    /**
     * The balancer's {@link TrafficPolicy} dropped the call (a control plane's {@code
     * drop_overloads}, or an operator's): deliberate load shedding, decided before any endpoint was
     * asked. Not to be retried; {@link NoEndpointAvailableException#dropCategory()} names the
     * category.
     */
    DROPPED
  }

  /** Why nothing could be picked. */
  private final Reason reason;

  /** The name of the balancer that had nothing to pick. */
  private final String balancerName;

  /** How many endpoints the balancer had, in any state, when the pick failed. */
  private final int endpointCount;

  /** The drop category, for {@link Reason#DROPPED}. */
  private final @Nullable String dropCategory;

  NoEndpointAvailableException(
      String message, String balancerName, int endpointCount, Reason reason) {
    this(message, balancerName, endpointCount, reason, null);
  }

  NoEndpointAvailableException(
      String message,
      String balancerName,
      int endpointCount,
      Reason reason,
      @Nullable String dropCategory) {
    super(message);
    this.reason = reason;
    this.balancerName = balancerName;
    this.endpointCount = endpointCount;
    this.dropCategory = dropCategory;
  }

  /**
   * The name of the balancer that had nothing to pick.
   *
   * @return the {@link LoadBalancer#name() name} of the balancer whose pick failed
   */
  public String balancerName() {
    return balancerName;
  }

  /**
   * Why nothing could be picked: no endpoints, none available, all at their concurrency limit,
   * breakers busy probing, or all excluded. Callers may, for example, shed load on {@link
   * Reason#AT_CAPACITY}, wait briefly on {@link Reason#AWAITING_PROBES}, and alert on {@link
   * Reason#NONE_AVAILABLE}.
   *
   * @return the reason; never null
   */
  public Reason reason() {
    return reason;
  }

  /**
   * How many endpoints the balancer had, in any state, when the pick failed.
   *
   * @return the balancer's member count at the time of the pick; 0 if it had no endpoints at all
   */
  public int endpointCount() {
    return endpointCount;
  }

  /**
   * The {@link TrafficPolicy} drop category that dropped the call.
   *
   * @return the category's name for {@link Reason#DROPPED}; null for every other reason
   */
  public @Nullable String dropCategory() {
    return dropCategory;
  }
}
