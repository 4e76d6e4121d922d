package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
  @Test
  void parse_valuesOfEveryKind() {
    Object v =
        JsonReader.parse(
            " {\"s\": \"a\\\"b\\\\c\\/\\n\\t\\r\\b\\f\\u00e9\", \"i\": -12, \"d\": 1.5e2, \"z\": 0,"
                + " \"t\": true, \"f\": false, \"n\": null, \"a\": [1, [], {}]} ");
    assertThat(v).isInstanceOf(Map.class);
    Map<?, ?> m = (Map<?, ?>) v;
    assertThat(m.get("s")).isEqualTo("a\"b\\c/\n\t\r\b\fé");
    assertThat(m.get("i")).isEqualTo(-12L);
    assertThat(m.get("d")).isEqualTo(150.0);
    assertThat(m.get("z")).isEqualTo(0L);
    assertThat(m.get("t")).isEqualTo(true);
    assertThat(m.get("f")).isEqualTo(false);
    assertThat(m.get("n")).isSameAs(JsonReader.NULL);
    assertThat(JsonReader.NULL).hasToString("null");
    assertThat(m.get("a")).isEqualTo(List.of(1L, List.of(), Map.of()));
    assertThat(new ArrayList<Object>(m.keySet()))
        .isEqualTo(List.of("s", "i", "d", "z", "t", "f", "n", "a"));
  }

  @Test
  void parse_errorsSayWhatAndWhere() {
    assertThatThrownBy(() -> JsonReader.parse("{\"a\": 1,\n  \"a\": 2}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid JSON at line 2, column 3: duplicate key \"a\"");
    assertThatThrownBy(() -> JsonReader.parse("{\"a\" 1}"))
        .hasMessage("invalid JSON at line 1, column 6: expected ':'");
    assertThatThrownBy(() -> JsonReader.parse("[1 2]"))
        .hasMessage("invalid JSON at line 1, column 4: expected ',' or ']'");
    assertThatThrownBy(() -> JsonReader.parse("{\"a\": 1 \"b\"}"))
        .hasMessage("invalid JSON at line 1, column 9: expected ',' or '}'");
    assertThatThrownBy(() -> JsonReader.parse("{} x"))
        .hasMessage("invalid JSON at line 1, column 4: unexpected content after the JSON value");
    assertThatThrownBy(() -> JsonReader.parse("")).hasMessageContaining("end of input");
    assertThatThrownBy(() -> JsonReader.parse("[tru]")).hasMessageContaining("expected true");
    assertThatThrownBy(() -> JsonReader.parse("[01]")).hasMessageContaining("expected ',' or ']'");
    assertThatThrownBy(() -> JsonReader.parse("[-]")).hasMessageContaining("expected a digit");
    assertThatThrownBy(() -> JsonReader.parse("[1.]")).hasMessageContaining("after '.'");
    assertThatThrownBy(() -> JsonReader.parse("[1e]")).hasMessageContaining("exponent");
    assertThatThrownBy(() -> JsonReader.parse("[99999999999999999999]"))
        .hasMessageContaining("integer out of range");
    assertThatThrownBy(() -> JsonReader.parse("[\"\\x\"]")).hasMessageContaining("bad escape");
    assertThatThrownBy(() -> JsonReader.parse("[\"\\u12g4\"]")).hasMessageContaining("hex digit");
    assertThatThrownBy(() -> JsonReader.parse("[\"\\u12")).hasMessageContaining("truncated");
    assertThatThrownBy(() -> JsonReader.parse("[\"a\nb\"]")).hasMessageContaining("control");
    assertThatThrownBy(() -> JsonReader.parse("{1: 2}")).hasMessageContaining("string key");
    assertThatThrownBy(() -> JsonReader.parse("[#]")).hasMessageContaining("unexpected character");
    assertThatThrownBy(() -> JsonReader.parse("[".repeat(100)))
        .hasMessageContaining("nested deeper than 64");
  }

  /**
   * The property the file source relies on for partial writes: no proper prefix of a document is
   * valid. Checked over seeded random documents, every prefix of each.
   */
  @Test
  void parse_everyProperPrefixOfADocumentIsInvalid_andTheWholeRoundTrips() {
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      Object value = randomObject(random, 0);
      String doc = write(value);
      assertThat(JsonReader.parse(doc)).as("seed %s: %s", seed, doc).isEqualTo(value);
      for (int cut = 0; cut < doc.length(); cut++) {
        String prefix = doc.substring(0, cut);
        assertThatThrownBy(() -> JsonReader.parse(prefix))
            .as("seed %s, prefix of %s chars: %s", seed, cut, prefix)
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  private static Object randomObject(SplittableRandom r, int depth) {
    Map<String, Object> m = new LinkedHashMap<>();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      m.put("k" + i + randomString(r), randomValue(r, depth + 1));
    }
    return m;
  }

  private static Object randomValue(SplittableRandom r, int depth) {
    int kind = r.nextInt(depth > 3 ? 4 : 6);
    return switch (kind) {
      case 0 -> r.nextLong(-1_000_000, 1_000_000);
      case 1 -> randomString(r);
      case 2 -> r.nextBoolean();
      case 3 -> JsonReader.NULL;
      case 4 -> {
        List<Object> list = new ArrayList<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          list.add(randomValue(r, depth + 1));
        }
        yield list;
      }
      default -> randomObject(r, depth);
    };
  }

  private static String randomString(SplittableRandom r) {
    String alphabet = "ab\"\\/\né ";
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(5);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private static String write(Object v) {
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      m.forEach(
          (k, x) -> {
            if (sb.length() > 1) {
              sb.append(", ");
            }
            sb.append(write(k)).append(": ").append(write(x));
          });
      return sb.append('}').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (Object x : l) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        sb.append(write(x));
      }
      return sb.append(']').toString();
    }
    if (v instanceof String s) {
      return "\""
          + s.replace("\\", "\\\\")
              .replace("\"", "\\\"")
              .replace("\n", "\\n")
              .replace("é", "\\u00e9")
          + "\"";
    }
    return String.valueOf(v);
  }
}
