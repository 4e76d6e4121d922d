package dev.lb.strategy;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.List;

/** The checks every built-in {@link Strategy#newPicker} makes of its arguments, in one place. */
final class StrategyArguments {
  private StrategyArguments() {}

  /**
   * Returns the endpoints as an array, after checking the arguments of {@link Strategy#newPicker}.
   *
   * @throws NullPointerException naming the parameter if an argument or an endpoint is null
   * @throws IllegalArgumentException naming the strategy if {@code endpoints} is empty
   */
  static LiveEndpoint[] endpoints(
      List<LiveEndpoint> endpoints, StrategyContext context, String strategy) {
    checkNotNull(endpoints, "endpoints");
    checkNotNull(context, "context");
    checkArgument(
        !endpoints.isEmpty(),
        "strategy %s needs at least one endpoint to build a picker but endpoints was empty",
        strategy);
    LiveEndpoint[] array = endpoints.toArray(new LiveEndpoint[0]);
    for (int i = 0; i < array.length; i++) {
      checkNotNull(array[i], "endpoints[" + i + "]");
    }
    return array;
  }
}
