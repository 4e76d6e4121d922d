/**
 * Circuit breakers: a per-endpoint (or per-group) state machine that stops sending calls to a
 * backend while it fails, then probes it before trusting it again.
 *
 * <p>{@link dev.lb.breaker.CircuitBreaker} is the interface a balancer drives; {@link
 * dev.lb.breaker.CircuitBreaker#of} builds the built-in lock-free implementation from a {@link
 * dev.lb.breaker.CircuitBreakerConfig}, and a {@link dev.lb.breaker.CircuitBreakerFactory} creates
 * one breaker per endpoint. Other implementations (the {@code lb-resilience4j} bridge) plug in
 * behind the same interface.
 */
@NullMarked
package dev.lb.breaker;

import org.jspecify.annotations.NullMarked;
