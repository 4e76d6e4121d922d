/**
 * Endpoint health: the active-check SPI ({@link dev.lb.health.HealthChecker}), its results, and the
 * configuration of health checking, outlier detection, panic and slow start.
 */
@NullMarked
package dev.lb.health;

import org.jspecify.annotations.NullMarked;
