package dev.lb.hash;

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
 * Picker#pick(PickContext, int)} and only its own keys move. Immutable and thread-safe.
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
    LiveEndpoint[] array = endpoints.toArray(new LiveEndpoint[0]);
    Placement placement = placements.build(array, seed);
    return new HashPicker(array, placement, fallback.newPicker(endpoints, context), seed);
  }

  @Override
  public String toString() {
    return name + "{" + description + ", seed=" + seed + ", fallback=" + fallback.name() + "}";
  }

  /** Hashes the key, then reads the placement. Lock-free and allocation-free. */
  private static final class HashPicker implements Picker {
    private final LiveEndpoint[] endpoints;
    private final Placement placement;
    private final Picker fallback;
    private final long seed;

    HashPicker(LiveEndpoint[] endpoints, Placement placement, Picker fallback, long seed) {
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
