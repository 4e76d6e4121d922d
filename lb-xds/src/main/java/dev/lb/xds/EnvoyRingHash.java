package dev.lb.xds;

import dev.lb.hash.HashStrategies;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * lb's {@code ring_hash} sized as Envoy sizes a ring from {@code minimum_ring_size} and {@code
 * maximum_ring_size}: at least the minimum number of points in all (Envoy's ring holds {@code
 * max(minimum, what the lightest endpoint needs for one point)} points, at most the maximum).
 *
 * <p>lb's ring gives an endpoint of weight {@code w} {@code w / g x v} points ({@code g} the gcd of
 * the weights, {@code v} the points per unit of weight), so this strategy chooses {@code v =
 * ceil(minimum / units)} for the {@code units = sum(w) / g} of the endpoints it is given, and caps
 * the ring at the maximum (lb halves every endpoint's points until the ring fits). While {@code v}
 * stays the same, a change of membership reuses the previous ring and moves only the keys of the
 * endpoints that changed; a change that moves {@code v} (units crossing {@code minimum / k}) builds
 * a new ring, as a change of Envoy's scale does. Immutable and thread-safe.
 */
final class EnvoyRingHash implements Strategy {
  private final long minRingSize;
  private final int maxRingSize;

  /**
   * Ring strategies by {@code v}, so that a balancer's previous picker (its strategy's own) can be
   * reused; a few entries, as one strategy may serve balancers of different sizes.
   */
  private final java.util.Map<Integer, Strategy> rings =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final int MAX_RINGS = 8;

  EnvoyRingHash(long minRingSize, long maxRingSize) {
    this.minRingSize = minRingSize;
    this.maxRingSize = (int) Math.min(maxRingSize, 1 << 26);
  }

  private Strategy ring(int pointsPerWeight) {
    Strategy ring = rings.get(pointsPerWeight);
    if (ring == null) {
      if (rings.size() >= MAX_RINGS) {
        rings.clear(); // costs one full rebuild per balancer, never a wrong picker
      }
      ring =
          rings.computeIfAbsent(
              pointsPerWeight,
              v ->
                  HashStrategies.builder()
                      .virtualNodesPerWeight(v)
                      .maxRingSize(maxRingSize)
                      .ringHash());
    }
    return ring;
  }

  /** Points per unit of weight for {@code endpoints}: at least the minimum ring in all. */
  int pointsPerWeight(List<LiveEndpoint> endpoints) {
    long gcd = 0;
    long sum = 0;
    for (LiveEndpoint e : endpoints) {
      gcd = gcd(gcd, e.weight());
      sum += e.weight();
    }
    long units = gcd == 0 ? 1 : sum / gcd;
    long v = (minRingSize + units - 1) / units;
    return (int) Math.max(1, Math.min(65_536, v));
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String name() {
    return "ring_hash";
  }

  @Override
  public boolean stableMembership() {
    return true;
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    return newPicker(endpoints, context, null);
  }

  @Override
  public Picker newPicker(
      List<LiveEndpoint> endpoints, StrategyContext context, @Nullable Picker previous) {
    Objects.requireNonNull(endpoints, "endpoints must not be null");
    // The ring strategy itself ignores a previous picker that is not its own.
    return ring(pointsPerWeight(endpoints)).newPicker(endpoints, context, previous);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof EnvoyRingHash r
        && minRingSize == r.minRingSize
        && maxRingSize == r.maxRingSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(minRingSize, maxRingSize);
  }

  @Override
  public String toString() {
    return "ring_hash{minimumRingSize=" + minRingSize + ", maximumRingSize=" + maxRingSize + "}";
  }
}
