package dev.lb.okhttp;

import dev.lb.hash.XxHash64;

/**
 * The stable 64-bit hash that assigns an affinity key to an arm of a {@link TrafficSplit}:
 * lb-core's XXH64 of the key's UTF-8 bytes, with a seed of its own so that the split and a hash
 * strategy behind it place the same key independently. It must never change between releases: a
 * change would move users between arms.
 */
final class SplitHash {
  /** Arbitrary, fixed forever: decorrelates split arms from hash-strategy placement. */
  private static final long SEED = 0x5e17L;

  private SplitHash() {}

  static long hash(CharSequence key) {
    return XxHash64.hash(key, SEED);
  }
}
