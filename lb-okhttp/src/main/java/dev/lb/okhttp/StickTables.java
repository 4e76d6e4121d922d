package dev.lb.okhttp;

import dev.lb.Ticker;
import dev.lb.hash.HashStrategies;
import dev.lb.hash.StickTable;
import java.time.Duration;

/**
 * Caffeine-backed {@link StickTable}s for lb-core's sticky sessions ({@link
 * HashStrategies#sticky(dev.lb.strategy.Strategy, StickTable)}): bounded in size, with idle expiry.
 *
 * <pre>{@code
 * Ticker ticker = Ticker.systemTicker();
 * LoadBalancer users = LoadBalancer.builder()
 *     .ticker(ticker)
 *     .strategy(HashStrategies.sticky(
 *         Strategies.powerOfTwoChoices(), StickTables.caffeine(100_000, Duration.ofMinutes(30), ticker)))
 *     .endpoints(endpoints)
 *     .build();
 * }</pre>
 *
 * <p>Give every balancer its own table: the sticky strategy remembers endpoint ids of its own
 * balancer. {@link Service.Builder#stickTable(long, Duration)} does all of this for the balancer
 * that {@link Service.Builder#endpoints} builds. The tables are thread-safe.
 */
public final class StickTables {
  private StickTables() {}

  /**
   * Returns a Caffeine-backed table on the system ticker.
   *
   * @param maximumSize the most sessions held; when full, Caffeine evicts rarely and not recently
   *     used sessions first (W-TinyLFU)
   * @param idleExpiry how long a session is remembered after its last use; positive
   * @return a new, empty table
   * @throws NullPointerException if {@code idleExpiry} is null
   * @throws IllegalArgumentException if {@code maximumSize} or {@code idleExpiry} is not positive
   */
  public static StickTable caffeine(long maximumSize, Duration idleExpiry) {
    return caffeine(maximumSize, idleExpiry, Ticker.systemTicker());
  }

  /**
   * Returns a Caffeine-backed table whose idle expiry is timed by {@code ticker}; pass the
   * balancer's ticker, so that tests and simulations that advance it expire sessions too.
   *
   * @param maximumSize the most sessions held; when full, Caffeine evicts rarely and not recently
   *     used sessions first (W-TinyLFU)
   * @param idleExpiry how long a session is remembered after its last use; positive
   * @param ticker the clock, usually the balancer's {@link dev.lb.LoadBalancer#ticker()}
   * @return a new, empty table
   * @throws NullPointerException if {@code idleExpiry} or {@code ticker} is null
   * @throws IllegalArgumentException if {@code maximumSize} or {@code idleExpiry} is not positive
   */
  public static StickTable caffeine(long maximumSize, Duration idleExpiry, Ticker ticker) {
    if (maximumSize <= 0) {
      throw new IllegalArgumentException(
          "stick table maximum size must be positive but was " + maximumSize);
    }
    long idleNanos = Options.positiveNanos(idleExpiry, "stick table idle expiry");
    return new CaffeineStickTable(maximumSize, idleNanos, Options.notNull(ticker, "ticker"));
  }
}
