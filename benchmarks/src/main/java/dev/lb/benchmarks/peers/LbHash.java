package dev.lb.benchmarks.peers;

import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.benchmarks.Backends;
import dev.lb.strategy.Picker;
import dev.lb.strategy.StrategyContext;
import java.util.SplittableRandom;

/**
 * lb's hash strategies ({@code dev.lb.hash}) as keyed lookups: the strategy's {@link Picker} over
 * idle members, asked with a precomputed {@link PickContext} per key, which is what the balancer
 * asks on every keyed pick. Long keys compare with the peers that take a precomputed hash; string
 * keys add lb's XXH64 of the key.
 */
final class LbHash {
  private LbHash() {}

  /**
   * A lookup target for the named hash strategy.
   *
   * @param strategy a hash strategy name, such as {@code maglev}
   * @param stringKeys whether keys are strings (hashed per call) or precomputed longs
   * @param n the number of endpoints
   */
  static KeyedTarget lookup(String strategy, boolean stringKeys, int n) {
    Picker picker =
        StrategyRegistry.byName(strategy)
            .newPicker(
                Backends.idleMembers(n, false),
                new StrategyContext(new SplittableRandom(1), () -> 0L));
    PickContext[] contexts = new PickContext[Backends.KEY_COUNT];
    long[] longs = Backends.longKeys();
    String[] strings = Backends.stringKeys();
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = stringKeys ? PickContext.ofKey(strings[i]) : PickContext.ofKey(longs[i]);
    }
    return keyIndex -> picker.pick(contexts[keyIndex]);
  }
}
