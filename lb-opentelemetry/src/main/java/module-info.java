/**
 * lb-opentelemetry: lb's balancer metrics through the OpenTelemetry metrics API. See {@link
 * dev.lb.opentelemetry.LoadBalancerTelemetry}.
 *
 * <p>OpenTelemetry ships automatic modules; {@code io.opentelemetry.api} is opentelemetry-api's
 * stable {@code Automatic-Module-Name}, and the warning javac gives for requiring an automatic
 * module is suppressed here, knowingly.
 */
@SuppressWarnings("requires-automatic")
module dev.lb.opentelemetry {
  requires transitive dev.lb.core;
  requires transitive io.opentelemetry.api;
  requires static org.jspecify;

  exports dev.lb.opentelemetry;
}
