package dev.lb.strategy;

import org.jspecify.annotations.Nullable;

/** Weight arrays for pickers, read once when the picker is built. */
final class Weights {
  /**
   * The weight of an endpoint that is not ramping, when strategies that ignore weights derive
   * weights from {@link LiveEndpoint#rampFactor()}: factors are resolved to 0.1%.
   */
  static final int RAMP_SCALE = 1000;

  private Weights() {}

  static int[] of(LiveEndpoint[] endpoints) {
    int[] weights = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = Math.max(1, endpoints[i].weight());
    }
    return weights;
  }

  static int[] ones(int n) {
    int[] weights = new int[n];
    java.util.Arrays.fill(weights, 1);
    return weights;
  }

  /**
   * Weights in proportion to the endpoints' {@linkplain LiveEndpoint#rampFactor() ramp factors}
   * ({@code round(factor x RAMP_SCALE)}, at least 1), or null if no endpoint is ramping, when a
   * strategy that ignores weights picks exactly as it would without slow start.
   */
  static int @Nullable [] ramped(LiveEndpoint[] endpoints) {
    int[] weights = null;
    for (int i = 0; i < endpoints.length; i++) {
      double f = endpoints[i].rampFactor();
      if (f < 1.0) {
        if (weights == null) {
          weights = new int[endpoints.length];
          java.util.Arrays.fill(weights, RAMP_SCALE);
        }
        weights[i] = (int) Math.max(1L, Math.round(f * RAMP_SCALE));
      }
    }
    return weights;
  }
}
