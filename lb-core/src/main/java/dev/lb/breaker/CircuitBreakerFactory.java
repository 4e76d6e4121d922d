package dev.lb.breaker;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import dev.lb.Ticker;

/**
 * Creates one circuit breaker per endpoint. A balancer calls it when an endpoint joins and keeps
 * the breaker for as long as the endpoint's id stays in the balancer.
 *
 * <pre>{@code
 * CircuitBreakerFactory perEndpoint = CircuitBreakerFactory.of(
 *     CircuitBreakerConfig.builder().failureRateThreshold(25).build());
 * }</pre>
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface CircuitBreakerFactory {
  /**
   * Returns a new breaker for {@code endpoint}.
   *
   * @param endpoint the endpoint the breaker guards; its id names the breaker
   * @param ticker the balancer's clock, which the breaker should tell time by
   * @return a new breaker, not shared with any other endpoint
   */
  CircuitBreaker create(Endpoint endpoint, Ticker ticker);

  /**
   * Returns a factory of built-in breakers, each named after its endpoint's id.
   *
   * @param config the configuration every breaker gets
   * @return a factory calling {@link CircuitBreaker#of}
   * @throws NullPointerException if {@code config} is null
   */
  static CircuitBreakerFactory of(CircuitBreakerConfig config) {
    checkNotNull(config, "config");
    return (endpoint, ticker) -> CircuitBreaker.of(endpoint.id(), config, ticker);
  }
}
