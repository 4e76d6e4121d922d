package dev.lb.limit;

import dev.lb.Endpoint;
import dev.lb.Ticker;

/**
 * Creates one rate limiter per endpoint, to cap the requests per period sent to each backend. A
 * balancer calls it when an endpoint joins and skips the endpoint at pick time while its limiter
 * refuses.
 *
 * <pre>{@code
 * RateLimiterFactory perEndpoint = (endpoint, ticker) ->
 *     RateLimiters.tokenBucket(100, Duration.ofSeconds(1)).burst(20).ticker(ticker).build();
 * }</pre>
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface RateLimiterFactory {
  /**
   * Returns a new limiter for {@code endpoint}.
   *
   * @param endpoint the endpoint whose requests the limiter caps
   * @param ticker the balancer's clock, which the limiter should tell time by
   * @return a new limiter, not shared with any other endpoint
   */
  RateLimiter create(Endpoint endpoint, Ticker ticker);
}
