package dev.lb.strategy;

/** Weight arrays for pickers, read once when the picker is built. */
final class Weights {
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
}
