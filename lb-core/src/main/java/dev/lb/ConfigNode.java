package dev.lb;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One object of a {@link LoadBalancerConfig} tree: its path for messages and its values by
 * camelCase key, with the typed reads that name the option's path and quote the value when it is
 * wrong; and the normalization that turns a user's tree (kebab-case, dotted keys, indexed maps from
 * properties binders) into such objects. Immutable once made; used only while a configuration is
 * read.
 */
final class ConfigNode {
  private static final Pattern DURATION =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|µs|ms|s|m|h|d)");

  final String path;
  final Map<String, Object> values;

  ConfigNode(String path, Map<String, Object> values) {
    this.path = path;
    this.values = values;
  }

  String at(String key) {
    return path.isEmpty() ? key : key.isEmpty() ? path : path + "." + key;
  }

  @Nullable Object raw(String key) {
    return values.get(key);
  }

  void only(List<String> keys) {
    for (String key : values.keySet()) {
      if (!keys.contains(key)) {
        throw new IllegalArgumentException(
            "unknown option '"
                + at(key)
                + "'; "
                + (path.isEmpty() ? "the options are " : path + " accepts ")
                + keys);
      }
    }
  }

  ConfigNode node(String key) {
    Object value = values.get(key);
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          at(key) + " must be an object of options but was " + quote(value));
    }
    @SuppressWarnings("unchecked") // normalize() made every nested map a Map<String, Object>
    Map<String, Object> m = (Map<String, Object>) map;
    return new ConfigNode(at(key), m);
  }

  @Nullable String text(String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String || value instanceof Number || value instanceof Boolean)
        || value.toString().isBlank()) {
      throw new IllegalArgumentException(
          at(key) + " must be non-blank text but was " + quote(value));
    }
    return value.toString().trim();
  }

  @Nullable Integer whole(String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    BigDecimal d = decimal(value);
    if (d != null) {
      try {
        return d.stripTrailingZeros().intValueExact();
      } catch (ArithmeticException e) {
        // falls through to the error
      }
    }
    throw new IllegalArgumentException(at(key) + " must be a whole number but was " + quote(value));
  }

  @Nullable Double number(String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    BigDecimal d = decimal(value);
    if (d == null) {
      throw new IllegalArgumentException(at(key) + " must be a number but was " + quote(value));
    }
    return d.doubleValue();
  }

  @Nullable Boolean bool(String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    Boolean b = booleanOrNull(value);
    if (b == null) {
      throw new IllegalArgumentException(
          at(key) + " must be true or false but was " + quote(value));
    }
    return b;
  }

  @Nullable Duration duration(String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    if (value instanceof Duration d) {
      return d;
    }
    Duration d = value instanceof String s ? parseDuration(s.trim()) : null;
    if (d == null) {
      throw new IllegalArgumentException(
          at(key)
              + " must be a duration such as \"500ms\", \"30s\" or \"PT1M\" but was "
              + quote(value));
    }
    return d;
  }

  <E extends Enum<E>> @Nullable E constant(String key, Class<E> type) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    if (type.isInstance(value)) {
      return type.cast(value);
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      String name = e.name().toLowerCase(Locale.ROOT);
      names.add(name);
      if (value instanceof String s
          && s.trim().toLowerCase(Locale.ROOT).replace('-', '_').equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        at(key) + " must be one of " + names + " but was " + quote(value));
  }

  /** Calls {@code set} with {@code value} unless it is null, naming the path if it refuses. */
  <T> void set(Map<String, Object> parsed, String key, @Nullable T value, Consumer<T> set) {
    if (value == null) {
      return;
    }
    // The message quotes what the user wrote ("0s"), not the parsed value (PT0S).
    Object written = values.get(key);
    attempt(
        key,
        written != null ? written : value,
        () -> {
          set.accept(value);
          return value;
        });
    parsed.put(key, value);
  }

  /** Runs {@code action}; an {@link IllegalArgumentException} from it gains the option's path. */
  <T> T attempt(String key, @Nullable Object value, Supplier<T> action) {
    try {
      return action.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          at(key) + " = " + quote(value) + " is invalid: " + e.getMessage(), e);
    }
  }

  /**
   * Copies {@code tree} into maps keyed by camelCase names, with dotted keys split into nested
   * maps; a key given twice (in two spellings, or nested and dotted) is an error.
   */
  static Map<String, Object> normalize(Map<?, ?> tree, String path) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : tree.entrySet()) {
      Object rawKey = entry.getKey();
      if (!(rawKey instanceof String key) || key.isBlank()) {
        throw new IllegalArgumentException(
            "option names must be non-blank text but "
                + (path.isEmpty() ? "the" : path)
                + " has "
                + quote(rawKey));
      }
      String[] segments = key.trim().split("\\.", -1);
      Map<String, Object> target = out;
      String at = path;
      for (int i = 0; i < segments.length; i++) {
        String segment = camel(segments[i].trim());
        if (segment.isEmpty()) {
          throw new IllegalArgumentException("option name '" + rawKey + "' has an empty part");
        }
        at = at.isEmpty() ? segment : at + "." + segment;
        if (i == segments.length - 1) {
          Object value = entry.getValue();
          Object normalized =
              value instanceof Map<?, ?> m && !isIndexed(m) ? normalize(m, at) : value;
          Object previous = target.get(segment);
          if (previous instanceof Map<?, ?> pm && normalized instanceof Map<?, ?> nm) {
            merge(castMap(pm), castMap(nm), at);
          } else if (previous != null) {
            throw new IllegalArgumentException("option '" + at + "' is given twice");
          } else if (normalized != null) {
            target.put(segment, normalized);
          }
        } else {
          Object next = target.get(segment);
          if (next == null) {
            next = new LinkedHashMap<String, Object>();
            target.put(segment, next);
          } else if (!(next instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(
                "option '" + at + "' is both a value (" + quote(next) + ") and an object");
          }
          target = castMap((Map<?, ?>) next);
        }
      }
    }
    return out;
  }

  static void merge(Map<String, Object> into, Map<String, Object> from, String path) {
    for (Map.Entry<String, Object> e : from.entrySet()) {
      String at = path + "." + e.getKey();
      Object previous = into.get(e.getKey());
      if (previous instanceof Map<?, ?> pm && e.getValue() instanceof Map<?, ?> nm) {
        merge(castMap(pm), castMap(nm), at);
      } else if (previous != null) {
        throw new IllegalArgumentException("option '" + at + "' is given twice");
      } else {
        into.put(e.getKey(), e.getValue());
      }
    }
  }

  @SuppressWarnings("unchecked") // every map normalize() makes is a Map<String, Object>
  static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  /** A map from "0", "1"... (or "[0]"...): how properties binders hand over a list. */
  static boolean isIndexed(Map<?, ?> map) {
    if (map.isEmpty()) {
      return false;
    }
    for (Object key : map.keySet()) {
      if (!(key instanceof String s) || !s.matches("\\[?[0-9]+]?")) {
        return false;
      }
    }
    return true;
  }

  static Map<Integer, Object> byIndex(Map<?, ?> indexed) {
    Map<Integer, Object> sorted = new TreeMap<>();
    for (Map.Entry<?, ?> e : indexed.entrySet()) {
      sorted.put(
          Integer.parseInt(((String) e.getKey()).replace("[", "").replace("]", "")), e.getValue());
    }
    return sorted;
  }

  /** {@code baseEjectionTime} from {@code base-ejection-time} or {@code base_ejection_time}. */
  static String camel(String key) {
    if (key.indexOf('-') < 0 && key.indexOf('_') < 0) {
      return key;
    }
    StringBuilder out = new StringBuilder(key.length());
    boolean upper = false;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '-' || c == '_') {
        upper = out.length() > 0;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  static @Nullable BigDecimal decimal(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return BigDecimal.valueOf(((Number) value).longValue());
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (value instanceof BigDecimal d) {
      return d;
    }
    if (value instanceof Number n) {
      return parseDecimal(n.toString());
    }
    return value instanceof String s ? parseDecimal(s.trim()) : null;
  }

  static @Nullable BigDecimal parseDecimal(String s) {
    if (!s.matches("[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
      return null;
    }
    return new BigDecimal(s);
  }

  static @Nullable Boolean booleanOrNull(@Nullable Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s) {
      String t = s.trim().toLowerCase(Locale.ROOT);
      if (t.equals("true")) {
        return true;
      }
      if (t.equals("false")) {
        return false;
      }
    }
    return null;
  }

  /** {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code PT10S}; null if it is none of these. */
  static @Nullable Duration parseDuration(String s) {
    if (s.length() > 1 && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      return null;
    }
    BigDecimal amount = new BigDecimal(m.group(1));
    long nanosPerUnit =
        switch (m.group(2)) {
          case "ns" -> 1L;
          case "us", "µs" -> 1_000L;
          case "ms" -> 1_000_000L;
          case "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          case "h" -> 3_600_000_000_000L;
          default -> 86_400_000_000_000L;
        };
    try {
      return Duration.ofNanos(
          amount
              .multiply(BigDecimal.valueOf(nanosPerUnit))
              .setScale(0, java.math.RoundingMode.HALF_UP)
              .longValueExact());
    } catch (ArithmeticException e) {
      return null;
    }
  }

  static String quote(@Nullable Object value) {
    if (value instanceof String) {
      return "\"" + value + "\"";
    }
    if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      return String.valueOf(d.longValue());
    }
    return String.valueOf(value);
  }
}
