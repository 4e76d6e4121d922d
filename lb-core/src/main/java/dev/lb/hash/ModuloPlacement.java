package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;
import java.util.Arrays;

/**
 * Modulo hashing: endpoint {@code hash mod n}, or with weights the endpoint whose share of {@code
 * [0, W)} holds {@code hash mod W}. Even and cheap, but not consistent: changing {@code n} to
 * {@code n - 1} moves a key unless {@code hash mod n == hash mod (n - 1)}, so about {@code 1 - 1/n}
 * of all keys (99% at 100 endpoints) move on any membership change. Kept for completeness and for
 * fixed memberships; prefer the ring, Maglev or rendezvous.
 *
 * <p>Alternatives: attempt {@code k} is the endpoint {@code k} places after the key's, in
 * membership order.
 */
final class ModuloPlacement implements Placement {
  private final int n;

  /** Cumulative weights, or null if all weights are equal. */
  private final long @org.jspecify.annotations.Nullable [] cumulative;

  ModuloPlacement(LiveEndpoint[] endpoints) {
    this.n = endpoints.length;
    long[] sums = new long[n];
    long total = 0;
    boolean equal = true;
    for (int i = 0; i < n; i++) {
      int w = Math.max(1, endpoints[i].weight());
      equal &= w == Math.max(1, endpoints[0].weight());
      total += w;
      sums[i] = total;
    }
    this.cumulative = equal ? null : sums;
  }

  @Override
  public int locate(long keyHash, int attempt) {
    long[] sums = cumulative;
    int index;
    if (sums == null) {
      index = (int) Long.remainderUnsigned(keyHash, n);
    } else {
      long r = Long.remainderUnsigned(keyHash, sums[n - 1]);
      // The first endpoint whose cumulative weight exceeds r.
      int found = Arrays.binarySearch(sums, r + 1);
      index = found >= 0 ? found : -found - 1;
    }
    return (int) ((index + (long) (attempt % n)) % n);
  }
}
