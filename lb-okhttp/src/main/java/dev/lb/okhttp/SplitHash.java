package dev.lb.okhttp;

/**
 * The stable 64-bit hash that assigns an affinity key to an arm of a {@link TrafficSplit}. It must
 * never change between releases: a change would move users between arms.
 *
 * <p>This is the one call site to swap for lb-core's XXH64 when {@code dev.lb.hash} lands: 64-bit
 * FNV-1a over the key's UTF-16 code units, finished with MurmurHash3's {@code fmix64} so that keys
 * differing in their last character still spread over the whole range.
 */
final class SplitHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private SplitHash() {}

  static long hash(CharSequence key) {
    long h = FNV_OFFSET;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      h = (h ^ (c & 0xff)) * FNV_PRIME;
      h = (h ^ (c >>> 8)) * FNV_PRIME;
    }
    // MurmurHash3 fmix64 (Appleby), constants from the reference implementation.
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
