package dev.lb.benchmarks.peers;

import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.benchmarks.Backends;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.SplittableRandom;

/**
 * lb's hash strategies ({@code dev.lb.hash}) as keyed lookups, at two layers: the strategy's {@link
 * Picker} over idle members, asked with a precomputed {@link PickContext} per key, which is what
 * the balancer asks on every keyed pick; and the whole balancer's {@code choose}, the layer of a
 * peer's channel picker. Long keys compare with the peers that take a precomputed hash; string keys
 * add lb's XXH64 of the key.
 */
final class LbHash {
  private LbHash() {}

  /**
   * A lookup target at the strategy's inner picker, as the balancer asks it on every keyed pick.
   *
   * @param strategy a hash strategy
   * @param stringKeys whether keys are strings (hashed per call) or precomputed longs
   * @param n the number of endpoints
   * @param keyCount how many precomputed keys
   */
  static KeyedTarget lookup(Strategy strategy, boolean stringKeys, int n, int keyCount) {
    Picker picker =
        strategy.newPicker(
            Backends.idleMembers(n, false), new StrategyContext(new SplittableRandom(1), () -> 0L));
    PickContext[] contexts = contexts(stringKeys, keyCount);
    return keyIndex -> picker.pick(contexts[keyIndex]);
  }

  /**
   * A lookup target through the whole balancer, {@link LoadBalancer#choose(PickContext)}: the
   * snapshot read, the routing picker, the strategy's picker and the admission check, which is the
   * layer grpc-java's channel picker is measured at.
   *
   * @param strategy a hash strategy
   * @param n the number of endpoints
   * @param keyCount how many precomputed keys
   */
  static KeyedTarget choose(Strategy strategy, int n, int keyCount) {
    LoadBalancer balancer =
        LoadBalancer.builder()
            .name("bench")
            .strategy(strategy)
            .endpoints(Backends.endpoints(n))
            .build();
    PickContext[] contexts = contexts(false, keyCount);
    return keyIndex -> balancer.choose(contexts[keyIndex]);
  }

  private static PickContext[] contexts(boolean stringKeys, int keyCount) {
    PickContext[] contexts = new PickContext[keyCount];
    if (stringKeys) {
      String[] strings = Backends.stringKeys(keyCount);
      for (int i = 0; i < contexts.length; i++) {
        contexts[i] = PickContext.ofKey(strings[i]);
      }
    } else {
      long[] longs = Backends.longKeys(keyCount);
      for (int i = 0; i < contexts.length; i++) {
        contexts[i] = PickContext.ofKey(longs[i]);
      }
    }
    return contexts;
  }

  /**
   * The points lb's default {@code ring_hash} puts on the ring for {@link Backends#endpoints(int)}:
   * 2,048 per unit of weight (the weights' greatest common divisor is 1), every count halved while
   * the total exceeds 2^21, as {@code Ring} sizes it.
   *
   * @param n the number of endpoints
   * @return the ring's size in points
   */
  static long defaultRingPoints(int n) {
    for (int halvings = 0; ; halvings++) {
      long total = 0;
      for (int i = 0; i < n; i++) {
        total += Math.max(1, (2048L * Backends.weight(i)) >> halvings);
      }
      if (total <= (1 << 21)) {
        return total;
      }
    }
  }
}
