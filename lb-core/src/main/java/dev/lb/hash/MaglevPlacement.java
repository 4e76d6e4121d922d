package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

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
 *   <li><b>Fill order.</b> Endpoints take their turns in the order of their id hashes (then ids),
 *       not in membership order, so the table is a pure function of the members' ids and weights:
 *       clients whose memberships were reached by different histories build the same table.
 *   <li><b>Table size.</b> {@code M} must exceed the number of endpoints, and the disruption when
 *       one endpoint leaves falls as {@code M / n} grows. By default {@code M} is chosen from the
 *       endpoint count ({@link #tableSizeFor}): the smallest of 65,537 and the largest primes below
 *       2^17 .. 2^26 that is at least 1,000 x n. Measured (300,000 keys, one of n equal endpoints
 *       leaves, {@code MaglevTest}): n = 10, M = 65,537: 1.03-1.05/n of the keys move; n = 100, M =
 *       131,071: 1.33-1.35/n; n = 1,000, M = 1,048,573: 2.9-3.1/n (with the former fixed 65,537:
 *       1.57/n at 100 and 6.5/n at 1,000). When a change takes n across a step (66, 132, 263, 525,
 *       1,049, ... endpoints), the table size changes and nearly every key moves: configure a fixed
 *       size ({@code HashStrategies.Builder#maglevTableSize}) if the membership often crosses one.
 *   <li><b>Lookup.</b> The slot is the key hash's top 32 bits scaled to {@code M} ({@code (h >>>
 *       32) x M >>> 32}, Lemire's multiply-shift range reduction) instead of a 64-bit division.
 *   <li><b>Alternatives.</b> Attempt {@code k} is the {@code k}-th distinct endpoint in the table
 *       from the key's slot onwards (slot, slot + 1, ...). Neighbouring slots belong to unrelated
 *       endpoints, so the keys of an unavailable endpoint spread over all the others, not onto one
 *       neighbour.
 * </ul>
 *
 * <p>Building costs about {@code M ln M} probes ({@code HashBuildBenchmark.build} in the benchmarks
 * module measures it); the table and its owner distances take {@code 8 x M} bytes. A new picker
 * over the same ids and weights (in any order) reuses the previous table.
 */
final class MaglevPlacement implements Placement {
  /** The table sizes chosen by default: 65,537, then the largest primes below 2^17 .. 2^26. */
  private static final int[] SIZES = sizes();

  private final int[] table;
  private final int[] gaps;
  private final int owners;

  /** What the table was built from, for reuse: per endpoint, its id and weight; and the seed. */
  private final String[] ids;

  private final long[] weights;
  private final long seed;

  private MaglevPlacement(int[] table, int[] gaps, String[] ids, long[] weights, long seed) {
    this.table = table;
    this.gaps = gaps;
    this.owners = ids.length;
    this.ids = ids;
    this.weights = weights;
    this.seed = seed;
  }

  private static int[] sizes() {
    int[] sizes = new int[11];
    sizes[0] = 65_537;
    for (int k = 17; k <= 26; k++) {
      int p = (1 << k) - 1;
      while (!isPrime(p)) {
        p -= 2;
      }
      sizes[k - 16] = p;
    }
    return sizes;
  }

  static boolean isPrime(int n) {
    if (n % 2 == 0) {
      return n == 2;
    }
    for (int d = 3; (long) d * d <= n; d += 2) {
      if (n % d == 0) {
        return false;
      }
    }
    return n > 1;
  }

  /**
   * The default table size for {@code endpoints} endpoints: the smallest of 65,537 and the largest
   * primes below 2^17 .. 2^26 that is at least {@code 1000 x endpoints}, the largest if none is.
   */
  static int tableSizeFor(int endpoints) {
    for (int size : SIZES) {
      if (size >= 1000L * endpoints) {
        return size;
      }
    }
    return SIZES[SIZES.length - 1];
  }

  /**
   * The table over {@code endpoints}; {@code previous}'s table, with its owners renumbered, if it
   * was built over the same ids and weights with the same seed and size.
   */
  static MaglevPlacement build(
      LiveEndpoint[] endpoints, long seed, int tableSize, @Nullable Placement previous) {
    if (previous instanceof MaglevPlacement old
        && old.seed == seed
        && old.table.length == tableSize
        && old.owners == endpoints.length) {
      int[] remap = old.remap(endpoints);
      if (remap != null) {
        int[] table = new int[tableSize];
        for (int c = 0; c < tableSize; c++) {
          table[c] = remap[old.table[c]];
        }
        String[] ids = new String[endpoints.length];
        long[] weights = new long[endpoints.length];
        for (int i = 0; i < endpoints.length; i++) {
          ids[i] = endpoints[i].endpoint().id();
          weights[i] = Math.max(1, endpoints[i].weight());
        }
        return new MaglevPlacement(
            table, Placement.sameOwnerGaps(table, endpoints.length), ids, weights, seed);
      }
    }
    return build(endpoints, seed, tableSize);
  }

  /** Old owner -> index in {@code endpoints}, or null unless the ids and weights are the same. */
  private int @Nullable [] remap(LiveEndpoint[] endpoints) {
    Map<String, Integer> byId = new HashMap<>(endpoints.length * 2);
    for (int i = 0; i < endpoints.length; i++) {
      byId.put(endpoints[i].endpoint().id(), i);
    }
    if (byId.size() != owners) {
      return null;
    }
    int[] remap = new int[owners];
    for (int o = 0; o < owners; o++) {
      Integer i = byId.get(ids[o]);
      if (i == null || Math.max(1, endpoints[i].weight()) != weights[o]) {
        return null;
      }
      remap[o] = i;
    }
    return remap;
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
    String[] ids = new String[n];
    long[] idHashes = new long[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      ids[i] = endpoints[i].endpoint().id();
      idHashes[i] = XxHash64.hash(ids[i], seed);
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) -> {
          int byHash = Long.compareUnsigned(idHashes[a], idHashes[b]);
          return byHash != 0 ? byHash : ids[a].compareTo(ids[b]);
        });
    int[] next = new int[n];
    int[] skip = new int[n];
    long[] weight = new long[n];
    long maxWeight = 1;
    for (int i = 0; i < n; i++) {
      long h1 = idHashes[i];
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
      for (int turn = 0; turn < n && filled < tableSize; turn++) {
        int i = order[turn];
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
    return new MaglevPlacement(table, Placement.sameOwnerGaps(table, n), ids, weight, seed);
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
