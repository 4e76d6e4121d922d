package dev.lb.benchmarks.peers;

import dev.lb.Endpoint;
import dev.lb.PickContext;
import dev.lb.benchmarks.Backends;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.StrategyContext;
import java.util.ArrayList;
import java.util.List;
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
    List<LiveEndpoint> members = new ArrayList<>(n);
    for (Endpoint e : Backends.endpoints(n)) {
      members.add(new IdleMember(e));
    }
    Picker picker =
        Strategies.byName(strategy)
            .newPicker(
                List.copyOf(members), new StrategyContext(new SplittableRandom(1), () -> 0L));
    PickContext[] contexts = new PickContext[Backends.KEY_COUNT];
    long[] longs = Backends.longKeys();
    String[] strings = Backends.stringKeys();
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = stringKeys ? PickContext.ofKey(strings[i]) : PickContext.ofKey(longs[i]);
    }
    return keyIndex -> picker.pick(contexts[keyIndex]);
  }

  /** A member with no calls and no measurements: lookups need ids and weights only. */
  private record IdleMember(Endpoint endpoint) implements LiveEndpoint {
    @Override
    public int weight() {
      return endpoint.weight();
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public double latencyEwmaNanos() {
      return Double.NaN;
    }

    @Override
    public double peakEwmaNanos(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public double throughputBytesPerSecond(long nowNanos) {
      return Double.NaN;
    }
  }
}
