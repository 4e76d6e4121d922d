/** OpenTelemetry metrics for lb's balancers: {@link dev.lb.opentelemetry.LoadBalancerTelemetry}. */
@NullMarked
package dev.lb.opentelemetry;

import org.jspecify.annotations.NullMarked;
