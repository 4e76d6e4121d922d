package dev.lb.hash;

import static dev.lb.internal.Checks.checkNotNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * XXH64, Yann Collet's 64-bit xxHash: the stable hash behind every placement in {@code
 * dev.lb.hash}. The same input and seed give the same value on every JVM, run and machine, so
 * hash-based strategies place keys identically everywhere; {@link String#hashCode()} and identity
 * hashes are never used for placement.
 *
 * <p>Design note: the algorithm follows the XXH64 specification in the xxHash repository ({@code
 * doc/xxhash_spec.md}): four accumulators over 32-byte stripes, a merge, the length, the tail in 8,
 * 4 and 1 byte steps, and the final avalanche. It is verified against the reference sanity-check
 * vectors of {@code xxhsum} (the {@code XSUM_XXH64_testdata} table).
 *
 * <p>Inputs are bytes. The other key types are defined as byte sequences, hashed without copying:
 *
 * <ul>
 *   <li>a {@code long} is its 8 bytes in little-endian order: {@code hash(long v, seed)} equals
 *       {@code hash(bytes, seed)} of {@code
 *       ByteBuffer.allocate(8).order(LITTLE_ENDIAN).putLong(v)};
 *   <li>a {@link CharSequence} is its UTF-8 encoding, streamed char by char. A surrogate pair is
 *       encoded as its 4-byte code point; an unpaired (malformed) surrogate is encoded as the
 *       single byte {@code '?'} (0x3F), exactly as {@link
 *       String#getBytes(java.nio.charset.Charset)} with UTF-8 does, so {@code hash(cs, seed) ==
 *       hash(cs.toString().getBytes(UTF_8), seed)} for every char sequence.
 * </ul>
 *
 * <p>Stateless and thread-safe; no method allocates.
 */
public final class XxHash64 {
  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private XxHash64() {}

  /**
   * Returns the XXH64 of {@code data} with seed 0.
   *
   * @param data the bytes to hash; must not be null, may be empty
   * @return the 64-bit hash
   * @throws NullPointerException if {@code data} is null
   */
  public static long hash(byte[] data) {
    return hash(data, 0, checkNotNull(data, "data").length, 0L);
  }

  /**
   * Returns the XXH64 of {@code data} with {@code seed}.
   *
   * @param data the bytes to hash; must not be null, may be empty
   * @param seed the seed; different seeds give unrelated hashes of the same input
   * @return the 64-bit hash
   * @throws NullPointerException if {@code data} is null
   */
  public static long hash(byte[] data, long seed) {
    return hash(data, 0, checkNotNull(data, "data").length, seed);
  }

  /**
   * Returns the XXH64 of {@code length} bytes of {@code data} starting at {@code offset}.
   *
   * @param data the array holding the bytes to hash; must not be null
   * @param offset the index of the first byte to hash
   * @param length the number of bytes to hash, 0 or more
   * @param seed the seed; different seeds give unrelated hashes of the same input
   * @return the 64-bit hash
   * @throws NullPointerException if {@code data} is null
   * @throws IndexOutOfBoundsException if {@code offset} and {@code length} do not lie within {@code
   *     data}
   */
  public static long hash(byte[] data, int offset, int length, long seed) {
    java.util.Objects.checkFromIndexSize(offset, length, checkNotNull(data, "data").length);
    int p = offset;
    int end = offset + length;
    long h;
    if (length >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = end - 32;
      do {
        v1 = round(v1, (long) LONGS.get(data, p));
        v2 = round(v2, (long) LONGS.get(data, p + 8));
        v3 = round(v3, (long) LONGS.get(data, p + 16));
        v4 = round(v4, (long) LONGS.get(data, p + 24));
        p += 32;
      } while (p <= limit);
      h = merge(v1, v2, v3, v4);
    } else {
      h = seed + P5;
    }
    h += length;
    while (p + 8 <= end) {
      h = mixLane(h, (long) LONGS.get(data, p));
      p += 8;
    }
    if (p + 4 <= end) {
      h = mixInt(h, (int) INTS.get(data, p));
      p += 4;
    }
    while (p < end) {
      h = mixByte(h, data[p]);
      p++;
    }
    return avalanche(h);
  }

  /**
   * Returns the XXH64 of {@code value}'s 8 bytes in little-endian order.
   *
   * @param value the number to hash
   * @param seed the seed; different seeds give unrelated hashes of the same input
   * @return the 64-bit hash, equal to {@link #hash(byte[], long)} of the 8 little-endian bytes
   */
  public static long hash(long value, long seed) {
    return avalanche(mixLane(seed + P5 + 8, value));
  }

  /**
   * Returns the XXH64 of {@code chars}' UTF-8 encoding, streamed without allocating. Unpaired
   * surrogates are encoded as {@code '?'}, as {@link String#getBytes(java.nio.charset.Charset)}
   * does.
   *
   * @param chars the text to hash; must not be null, may be empty, must not change while hashed
   * @param seed the seed; different seeds give unrelated hashes of the same input
   * @return the 64-bit hash, equal to {@link #hash(byte[], long)} of {@code
   *     chars.toString().getBytes(UTF_8)}
   * @throws NullPointerException if {@code chars} is null
   */
  public static long hash(CharSequence chars, long seed) {
    checkNotNull(chars, "chars");
    long v1 = seed + P1 + P2;
    long v2 = seed + P2;
    long v3 = seed;
    long v4 = seed - P1;
    // Whole 8-byte words of the current 32-byte stripe not yet folded in, and the word being
    // filled.
    long w0 = 0;
    long w1 = 0;
    long w2 = 0;
    int words = 0;
    long word = 0;
    int filled = 0;
    long stripes = 0;
    int n = chars.length();
    int i = 0;
    while (i < n) {
      char c = chars.charAt(i++);
      // The next code point's UTF-8 bytes, first byte lowest, and how many there are.
      long bytes;
      int count;
      if (c < 0x80) {
        bytes = c;
        count = 1;
      } else if (c < 0x800) {
        bytes = (0xC0 | (c >>> 6)) | (long) (0x80 | (c & 0x3F)) << 8;
        count = 2;
      } else if (!Character.isSurrogate(c)) {
        bytes =
            (0xE0 | (c >>> 12))
                | (long) (0x80 | ((c >>> 6) & 0x3F)) << 8
                | (long) (0x80 | (c & 0x3F)) << 16;
        count = 3;
      } else if (Character.isHighSurrogate(c)
          && i < n
          && Character.isLowSurrogate(chars.charAt(i))) {
        int cp = Character.toCodePoint(c, chars.charAt(i++));
        bytes =
            (0xF0 | (cp >>> 18))
                | (long) (0x80 | ((cp >>> 12) & 0x3F)) << 8
                | (long) (0x80 | ((cp >>> 6) & 0x3F)) << 16
                | (long) (0x80 | (cp & 0x3F)) << 24;
        count = 4;
      } else {
        bytes = '?';
        count = 1;
      }
      word |= bytes << (filled << 3);
      filled += count;
      if (filled < 8) {
        continue;
      }
      // A word is complete; the bytes that did not fit start the next one.
      filled -= 8;
      long next = filled == 0 ? 0 : bytes >>> ((count - filled) << 3);
      switch (words) {
        case 0 -> w0 = word;
        case 1 -> w1 = word;
        case 2 -> w2 = word;
        default -> {
          v1 = round(v1, w0);
          v2 = round(v2, w1);
          v3 = round(v3, w2);
          v4 = round(v4, word);
          stripes++;
        }
      }
      words = (words + 1) & 3;
      word = next;
    }
    long h = stripes > 0 ? merge(v1, v2, v3, v4) : seed + P5;
    h += stripes * 32 + words * 8L + filled;
    if (words > 0) {
      h = mixLane(h, w0);
    }
    if (words > 1) {
      h = mixLane(h, w1);
    }
    if (words > 2) {
      h = mixLane(h, w2);
    }
    if (filled >= 4) {
      h = mixInt(h, (int) word);
      word >>>= 32;
      filled -= 4;
    }
    for (; filled > 0; filled--) {
      h = mixByte(h, (byte) word);
      word >>>= 8;
    }
    return avalanche(h);
  }

  private static long round(long acc, long lane) {
    return Long.rotateLeft(acc + lane * P2, 31) * P1;
  }

  private static long mergeRound(long h, long v) {
    return (h ^ round(0, v)) * P1 + P4;
  }

  private static long merge(long v1, long v2, long v3, long v4) {
    long h =
        Long.rotateLeft(v1, 1)
            + Long.rotateLeft(v2, 7)
            + Long.rotateLeft(v3, 12)
            + Long.rotateLeft(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    return mergeRound(h, v4);
  }

  private static long mixLane(long h, long lane) {
    return Long.rotateLeft(h ^ round(0, lane), 27) * P1 + P4;
  }

  private static long mixInt(long h, int value) {
    return Long.rotateLeft(h ^ (Integer.toUnsignedLong(value) * P1), 23) * P2 + P3;
  }

  private static long mixByte(long h, byte value) {
    return Long.rotateLeft(h ^ ((value & 0xFFL) * P5), 11) * P1;
  }

  private static long avalanche(long h) {
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    return h ^ (h >>> 32);
  }
}
