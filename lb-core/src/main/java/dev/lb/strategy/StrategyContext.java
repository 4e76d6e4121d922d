package dev.lb.strategy;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.util.random.RandomGenerator;

/**
 * What a balancer lends its strategy when building pickers: the random source and the clock.
 * Strategies must draw all randomness from {@link #random()} so that a seeded generator makes a
 * balancer reproducible in tests.
 *
 * @param random thread-safe unless the balancer is used from a single thread; see {@link
 *     dev.lb.LoadBalancer.Builder#random}
 * @param ticker the balancer's clock
 */
public record StrategyContext(RandomGenerator random, Ticker ticker) {
  /**
   * Makes a context.
   *
   * @param random the random source; must not be null
   * @param ticker the clock; must not be null
   * @throws NullPointerException if {@code random} or {@code ticker} is null
   */
  public StrategyContext {
    checkNotNull(random, "random");
    checkNotNull(ticker, "ticker");
  }
}
