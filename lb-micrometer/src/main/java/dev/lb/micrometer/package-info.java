/**
 * Micrometer meters for lb's balancers: {@link dev.lb.micrometer.LoadBalancerMetrics}, a {@code
 * MeterBinder} per balancer.
 */
@NullMarked
package dev.lb.micrometer;

import org.jspecify.annotations.NullMarked;
