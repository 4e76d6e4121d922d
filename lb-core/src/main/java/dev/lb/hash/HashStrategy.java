package dev.lb.hash;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.PickContext;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A hash-based strategy: hashes the call's key with {@link XxHash64} and asks a {@link Placement}
 * for the endpoint; calls without a key go to the fallback strategy. Its pickers are built over
 * every member ({@link #stableMembership()}), so an unavailable endpoint is skipped through {@link
 * Picker#pick(PickContext, int)} and only its own keys move. Given the previous picker it built for
 * the balancer ({@link #newPicker(List, StrategyContext, Picker)}), the placement may be updated
 * from the previous one (the ring adds and removes only the changed endpoints' points); the result
 * is always the one a fresh build gives. Immutable and thread-safe.
 */
final class HashStrategy implements Strategy {
  private final String name;
  private final String description;
  private final long seed;
  private final Strategy fallback;
  private final Placement.Factory placements;

  HashStrategy(
      String name, String description, long seed, Strategy fallback, Placement.Factory placements) {
    this.name = name;
    this.description = description;
    this.seed = seed;
    this.fallback = fallback;
    this.placements = placements;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean stableMembership() {
    return true;
  }

  @Override
  public boolean usesPeakEwma() {
    return fallback.usesPeakEwma();
  }

  @Override
  public boolean usesThroughput() {
    return fallback.usesThroughput();
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    return newPicker(endpoints, context, null);
  }

  /**
   * Builds the picker, from {@code previous}'s placement if {@code previous} is a picker of this
   * strategy; the fallback's picker is likewise built from the previous fallback picker.
   *
   * @throws NullPointerException if {@code endpoints} or {@code context} is null
   * @throws IllegalArgumentException if {@code endpoints} is empty
   */
  @Override
  public Picker newPicker(
      List<LiveEndpoint> endpoints, StrategyContext context, @Nullable Picker previous) {
    LiveEndpoint[] array = checkEndpoints(name, endpoints, context);
    @Nullable Placement previousPlacement = null;
    @Nullable Picker previousFallback = null;
    if (previous instanceof HashPicker p && p.strategy == this) {
      previousPlacement = p.placement;
      previousFallback = p.fallback;
    }
    Placement placement = placements.build(array, seed, previousPlacement);
    Picker fallbackPicker = fallback.newPicker(endpoints, context, previousFallback);
    return new HashPicker(this, array, placement, fallbackPicker, seed);
  }

  /**
   * The checks every hash strategy makes of {@link Strategy#newPicker}'s arguments, a public SPI
   * that code other than the balancer may call: early, and naming the strategy.
   *
   * @return the endpoints as an array, none null
   */
  static LiveEndpoint[] checkEndpoints(
      String strategy, List<LiveEndpoint> endpoints, StrategyContext context) {
    checkNotNull(endpoints, "endpoints");
    checkNotNull(context, "context");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException(
          strategy + ": endpoints must not be empty (build pickers over one endpoint or more)");
    }
    LiveEndpoint[] array = endpoints.toArray(new LiveEndpoint[0]);
    for (int i = 0; i < array.length; i++) {
      checkNotNull(array[i], "endpoints[" + i + "]");
    }
    return array;
  }

  @Override
  public String toString() {
    return name + "{" + description + ", seed=" + seed + ", fallback=" + fallback.name() + "}";
  }

  /** Hashes the key, then reads the placement. Lock-free and allocation-free. */
  private static final class HashPicker implements Picker {
    private final HashStrategy strategy;
    private final LiveEndpoint[] endpoints;
    private final Placement placement;
    private final Picker fallback;
    private final long seed;

    HashPicker(
        HashStrategy strategy,
        LiveEndpoint[] endpoints,
        Placement placement,
        Picker fallback,
        long seed) {
      this.strategy = strategy;
      this.endpoints = endpoints;
      this.placement = placement;
      this.fallback = fallback;
      this.seed = seed;
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context) {
      return pick(context, 0);
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context, int attempt) {
      if (!context.hasKey()) {
        return fallback.pick(context, attempt);
      }
      return endpoints[placement.locate(KeyHash.of(context, seed), Math.max(0, attempt))];
    }
  }
}
