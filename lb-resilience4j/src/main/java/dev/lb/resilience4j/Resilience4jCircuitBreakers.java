package dev.lb.resilience4j;

import dev.lb.Ticker;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerFactory;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Lets users who already run resilience4j keep their breakers: adapts a resilience4j {@code
 * CircuitBreaker} to lb's {@link CircuitBreaker}, so a balancer takes an endpoint out of picking
 * while its resilience4j breaker is open, admits its half-open probes, and reports every call's
 * outcome to it.
 *
 * <pre>{@code
 * CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(myResilience4jConfig);
 * CircuitBreakerFactory perEndpoint = Resilience4jCircuitBreakers.factory(registry);
 * }</pre>
 *
 * <p>Resilience4j tells time by the {@link Clock} in its own configuration, not by the balancer's
 * {@link Ticker}; to drive both from one fake clock (tests, simulations), configure resilience4j
 * with {@link #clockOf(Ticker)}. States map one to one; resilience4j's {@code METRICS_ONLY}, which
 * admits every call and never opens, appears as {@link CircuitBreaker.State#DISABLED}.
 *
 * <p>Driven through the same calls, lb's built-in breaker and resilience4j's make the same
 * decisions and transitions (this module's {@code EquivalenceTest} checks it over both window
 * kinds), with two differences that only misuse or operators see: resilience4j lets {@link
 * CircuitBreaker#releasePermission()} raise a half-open breaker's probe allowance above its
 * configured number (lb caps it), and it tells listeners of no refusals while forced open.
 *
 * <p>The adapters are thread-safe as resilience4j's breakers are.
 */
public final class Resilience4jCircuitBreakers {
  private Resilience4jCircuitBreakers() {}

  /**
   * Adapts one resilience4j breaker.
   *
   * @param breaker the breaker to adapt; its state, metrics and events are shared with every other
   *     user of it
   * @return an lb breaker that delegates to {@code breaker}
   * @throws NullPointerException if {@code breaker} is null
   */
  public static CircuitBreaker wrap(
      io.github.resilience4j.circuitbreaker.@Nullable CircuitBreaker breaker) {
    return new Resilience4jCircuitBreaker(
        Objects.requireNonNull(breaker, "breaker must not be null"));
  }

  /**
   * A factory that takes each endpoint's breaker from {@code registry}, named after the endpoint's
   * id, with the registry's default configuration. An endpoint that leaves and comes back gets the
   * same breaker again, state included, as the registry keeps it.
   *
   * @param registry the registry to take breakers from
   * @return a factory of adapted breakers
   * @throws NullPointerException if {@code registry} is null
   */
  public static CircuitBreakerFactory factory(@Nullable CircuitBreakerRegistry registry) {
    Objects.requireNonNull(registry, "registry must not be null");
    return (endpoint, ticker) -> wrap(registry.circuitBreaker(endpoint.id()));
  }

  /**
   * A factory that takes each endpoint's breaker from {@code registry}, named after the endpoint's
   * id, with the registry's configuration named {@code configName}.
   *
   * @param registry the registry to take breakers from
   * @param configName the name of a configuration added to the registry
   * @return a factory of adapted breakers
   * @throws NullPointerException if {@code registry} or {@code configName} is null
   * @throws IllegalArgumentException if {@code configName} is blank
   */
  public static CircuitBreakerFactory factory(
      @Nullable CircuitBreakerRegistry registry, @Nullable String configName) {
    Objects.requireNonNull(registry, "registry must not be null");
    Objects.requireNonNull(configName, "configName must not be null");
    if (configName.isBlank()) {
      throw new IllegalArgumentException(
          "configName must not be blank but was '" + configName + "'");
    }
    return (endpoint, ticker) -> wrap(registry.circuitBreaker(endpoint.id(), configName));
  }

  /**
   * A {@link Clock} that reads {@code ticker}: its instant is the ticker's reading as nanoseconds
   * after the epoch. Give it to resilience4j's {@code CircuitBreakerConfig.Builder.clock} so that
   * resilience4j's open-state wait and time-based windows follow the balancer's (fake) time.
   *
   * @param ticker the ticker to read
   * @return a clock in UTC over the ticker
   * @throws NullPointerException if {@code ticker} is null
   */
  public static Clock clockOf(@Nullable Ticker ticker) {
    return new TickerClock(
        Objects.requireNonNull(ticker, "ticker must not be null"), ZoneOffset.UTC);
  }

  /** A clock over a ticker. */
  private static final class TickerClock extends Clock {
    private final Ticker ticker;
    private final ZoneId zone;

    TickerClock(Ticker ticker, ZoneId zone) {
      this.ticker = ticker;
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new TickerClock(ticker, Objects.requireNonNull(zone, "zone must not be null"));
    }

    @Override
    public Instant instant() {
      long nanos = ticker.read();
      return Instant.ofEpochSecond(
          Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    @Override
    public long millis() {
      return Math.floorDiv(ticker.read(), 1_000_000L);
    }
  }
}
