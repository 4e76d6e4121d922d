package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.hash.HashStrategies;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The built-in strategies by {@link Strategy#name() name}, for configuration files, service configs
 * and command lines: {@code round_robin}, {@code peak_ewma}, {@code ring_hash}... The strategies
 * themselves live in {@link Strategies} and {@link HashStrategies}; this registry sits above both,
 * so neither package depends on the other to be listed.
 *
 * <p>Sticky sessions ({@link HashStrategies#sticky}) are not listed: each balancer needs its own
 * session table. Thread-safe; the set of names never changes.
 */
public final class StrategyRegistry {
  private static final Map<String, Strategy> BY_NAME;

  static {
    Map<String, Strategy> byName = new LinkedHashMap<>();
    for (Strategy s :
        new Strategy[] {
          Strategies.roundRobin(),
          Strategies.weightedRoundRobin(),
          Strategies.random(),
          Strategies.weightedRandom(),
          Strategies.leastConnections(),
          Strategies.weightedLeastConnections(),
          Strategies.leastResponseTime(),
          Strategies.leastBandwidth(),
          Strategies.powerOfTwoChoices(),
          Strategies.peakEwma(),
          Strategies.orcaWeightedRoundRobin(),
          Strategies.prequal(),
          HashStrategies.ringHash(),
          HashStrategies.maglev(),
          HashStrategies.rendezvousHash(),
          HashStrategies.jumpHash(),
          HashStrategies.boundedLoadHash(),
          HashStrategies.moduloHash()
        }) {
      byName.put(s.name(), s);
    }
    BY_NAME = Collections.unmodifiableMap(byName);
  }

  private StrategyRegistry() {}

  /**
   * The names {@link #byName} accepts, in the order of the table in {@link Strategies}; the hash
   * strategies with their default options.
   *
   * @return an unmodifiable set of the {@link Strategy#name() names} of the built-in strategies
   */
  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  /**
   * Returns the built-in strategy with this {@link Strategy#name() name}, such as {@code
   * round_robin} or {@code peak_ewma}; case and {@code -} versus {@code _} do not matter.
   *
   * @param name a strategy name as listed by {@link #names()}, in any case, with {@code -} or
   *     {@code _} between words; leading and trailing white space is ignored
   * @return the shared instance of the built-in strategy of that name
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if no built-in strategy has that name
   */
  public static Strategy byName(String name) {
    checkNotNull(name, "strategy");
    Strategy s = BY_NAME.get(name.trim().toLowerCase(Locale.ROOT).replace('-', '_'));
    if (s == null) {
      throw new IllegalArgumentException(
          "strategy must be one of " + names() + " but was '" + name + "'");
    }
    return s;
  }
}
