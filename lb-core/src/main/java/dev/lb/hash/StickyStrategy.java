package dev.lb.hash;

import dev.lb.PickContext;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Sticky sessions through a {@link StickTable}: a session's first call is placed by the placement
 * strategy, then the session sticks to that endpoint. See {@link HashStrategies#sticky(Strategy,
 * StickTable)}.
 *
 * <p>Its pickers are built over the endpoints that can take calls now (not {@link
 * #stableMembership()}), so a remembered endpoint that is ejected, draining or removed is missing
 * from the picker and the session is placed again. When the balancer asks for attempt {@code k >
 * 0}, the remembered endpoint could not take the call: the session is placed again by the placement
 * strategy's attempt {@code k}, avoiding the endpoint it stuck to, and sticks to the result.
 *
 * <p>Thread-safe if the table is. A pick for a remembered session is one table lookup and one read
 * of an immutable id map: lock-free, and allocation-free if the table's lookup is.
 */
final class StickyStrategy implements Strategy {
  private final Strategy placement;
  private final StickTable table;

  StickyStrategy(Strategy placement, StickTable table) {
    this.placement = placement;
    this.table = table;
  }

  @Override
  public String name() {
    return "sticky";
  }

  @Override
  public boolean usesPeakEwma() {
    return placement.usesPeakEwma();
  }

  @Override
  public boolean usesThroughput() {
    return placement.usesThroughput();
  }

  /**
   * Builds the picker over {@code endpoints}.
   *
   * @throws NullPointerException if {@code endpoints} or {@code context} is null
   * @throws IllegalArgumentException if {@code endpoints} is empty
   */
  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    Map<String, LiveEndpoint> byId = new HashMap<>();
    for (LiveEndpoint e : HashStrategy.checkEndpoints(name(), endpoints, context)) {
      byId.put(e.endpoint().id(), e);
    }
    return new StickyPicker(placement.newPicker(endpoints, context), byId, endpoints.size(), table);
  }

  @Override
  public String toString() {
    return "sticky{placement=" + placement.name() + ", table=" + table + "}";
  }

  private static final class StickyPicker implements Picker {
    private final Picker placement;
    private final Map<String, LiveEndpoint> byId;
    private final int size;
    private final StickTable table;

    StickyPicker(Picker placement, Map<String, LiveEndpoint> byId, int size, StickTable table) {
      this.placement = placement;
      this.byId = byId;
      this.size = size;
      this.table = table;
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context) {
      return pick(context, 0);
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context, int attempt) {
      if (!context.hasKey()) {
        return placement.pick(context, attempt);
      }
      long session = KeyHash.of(context, 0L);
      String stuck = table.get(session);
      LiveEndpoint current = stuck == null ? null : byId.get(stuck);
      if (current != null && attempt <= 0) {
        return current;
      }
      // New, expired or moved away, or its endpoint cannot take the call: place it again, on
      // another endpoint than the one it stuck to if the placement offers one.
      LiveEndpoint chosen = placement.pick(context, attempt);
      if (stuck != null) {
        for (int extra = 1; extra < size && chosen != null && isEndpoint(chosen, stuck); extra++) {
          chosen = placement.pick(context, attempt + extra);
        }
      }
      if (chosen != null) {
        table.put(session, chosen.endpoint().id());
      }
      return chosen;
    }

    private static boolean isEndpoint(LiveEndpoint e, String id) {
      return e.endpoint().id().equals(id);
    }
  }
}
