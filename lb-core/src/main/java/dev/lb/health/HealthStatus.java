package dev.lb.health;

/**
 * Where an endpoint stands in its health lifecycle, as shown in stats and events. When several
 * apply, the most administrative one is shown: {@link #DISABLED} over {@link #DRAINING} over {@link
 * #EJECTED} over {@link #UNHEALTHY}.
 *
 * <pre>
 *             fall failed checks / marked down            outlier detected
 *   HEALTHY ---------------------------------> UNHEALTHY   HEALTHY ---------> EJECTED
 *           &lt;---------------------------------                     &lt;---------
 *             rise passed checks / marked up                ejection time over
 *                                                           (+ rise passed checks
 *                                                            if active checks run)
 *   any --drain()/removal--> DRAINING --in flight 0 or timeout--> (gone, or back with enable())
 *   any --disable()--> DISABLED --enable()--> (previous health)
 * </pre>
 */
public enum HealthStatus {
  /** Takes calls. */
  HEALTHY,
  /** Failed its active health checks (or was marked down); takes calls only in panic mode. */
  UNHEALTHY,
  /** Ejected by outlier detection for a while; takes calls only in panic mode. */
  EJECTED,
  /** Takes no new calls; calls in flight finish. Removed endpoints drain before they go. */
  DRAINING,
  /** Out of rotation for maintenance until enabled again; takes no calls, even in panic mode. */
  DISABLED
}
