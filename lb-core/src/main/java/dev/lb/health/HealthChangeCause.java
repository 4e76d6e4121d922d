package dev.lb.health;

/**
 * Why an endpoint's {@link HealthStatus} changed, as told to {@code
 * LoadBalancerListener#onHealthChanged}: adapters and alerting switch on the cause instead of
 * parsing the human-readable detail that comes with it. New causes may be added; treat an unknown
 * one as informational.
 */
public enum HealthChangeCause {
  /** Active checks passed their healthy threshold (rise). */
  CHECKS_PASSED,
  /** Active checks failed their unhealthy threshold (fall). */
  CHECKS_FAILED,
  /** Outlier detection ejected the endpoint. */
  EJECTED,
  /** The ejection time ended and the endpoint is back (active checks off). */
  EJECTION_ENDED,
  /** A transport or the application marked the endpoint down. */
  MARKED_DOWN,
  /** A mark-down was cleared. */
  MARKED_UP,
  /** The endpoint was disabled for maintenance. */
  DISABLED,
  /** A disabled or draining endpoint was enabled again. */
  ENABLED,
  /** A drain was requested. */
  DRAIN_STARTED,
  /** The endpoint left the membership and drains. */
  REMOVED,
  /** A removed endpoint, still draining, rejoined the membership. */
  ADDED_BACK,
  /** The endpoint's circuit breaker opened (or was forced open). */
  BREAKER_OPENED,
  /** The open breaker's wait is over: the endpoint is back in rotation for probes. */
  BREAKER_PROBING,
  /** The endpoint's circuit breaker admits calls again (closed, half-open or disabled). */
  BREAKER_CLOSED
}
