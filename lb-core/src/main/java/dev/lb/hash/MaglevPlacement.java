package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;
import java.util.Arrays;

/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI 2016, section 3.4): a lookup table of prime size {@code M} that the endpoints fill in turns,
 * each claiming the next free slot of its own permutation of the table; a key's endpoint is one
 * table read.
 *
 * <p>Design notes:
 *
 * <ul>
 *   <li><b>Permutations.</b> Endpoint {@code i}'s permutation is {@code (offset + j x skip) mod M}
 *       with {@code offset = h1 mod M} and {@code skip = h2 mod (M - 1) + 1}, where {@code h1 =
 *       XXH64(id, seed)} and {@code h2 = XXH64(h1, seed)}. {@code M} prime makes every permutation
 *       visit every slot.
 *   <li><b>Weights.</b> In each round every endpoint earns credit equal to its weight and claims
 *       one slot per credit of the largest weight (integer arithmetic, no drift), so slot counts
 *       follow weights to within one slot. With equal weights this is the paper's round robin.
 *   <li><b>Table size.</b> {@code M} must exceed the number of endpoints; the paper's balance (each
 *       endpoint within about 1% of its share) needs {@code M} above 100 endpoints, so the default
 *       65,537 serves up to 655 endpoints at that quality. Beyond, imbalance grows as {@code n /
 *       M}: configure a larger prime. The size is never changed silently, because a new {@code M}
 *       reshuffles nearly every key.
 *   <li><b>Lookup.</b> The slot is the key hash's top 32 bits scaled to {@code M} ({@code (h >>>
 *       32) x M >>> 32}, Lemire's multiply-shift range reduction) instead of a 64-bit division.
 *   <li><b>Alternatives.</b> Attempt {@code k} is the {@code k}-th distinct endpoint in the table
 *       from the key's slot onwards (slot, slot + 1, ...). Neighbouring slots belong to unrelated
 *       endpoints, so the keys of an unavailable endpoint spread over all the others, not onto one
 *       neighbour.
 * </ul>
 *
 * <p>Building costs about {@code M ln M} probes (the target is under 2 ms for 1,000
 * endpoints and {@code M = 65537}; {@code HashBenchmark.build} in the benchmarks module measures
 * it); the table and its owner distances take {@code 8 x M} bytes.
 */
final class MaglevPlacement implements Placement {
  private final int[] table;
  private final int[] gaps;
  private final int owners;

  private MaglevPlacement(int[] table, int[] gaps, int owners) {
    this.table = table;
    this.gaps = gaps;
    this.owners = owners;
  }

  static MaglevPlacement build(LiveEndpoint[] endpoints, long seed, int tableSize) {
    int n = endpoints.length;
    if (n == 0) {
      throw new IllegalArgumentException("maglev: endpoints must not be empty");
    }
    if (n >= tableSize) {
      throw new IllegalArgumentException(
          "maglevTableSize must exceed the number of endpoints but was "
              + tableSize
              + " for "
              + n
              + " endpoints");
    }
    int[] next = new int[n];
    int[] skip = new int[n];
    long[] weight = new long[n];
    long maxWeight = 1;
    for (int i = 0; i < n; i++) {
      long h1 = XxHash64.hash(endpoints[i].endpoint().id(), seed);
      long h2 = XxHash64.hash(h1, seed);
      next[i] = (int) Long.remainderUnsigned(h1, tableSize);
      skip[i] = (int) Long.remainderUnsigned(h2, tableSize - 1) + 1;
      weight[i] = Math.max(1, endpoints[i].weight());
      maxWeight = Math.max(maxWeight, weight[i]);
    }
    int[] table = new int[tableSize];
    Arrays.fill(table, -1);
    long[] credit = new long[n];
    int filled = 0;
    while (filled < tableSize) {
      for (int i = 0; i < n && filled < tableSize; i++) {
        credit[i] += weight[i];
        while (credit[i] >= maxWeight && filled < tableSize) {
          credit[i] -= maxWeight;
          int c = next[i];
          while (table[c] >= 0) {
            c += skip[i];
            if (c >= tableSize) {
              c -= tableSize;
            }
          }
          table[c] = i;
          filled++;
          c += skip[i];
          next[i] = c >= tableSize ? c - tableSize : c;
        }
      }
    }
    return new MaglevPlacement(table, Placement.sameOwnerGaps(table, n), n);
  }

  /** Slots per endpoint index, for tests and docs. */
  int[] slotCounts() {
    int[] counts = new int[owners];
    for (int owner : table) {
      counts[owner]++;
    }
    return counts;
  }

  @Override
  public int locate(long keyHash, int attempt) {
    int slot = (int) (((keyHash >>> 32) * table.length) >>> 32);
    int k = attempt % owners;
    return k == 0 ? table[slot] : table[Placement.nthDistinct(gaps, slot, k)];
  }
}
