package dev.lb.strategy;

import dev.lb.PickContext;
import org.jspecify.annotations.Nullable;

/**
 * Chooses one endpoint per call from a fixed set of endpoints. A picker is built by a {@link
 * Strategy} for one membership snapshot and replaced, never mutated, when membership changes.
 *
 * <p>Called concurrently by every thread that picks, so {@link #pick} must be thread-safe,
 * lock-free, fast, non-blocking and should not allocate. Internal mutable state (counters,
 * positions) is allowed but must tolerate races.
 */
@FunctionalInterface
public interface Picker {
  /**
   * Returns the endpoint for this call, one of those the picker was built with, or null if none can
   * be chosen. Must not throw.
   *
   * @param context what is known about the call (affinity key, attributes); {@link
   *     PickContext#none()} if nothing
   * @return the chosen endpoint, one of the instances the picker was built with, or null if none
   *     can be chosen
   */
  @Nullable LiveEndpoint pick(PickContext context);

  /**
   * Returns the call's {@code attempt}-th choice. The balancer asks for attempt 0 first, which must
   * be what {@link #pick(PickContext)} returns, and asks for attempts 1, 2, ... only when the
   * previous choice cannot take the call: it is unavailable (unhealthy, ejected, draining, its
   * breaker open), at its concurrency limit, or already tried by this call. Pickers with a natural
   * order of alternatives (the next endpoint on a hash ring, the next Maglev preference, the
   * next-highest rendezvous score) return the next distinct endpoint in that order, so a key moves
   * to its own successor rather than to a random endpoint. The default asks {@link
   * #pick(PickContext)} again, which suits pickers that rotate or draw at random.
   *
   * <p>The balancer asks for a bounded number of attempts and then scans for any endpoint that can
   * take the call, so a picker need not guarantee that its alternatives cover every endpoint.
   *
   * @param context what is known about the call, as for {@link #pick(PickContext)}
   * @param attempt 0 for the first choice, then 1, 2, ... for successive alternatives
   * @return the chosen endpoint, one of the instances the picker was built with, or null if none
   *     can be chosen
   */
  default @Nullable LiveEndpoint pick(PickContext context, int attempt) {
    return pick(context);
  }

  /**
   * Recomputes what the picker derives from its endpoints' live state (weights from load reports,
   * say) and publishes the result for later picks, which must keep running meanwhile without
   * waiting. The balancer calls it every {@link Strategy#refreshPeriodNanos()} on its scheduler,
   * serialized with the building of pickers and never concurrently with itself; never on a picking
   * thread. The default does nothing. Must not throw and must not block.
   *
   * @param nowNanos a reading of the balancer's {@link dev.lb.Ticker}
   */
  default void refresh(long nowNanos) {}
}
