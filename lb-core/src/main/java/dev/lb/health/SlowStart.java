package dev.lb.health;

import static dev.lb.health.HealthCheckConfig.positive;
import static dev.lb.internal.Checks.checkArgument;

import java.time.Duration;

/**
 * Slow start: an endpoint that joins, or comes back from being unhealthy or ejected, takes a
 * growing share of traffic over a window instead of its full share at once, so a cold JVM or an
 * empty cache is not flooded (Envoy's and Armeria's slow start).
 *
 * <p>Its effective weight is {@code weight x max(minWeightPercent / 100, f ^ (1 / aggression))}
 * with {@code f = elapsed / window}: with aggression 1 the ramp is linear; above 1 it climbs faster
 * early, below 1 slower. Endpoints present when the balancer is built start at full weight (there
 * is nobody to take their share). The ramp is recomputed in 20 steps over the window, and the
 * strategies honour it as follows:
 *
 * <ul>
 *   <li>weighted strategies ({@code weighted_round_robin}, {@code weighted_random}, {@code
 *       weighted_least_connections}, {@code least_response_time}, {@code least_bandwidth}, {@code
 *       p2c}, {@code peak_ewma}) see the effective weight through {@link
 *       dev.lb.strategy.LiveEndpoint#weight()};
 *   <li>{@code round_robin} and {@code random}, which ignore weights, pick a ramping endpoint in
 *       proportion to its factor ({@link dev.lb.strategy.LiveEndpoint#rampFactor()}): at factor 0.1
 *       it gets a tenth of an equal endpoint's share; while no endpoint ramps they pick exactly as
 *       without slow start;
 *   <li>{@code least_connections} ranks by calls in flight divided by the factor, as Envoy's least
 *       request does with slow start, and breaks ties in proportion to the factors;
 *   <li>hash strategies ignore ramps, so that a ramp never moves keys between endpoints.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class SlowStart {
  private final long windowNanos;
  private final int minWeightPercent;
  private final double aggression;

  private SlowStart(long windowNanos, int minWeightPercent, double aggression) {
    this.windowNanos = windowNanos;
    this.minWeightPercent = minWeightPercent;
    this.aggression = aggression;
  }

  /**
   * A linear ramp over {@code window} starting at 10% of the weight.
   *
   * @param window how long the ramp lasts; positive
   * @return a new slow-start configuration
   * @throws NullPointerException if {@code window} is null
   * @throws IllegalArgumentException if {@code window} is not positive
   */
  public static SlowStart of(Duration window) {
    return new SlowStart(positive(window, "slowStart window").toNanos(), 10, 1.0);
  }

  /**
   * Returns a copy starting at {@code minWeightPercent} of the weight.
   *
   * @param minWeightPercent 1 to 100
   * @return a new configuration
   * @throws IllegalArgumentException if not in 1..100
   */
  public SlowStart withMinWeightPercent(int minWeightPercent) {
    checkArgument(
        minWeightPercent >= 1 && minWeightPercent <= 100,
        "minWeightPercent must be in 1..100 but was %s",
        minWeightPercent);
    return new SlowStart(windowNanos, minWeightPercent, aggression);
  }

  /**
   * Returns a copy with the ramp's curve exponent set.
   *
   * @param aggression positive; 1 is linear, larger climbs faster early
   * @return a new configuration
   * @throws IllegalArgumentException if not positive and finite
   */
  public SlowStart withAggression(double aggression) {
    checkArgument(
        aggression > 0 && Double.isFinite(aggression),
        "aggression must be positive but was %s",
        aggression);
    return new SlowStart(windowNanos, minWeightPercent, aggression);
  }

  /**
   * The ramp's length.
   *
   * @return nanoseconds
   */
  public long windowNanos() {
    return windowNanos;
  }

  /**
   * Where the ramp starts.
   *
   * @return percent of the configured weight, 1 to 100
   */
  public int minWeightPercent() {
    return minWeightPercent;
  }

  /**
   * The ramp's curve exponent.
   *
   * @return positive; 1 is linear
   */
  public double aggression() {
    return aggression;
  }

  /**
   * The share of its weight an endpoint has {@code elapsedNanos} into its ramp.
   *
   * @param elapsedNanos time since the ramp began
   * @return a factor in [minWeightPercent / 100, 1]; 1 once the window has passed
   */
  public double factor(long elapsedNanos) {
    if (elapsedNanos >= windowNanos) {
      return 1.0;
    }
    double f = Math.max(0, elapsedNanos) / (double) windowNanos;
    return Math.max(minWeightPercent / 100.0, Math.pow(f, 1.0 / aggression));
  }

  @Override
  public String toString() {
    return "SlowStart{window="
        + Duration.ofNanos(windowNanos)
        + ", minWeightPercent="
        + minWeightPercent
        + ", aggression="
        + aggression
        + "}";
  }
}
