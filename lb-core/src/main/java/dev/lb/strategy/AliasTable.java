package dev.lb.strategy;

import java.util.random.RandomGenerator;

/**
 * Vose's alias method: samples index {@code i} with probability {@code w_i / sum(w)} in O(1) with
 * two random draws, after an O(n) build. Immutable and thread-safe.
 */
final class AliasTable {
  private final double[] probability;
  private final int[] alias;

  AliasTable(int[] weights) {
    int n = weights.length;
    probability = new double[n];
    alias = new int[n];
    double total = 0;
    for (int w : weights) {
      total += w;
    }
    double[] scaled = new double[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int smallCount = 0;
    int largeCount = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = weights[i] * n / total;
      if (scaled[i] < 1.0) {
        small[smallCount++] = i;
      } else {
        large[largeCount++] = i;
      }
    }
    while (smallCount > 0 && largeCount > 0) {
      int s = small[--smallCount];
      int l = large[--largeCount];
      probability[s] = scaled[s];
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      if (scaled[l] < 1.0) {
        small[smallCount++] = l;
      } else {
        large[largeCount++] = l;
      }
    }
    // What remains is 1 up to rounding.
    while (largeCount > 0) {
      probability[large[--largeCount]] = 1.0;
    }
    while (smallCount > 0) {
      probability[small[--smallCount]] = 1.0;
    }
  }

  int sample(RandomGenerator random) {
    int i = random.nextInt(probability.length);
    return random.nextDouble() < probability[i] ? i : alias[i];
  }

  /** Returns true if every weight is the same, when uniform sampling is cheaper and equivalent. */
  static boolean allEqual(int[] weights) {
    for (int w : weights) {
      if (w != weights[0]) {
        return false;
      }
    }
    return true;
  }
}
