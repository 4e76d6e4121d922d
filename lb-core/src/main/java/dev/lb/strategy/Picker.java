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
}
