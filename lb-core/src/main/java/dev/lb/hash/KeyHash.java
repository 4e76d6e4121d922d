package dev.lb.hash;

import dev.lb.PickContext;

/** The 64-bit hash of a call's affinity key: XXH64 of the key's bytes, without allocating. */
final class KeyHash {
  private KeyHash() {}

  /**
   * Hashes the key of {@code context}, which must have one: a {@code long} as its 8 little-endian
   * bytes, a byte array as is, a {@link CharSequence} as its UTF-8 bytes (see {@link XxHash64}).
   */
  static long of(PickContext context, long seed) {
    return switch (context.keyKind()) {
      case LONG -> XxHash64.hash(context.longKey(), seed);
      case BYTES -> XxHash64.hash(context.bytesKey(), seed);
      case CHARS -> XxHash64.hash(context.charsKey(), seed);
      case NONE -> throw new IllegalArgumentException("context has no key: " + context);
    };
  }
}
