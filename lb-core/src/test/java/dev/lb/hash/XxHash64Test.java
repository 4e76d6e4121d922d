package dev.lb.hash;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class XxHash64Test {
  private static final long PRIME32 = 2654435761L;
  private static final long PRIME64 = 0x9E3779B185EBCA8DL; // 11400714785074694797

  /** xxhsum's sanity buffer: byte i is the top byte of PRIME32 * PRIME64^i. */
  private static byte[] sanityBuffer(int length) {
    byte[] buffer = new byte[length];
    long generator = PRIME32;
    for (int i = 0; i < length; i++) {
      buffer[i] = (byte) (generator >>> 56);
      generator *= PRIME64;
    }
    return buffer;
  }

  @Test
  void hash_matchesReferenceSanityVectors() {
    // xxHash's cli/xsum_sanity_check.c, table XSUM_XXH64_testdata: {length, seed, XXH64}.
    long[][] vectors = {
      {0, 0, 0xEF46DB3751D8E999L},
      {0, PRIME32, 0xAC75FDA2929B17EFL},
      {1, 0, 0xE934A84ADB052768L},
      {1, PRIME32, 0x5014607643A9B4C3L},
      {4, 0, 0x9136A0DCA57457EEL},
      {14, 0, 0x8282DCC4994E35C8L},
      {14, PRIME32, 0xC3BD6BF63DEB6DF0L},
      {222, 0, 0xB641AE8CB691C174L},
      {222, PRIME32, 0x20CB8AB7AE10C14AL},
    };
    byte[] buffer = sanityBuffer(222);
    for (long[] v : vectors) {
      byte[] input = Arrays.copyOf(buffer, (int) v[0]);
      assertThat(XxHash64.hash(input, v[1])).as("length %s seed %s", v[0], v[1]).isEqualTo(v[2]);
    }
  }

  @Test
  void hash_knownStrings() {
    assertThat(XxHash64.hash("".getBytes(UTF_8))).isEqualTo(0xEF46DB3751D8E999L);
    assertThat(XxHash64.hash("abc".getBytes(UTF_8))).isEqualTo(0x44BC2CF5AD770999L);
    assertThat(XxHash64.hash("abc", 0)).isEqualTo(0x44BC2CF5AD770999L);
  }

  @Test
  void hash_offsetAndLength_hashOnlyThatRange() {
    byte[] buffer = sanityBuffer(300);
    byte[] slice = Arrays.copyOfRange(buffer, 17, 17 + 222);
    assertThat(XxHash64.hash(buffer, 17, 222, PRIME32)).isEqualTo(XxHash64.hash(slice, PRIME32));
    assertThatThrownBy(() -> XxHash64.hash(buffer, 290, 20, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void hashLong_equalsHashOfEightLittleEndianBytes() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      long value = i < 3 ? i - 1 : random.nextLong();
      long seed = random.nextLong();
      byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
      assertThat(XxHash64.hash(value, seed))
          .as("value %s seed %s", value, seed)
          .isEqualTo(XxHash64.hash(bytes, seed));
    }
  }

  @Test
  void hashChars_property_equalsHashOfUtf8Bytes_includingSurrogates() {
    // Code units from every UTF-8 length class, surrogate pairs, and lone (malformed) surrogates.
    char[] alphabet = {
      'a', 'Z', '0', '\u0000', '\u007f', '\u0080', '\u00e9', '\u07ff', '\u0800', '\u20ac', '\uffff',
      '\ud83d', '\ude00', '\udbff', '\udfff', '\ud800', '\udc00'
    };
    SplittableRandom random = new SplittableRandom(20240611L);
    for (int trial = 0; trial < 3000; trial++) {
      int length = random.nextInt(trial < 200 ? 12 : 90);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < length; i++) {
        sb.append(alphabet[random.nextInt(alphabet.length)]);
      }
      String s = sb.toString();
      long seed = random.nextLong();
      assertThat(XxHash64.hash(sb, seed))
          .as("trial %s: %s", trial, escape(s))
          .isEqualTo(XxHash64.hash(s.getBytes(UTF_8), seed));
    }
  }

  @Test
  void hashChars_malformedSurrogates_hashAsQuestionMark() {
    assertThat(XxHash64.hash("x\ud800y", 0)).isEqualTo(XxHash64.hash("x?y", 0));
    assertThat(XxHash64.hash("\udc00\ud800", 0)).isEqualTo(XxHash64.hash("??", 0));
    assertThat(XxHash64.hash("\ud83d\ude00", 0))
        .isEqualTo(
            XxHash64.hash(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, 0));
  }

  @Test
  void hash_seedChangesHash() {
    assertThat(XxHash64.hash("user-42", 1)).isNotEqualTo(XxHash64.hash("user-42", 0));
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c < 0x80 && c >= 0x20 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return sb.toString();
  }
}
