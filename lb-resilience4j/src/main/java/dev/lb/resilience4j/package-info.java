/**
 * Resilience4j circuit breakers behind lb's {@link dev.lb.breaker.CircuitBreaker} interface: {@link
 * dev.lb.resilience4j.Resilience4jCircuitBreakers} wraps one breaker, or makes a {@link
 * dev.lb.breaker.CircuitBreakerFactory} that takes one per endpoint from a {@code
 * CircuitBreakerRegistry}.
 */
@NullMarked
package dev.lb.resilience4j;

import org.jspecify.annotations.NullMarked;
