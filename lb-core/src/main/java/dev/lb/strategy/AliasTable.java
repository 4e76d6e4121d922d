package dev.lb.strategy;

import java.util.random.RandomGenerator;

/**
 * Vose's alias method: samples index {@code i} with probability {@code w_i / sum(w)} in O(1) from
 * one 64-bit random draw, after an O(n) build. Immutable and thread-safe.
 *
 * <p>32 random bits pick a column by multiply-shift (Lemire), and the remainder of that product
 * decides between the column and its alias against a 32-bit threshold: no division, and half a
 * 64-bit draw per sample, which halves the cost of a weighted pick and of P2C's two weighted
 * candidates. The bias this adds is below {@code n / 2^32} per column.
 */
final class AliasTable {
  /** Per column: keep the column when the draw's low 32 bits are below this, else its alias. */
  private final long[] threshold;

  private final int[] alias;

  AliasTable(int[] weights) {
    int n = weights.length;
    double[] probability = new double[n];
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
    threshold = new long[n];
    for (int i = 0; i < n; i++) {
      threshold[i] = Math.min(1L << 32, (long) Math.ceil(probability[i] * 0x1p32));
    }
  }

  int sample(RandomGenerator random) {
    return sample((int) random.nextLong());
  }

  /**
   * The sample that 32 random bits {@code u} select: {@code u x n} has the column in its high half
   * and, in its low half, a uniform fraction within that column (steps of {@code n / 2^32}), which
   * is compared with the column's threshold. So one 64-bit draw makes two samples.
   */
  int sample(int u) {
    long x = (u & 0xFFFF_FFFFL) * threshold.length;
    int i = (int) (x >>> 32);
    // Branch-free: which way a random draw goes cannot be predicted, and a mispredicted branch
    // costs more than the whole lookup. keep is 1 when the fraction is below the threshold.
    int keep = (int) (((x & 0xFFFF_FFFFL) - threshold[i]) >>> 63);
    int other = alias[i];
    return other + ((i - other) & -keep);
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
