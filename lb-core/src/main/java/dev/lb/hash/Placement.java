package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;
import org.jspecify.annotations.Nullable;

/**
 * One hash algorithm's lookup structure for one membership: maps a key's hash to endpoint indexes,
 * in the algorithm's own order of preference. Built on the balancer's serialized update path;
 * {@link #locate} is called concurrently by picking threads and must be lock-free and allocate
 * nothing.
 */
interface Placement {
  /**
   * Returns the index (into the endpoints the placement was built over) of the key's {@code
   * attempt}-th choice. For {@code attempt} in {@code 0 .. n-1} the choices are distinct endpoints;
   * from {@code n} on they repeat, {@code attempt} counting modulo {@code n}.
   *
   * @param keyHash the key's 64-bit hash
   * @param attempt 0 or more
   */
  int locate(long keyHash, int attempt);

  /** Builds a placement; runs on the update path. */
  @FunctionalInterface
  interface Factory {
    /**
     * Builds the lookup structure over {@code endpoints}, non-empty and in membership order,
     * possibly from {@code previous}, the placement this factory built for the balancer's previous
     * membership. The result must not depend on {@code previous}: it is what a build without one
     * gives.
     *
     * @param endpoints the members, at least one; not to be modified
     * @param seed the strategy's hash seed, for hashing endpoint ids
     * @param previous the placement this factory built last for the same balancer, or null
     */
    Placement build(LiveEndpoint[] endpoints, long seed, @Nullable Placement previous);
  }

  /**
   * The position of the {@code k}-th distinct owner met walking a cyclic table forwards from {@code
   * start}, given for every position the distance back to the previous position with the same owner
   * ({@code gap}, the table length for an owner with one position). An owner is met for the first
   * time at the walk's step {@code d} exactly when its previous position lies behind the start,
   * that is {@code gap > d}: one comparison per step, no set of owners seen.
   *
   * @param k 0 for the owner at {@code start}; less than the number of distinct owners
   */
  static int nthDistinct(int[] gap, int start, int k) {
    int size = gap.length;
    int found = 0;
    for (int step = 0; step < size; step++) {
      int p = start + step;
      if (p >= size) {
        p -= size;
      }
      if (gap[p] > step && found++ == k) {
        return p;
      }
    }
    return start;
  }

  /**
   * For a cyclic table whose position {@code p} belongs to {@code owners[p]} (each in {@code 0 ..
   * ownerCount-1}), the distance back from every position to the previous position of the same
   * owner, wrapping around; the table length for an owner with one position.
   */
  static int[] sameOwnerGaps(int[] owners, int ownerCount) {
    int size = owners.length;
    int[] last = new int[ownerCount];
    for (int p = 0; p < size; p++) {
      last[owners[p]] = p;
    }
    int[] gap = new int[size];
    for (int p = 0; p < size; p++) {
      int o = owners[p];
      int previous = last[o];
      gap[p] = previous < p ? p - previous : p - previous + size;
      last[o] = p;
    }
    return gap;
  }
}
