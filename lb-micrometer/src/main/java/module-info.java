/**
 * lb-micrometer: Micrometer meters for lb's balancers. See {@link
 * dev.lb.micrometer.LoadBalancerMetrics}.
 *
 * <p>Micrometer ships automatic modules; {@code micrometer.core} is micrometer-core's stable {@code
 * Automatic-Module-Name}, and the warning javac gives for requiring an automatic module is
 * suppressed here, knowingly.
 */
@SuppressWarnings("requires-automatic")
module dev.lb.micrometer {
  requires transitive dev.lb.core;
  requires transitive micrometer.core;
  requires static org.jspecify;

  exports dev.lb.micrometer;
}
