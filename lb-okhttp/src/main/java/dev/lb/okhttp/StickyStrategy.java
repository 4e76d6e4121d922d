package dev.lb.okhttp;

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
 * A strategy that honours a stick table's entry: a call whose {@link PickContext} carries the
 * attribute {@link #PREFERRED_ENDPOINT} goes to the member with that id, if it is still a member;
 * every other call, and every alternative after the first choice, goes to the wrapped strategy.
 *
 * <p>A service configured with {@link Service.Builder#stickTable} requires its balancers to pick
 * with this strategy, because lb-core's {@code LoadBalancer} cannot yet be asked for one endpoint
 * by id; once lb-core's stick table lands, it takes over and this class goes away.
 *
 * <pre>{@code
 * LoadBalancer balancer = LoadBalancer.builder()
 *     .strategy(StickyStrategy.wrap(Strategies.powerOfTwoChoices()))
 *     .endpoints(endpoints)
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe. The picker adds one map look-up to the wrapped strategy's pick and
 * allocates nothing.
 */
public final class StickyStrategy implements Strategy {
  /** The {@link PickContext} attribute naming the preferred endpoint's id, a {@link String}. */
  public static final String PREFERRED_ENDPOINT = "lb.preferredEndpoint";

  private final Strategy delegate;

  private StickyStrategy(Strategy delegate) {
    this.delegate = delegate;
  }

  /**
   * Wraps {@code delegate} so that it honours stick-table entries.
   *
   * @param delegate the strategy for calls without an entry; must not be null
   * @return a new strategy named {@code sticky_} followed by the delegate's name
   * @throws IllegalArgumentException if {@code delegate} is null
   */
  public static StickyStrategy wrap(@Nullable Strategy delegate) {
    return new StickyStrategy(Options.notNull(delegate, "delegate strategy"));
  }

  /**
   * The wrapped strategy.
   *
   * @return the strategy that picks when no entry applies
   */
  public Strategy delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return "sticky_" + delegate.name();
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    return new StrategyWrapper(delegate).picker(endpoints, context);
  }

  @Override
  public boolean stableMembership() {
    return delegate.stableMembership();
  }

  @Override
  public boolean usesPeakEwma() {
    return delegate.usesPeakEwma();
  }

  @Override
  public boolean usesThroughput() {
    return delegate.usesThroughput();
  }

  @Override
  public String toString() {
    return name();
  }

  /** Builds the preferring picker around the delegate's. */
  private static final class StrategyWrapper {
    private final Strategy delegate;

    StrategyWrapper(Strategy delegate) {
      this.delegate = delegate;
    }

    Picker picker(List<LiveEndpoint> endpoints, StrategyContext context) {
      Picker inner = delegate.newPicker(endpoints, context);
      Map<String, LiveEndpoint> byId = new HashMap<>();
      for (LiveEndpoint e : endpoints) {
        byId.put(e.endpoint().id(), e);
      }
      return new PreferringPicker(inner, Map.copyOf(byId));
    }
  }

  private static final class PreferringPicker implements Picker {
    private final Picker inner;
    private final Map<String, LiveEndpoint> byId;

    PreferringPicker(Picker inner, Map<String, LiveEndpoint> byId) {
      this.inner = inner;
      this.byId = byId;
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context) {
      Object preferred = context.attribute(PREFERRED_ENDPOINT);
      if (preferred instanceof String id) {
        LiveEndpoint e = byId.get(id);
        if (e != null) {
          return e;
        }
      }
      return inner.pick(context);
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context, int attempt) {
      return attempt == 0 ? pick(context) : inner.pick(context, attempt);
    }
  }
}
