package dev.lb.discovery;

import dev.lb.Endpoint;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Parsing of the {@link EndpointFileFormat}s. */
final class EndpointFiles {
  private static final Set<String> JSON_FIELDS =
      Set.of("host", "port", "id", "weight", "zone", "priority", "backup", "metadata");

  private EndpointFiles() {}

  static List<Endpoint> parseJson(String content) {
    Object root = JsonReader.parse(content);
    if (!(root instanceof Map<?, ?> top)) {
      throw new IllegalArgumentException(
          "the JSON document must be an object with an \"endpoints\" array");
    }
    for (Object key : top.keySet()) {
      if (!"endpoints".equals(key)) {
        throw new IllegalArgumentException(
            "unknown top-level key \"" + key + "\" (only \"endpoints\" is allowed)");
      }
    }
    if (!(top.get("endpoints") instanceof List<?> items)) {
      throw new IllegalArgumentException("\"endpoints\" must be an array");
    }
    List<Endpoint> endpoints = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      String where = "endpoints[" + i + "]";
      if (!(items.get(i) instanceof Map<?, ?> item)) {
        throw new IllegalArgumentException(where + " must be an object");
      }
      try {
        endpoints.add(jsonEndpoint(item));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return distinct(endpoints);
  }

  private static Endpoint jsonEndpoint(Map<?, ?> item) {
    for (Object key : item.keySet()) {
      if (!JSON_FIELDS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown key \"" + key + "\" (allowed: " + new TreeSet<>(JSON_FIELDS) + ")");
      }
    }
    String host = jsonString(item, "host");
    Endpoint.Builder b = Endpoint.builder(host, jsonInt(item, "port"));
    if (item.containsKey("id")) {
      b.id(jsonString(item, "id"));
    }
    if (item.containsKey("weight")) {
      b.weight(jsonInt(item, "weight"));
    }
    if (item.containsKey("zone")) {
      b.zone(jsonString(item, "zone"));
    }
    if (item.containsKey("priority")) {
      b.priority(jsonInt(item, "priority"));
    }
    if (item.containsKey("backup")) {
      if (!(item.get("backup") instanceof Boolean backup)) {
        throw new IllegalArgumentException(
            "\"backup\" must be true or false but was " + item.get("backup"));
      }
      b.backup(backup);
    }
    if (item.containsKey("metadata")) {
      if (!(item.get("metadata") instanceof Map<?, ?> metadata)) {
        throw new IllegalArgumentException("\"metadata\" must be an object of strings");
      }
      for (Map.Entry<?, ?> e : metadata.entrySet()) {
        if (!(e.getValue() instanceof String value)) {
          throw new IllegalArgumentException(
              "metadata \"" + e.getKey() + "\" must be a string but was " + e.getValue());
        }
        b.metadata(String.valueOf(e.getKey()), value);
      }
    }
    return b.build();
  }

  private static String jsonString(Map<?, ?> item, String field) {
    Object v = item.get(field);
    if (v instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(
        "\"" + field + "\" must be a string but was " + (v == null ? "missing" : v));
  }

  private static int jsonInt(Map<?, ?> item, String field) {
    Object v = item.get(field);
    if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
      return (int) (long) l;
    }
    throw new IllegalArgumentException(
        "\"" + field + "\" must be an integer but was " + (v == null ? "missing" : v));
  }

  static List<Endpoint> parseProperties(String content) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(content));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid properties file: " + e.getMessage(), e);
    }
    // name -> attribute -> value, attribute "" for the address line
    Map<String, Map<String, String>> byName = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (!key.startsWith("endpoint.")) {
        throw new IllegalArgumentException(
            "unknown key '" + key + "' (keys start with 'endpoint.')");
      }
      String rest = key.substring("endpoint.".length());
      int dot = rest.indexOf('.');
      String name = dot < 0 ? rest : rest.substring(0, dot);
      String attribute = dot < 0 ? "" : rest.substring(dot + 1);
      if (name.isBlank()) {
        throw new IllegalArgumentException("key '" + key + "' has no endpoint name");
      }
      byName.computeIfAbsent(name, n -> new TreeMap<>()).put(attribute, p.getProperty(key).strip());
    }
    List<Endpoint> endpoints = new ArrayList<>(byName.size());
    for (Map.Entry<String, Map<String, String>> e : byName.entrySet()) {
      try {
        endpoints.add(propertiesEndpoint(e.getKey(), e.getValue()));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("endpoint." + e.getKey() + ": " + ex.getMessage(), ex);
      }
    }
    return distinct(endpoints);
  }

  private static Endpoint propertiesEndpoint(String name, Map<String, String> attributes) {
    String address = attributes.get("");
    if (address == null) {
      throw new IllegalArgumentException(
          "no address: add 'endpoint." + name + "=host:port' or remove its other keys");
    }
    int colon = address.lastIndexOf(':');
    String host;
    if (address.startsWith("[") && colon > 0 && address.charAt(colon - 1) == ']') {
      host = address.substring(1, colon - 1);
    } else if (colon > 0 && address.indexOf(':') == colon) {
      host = address.substring(0, colon);
    } else {
      throw new IllegalArgumentException(
          "address must be host:port or [ipv6]:port but was '" + address + "'");
    }
    Endpoint.Builder b = Endpoint.builder(host, integer("port", address.substring(colon + 1)));
    b.id(name);
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      String attribute = a.getKey();
      String value = a.getValue();
      switch (attribute) {
        case "" -> {}
        case "weight" -> b.weight(integer("weight", value));
        case "priority" -> b.priority(integer("priority", value));
        case "zone" -> b.zone(value);
        case "backup" -> {
          if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(
                "backup must be true or false but was '" + value + "'");
          }
          b.backup(Boolean.parseBoolean(value));
        }
        default -> {
          if (!attribute.startsWith("metadata.") || attribute.length() == "metadata.".length()) {
            throw new IllegalArgumentException(
                "unknown key '"
                    + attribute
                    + "' (allowed: weight, zone, priority, backup, metadata.KEY; names have no"
                    + " dots)");
          }
          b.metadata(attribute.substring("metadata.".length()), value);
        }
      }
    }
    return b.build();
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be an integer but was '" + value + "'", e);
    }
  }

  private static List<Endpoint> distinct(List<Endpoint> endpoints) {
    Set<String> ids = new HashSet<>();
    for (Endpoint e : endpoints) {
      if (!ids.add(e.id())) {
        throw new IllegalArgumentException("endpoint id '" + e.id() + "' appears twice");
      }
    }
    return endpoints;
  }
}
