package dev.lb.spring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the tree Spring binds a {@code Map<String, Object>} to into the one {@link
 * dev.lb.LoadBalancerConfig#fromMap} reads: Spring gives a YAML list or {@code endpoints[0]=...}
 * properties as a map keyed {@code "0"}, {@code "1"}, ... (or {@code "[0]"}), which becomes a list
 * again, in index order.
 */
final class PropertyTrees {
  private static final Pattern INDEX = Pattern.compile("\\[?(\\d+)]?");
  private static final Pattern INDEXED_KEY = Pattern.compile("(.+)\\[(\\d+)]");

  private PropertyTrees() {}

  /** A mutable copy of the tree with every index-keyed map turned into a list. */
  static Map<String, Object> normalize(Map<String, ?> tree) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, TreeMap<Integer, Object>> indexed = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : tree.entrySet()) {
      Matcher m = INDEXED_KEY.matcher(e.getKey());
      if (m.matches()) {
        indexed
            .computeIfAbsent(m.group(1), k -> new TreeMap<>())
            .put(Integer.parseInt(m.group(2)), value(e.getValue()));
      } else {
        out.put(e.getKey(), value(e.getValue()));
      }
    }
    indexed.forEach((key, items) -> out.put(key, new ArrayList<>(items.values())));
    return out;
  }

  private static Object value(Object value) {
    if (!(value instanceof Map<?, ?> map)) {
      return value;
    }
    TreeMap<Integer, Object> items = new TreeMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Matcher m = INDEX.matcher(String.valueOf(e.getKey()));
      if (!m.matches()) {
        Map<String, Object> nested = new LinkedHashMap<>();
        map.forEach((k, v) -> nested.put(String.valueOf(k), v));
        return normalize(nested);
      }
      items.put(Integer.parseInt(m.group(1)), value(e.getValue()));
    }
    List<Object> list = new ArrayList<>(items.values());
    return map.isEmpty() ? map : list;
  }
}
