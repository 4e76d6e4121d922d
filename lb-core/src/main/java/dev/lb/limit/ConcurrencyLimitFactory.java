package dev.lb.limit;

import dev.lb.Ticker;

/**
 * Makes a {@link ConcurrencyLimit}: one per endpoint for a per-endpoint limit, or one for a whole
 * balancer. {@link ConcurrencyLimits} returns ready factories; each {@code create} returns a new,
 * independent limit.
 *
 * <p>Implementations must be thread-safe and must not return null.
 */
@FunctionalInterface
public interface ConcurrencyLimitFactory {
  /**
   * Makes a new limit.
   *
   * @param ticker the balancer's clock, which adaptive limits read once per sample
   * @return a new limit, never null
   */
  ConcurrencyLimit create(Ticker ticker);
}
