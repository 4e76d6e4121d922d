package dev.lb.strategy;

import dev.lb.PickContext;
import dev.lb.Ticker;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Prequal} picker: the hot/cold rule over its {@link ProbePool}, else the fallback
 * strategy's picker over the same endpoints. A pick counts itself (a striped counter), reads the
 * pool and, if the pool has nothing usable, asks the fallback; it never starts a probe: the
 * balancer's refresh turns the counted picks into probes ({@link PrequalSession#refresh}).
 */
final class PrequalPicker implements Picker {
  final LiveEndpoint[] endpoints;
  private final Picker fallback;
  final @Nullable ProbePool pool;
  private final PrequalSession session;
  private final RandomGenerator random;
  private final Ticker ticker;

  PrequalPicker(
      LiveEndpoint[] endpoints,
      Picker fallback,
      @Nullable ProbePool pool,
      PrequalSession session,
      StrategyContext context) {
    this.endpoints = endpoints;
    this.fallback = fallback;
    this.pool = pool;
    this.session = session;
    this.random = context.random();
    this.ticker = context.ticker();
  }

  @Override
  public @Nullable LiveEndpoint pick(PickContext context) {
    ProbePool p = pool;
    if (p == null) {
      return fallback.pick(context); // a small group, or no prober
    }
    p.picks.increment();
    LiveEndpoint e = p.take(random, ticker);
    return e != null ? e : fallback.pick(context);
  }

  @Override
  public @Nullable LiveEndpoint pick(PickContext context, int attempt) {
    // The pool's choice first; if it cannot take the call, the fallback's order.
    return attempt == 0 ? pick(context) : fallback.pick(context, attempt);
  }

  @Override
  public void refresh(long nowNanos) {
    fallback.refresh(nowNanos);
    ProbePool p = pool;
    if (p != null) {
      session.refresh(this, p, nowNanos);
    }
  }
}
