package dev.lb.hash;

/**
 * Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
 * 2014): maps a key to one of {@code n} numbered buckets, the endpoints' positions in membership
 * order, in O(ln n) steps with no table at all.
 *
 * <p>For numbered shards: growing from {@code n} to {@code n + 1} buckets moves {@code 1/(n+1)} of
 * the keys, all to the new bucket, and shrinking moves only the last bucket's keys. Removing an
 * endpoint from the middle of the membership renumbers those after it and moves most keys, so use
 * it where shards are added and removed at the end; the balancer's health handling does not remove
 * members, so an unavailable shard costs nothing. Weights are ignored.
 *
 * <p>Alternatives: attempt {@code k} is bucket {@code (b + k x s) mod n}, where {@code b} is the
 * key's bucket and the stride {@code s}, drawn from the key's hash among the numbers in {@code 1 ..
 * n-1} coprime to {@code n}, makes attempts {@code 0 .. n-1} visit every bucket once. Different
 * keys get different strides, so the keys of an unavailable bucket spread over the others.
 */
final class JumpPlacement implements Placement {
  private final int buckets;
  private final int[] strides;

  JumpPlacement(int buckets) {
    this.buckets = buckets;
    int count = 0;
    int[] coprime = new int[Math.max(1, buckets - 1)];
    for (int s = 1; s < buckets; s++) {
      if (gcd(s, buckets) == 1) {
        coprime[count++] = s;
      }
    }
    this.strides = java.util.Arrays.copyOf(coprime, Math.max(1, count));
  }

  /** Lamping and Veach's algorithm, with their 64-bit linear congruential generator. */
  static int jump(long key, int buckets) {
    long b = -1;
    long j = 0;
    while (j < buckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  @Override
  public int locate(long keyHash, int attempt) {
    int bucket = jump(keyHash, buckets);
    int k = attempt % buckets;
    if (k == 0) {
      return bucket;
    }
    // A second, independent draw from the key picks the stride.
    long mixed = XxHash64.hash(keyHash, 0x9E3779B97F4A7C15L);
    int stride = strides[(int) (((mixed >>> 32) * strides.length) >>> 32)];
    return (int) ((bucket + (long) k * stride) % buckets);
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
