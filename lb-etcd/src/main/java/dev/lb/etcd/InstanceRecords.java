package dev.lb.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lb.Endpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The value format of an instance record: one JSON object per key, with the fields of an lb
 * endpoint, as in lb-core's JSON endpoint files ({@link dev.lb.discovery.EndpointFileFormat#JSON}):
 *
 * <pre>{@code
 * {"host": "10.0.0.2", "port": 8080, "id": "b", "weight": 2, "zone": "eu-west-1a",
 *  "priority": 0, "backup": false, "metadata": {"version": "v2"}}
 * }</pre>
 *
 * <p>{@code host} and {@code port} are required; the id defaults to {@code host:port}. Parsed
 * strictly: an unknown field, a wrong type, a port outside 1..65535 or a weight below 1 is an error
 * that names the key. No state; thread-safe.
 */
final class InstanceRecords {
  private static final Set<String> FIELDS =
      Set.of("host", "port", "id", "weight", "zone", "priority", "backup", "metadata");
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private InstanceRecords() {}

  /**
   * Reads the record stored under {@code key}.
   *
   * @throws IllegalArgumentException naming the key and the problem
   */
  static Endpoint parse(String key, byte[] value) {
    JsonNode root;
    try {
      root = MAPPER.readTree(value);
    } catch (IOException e) {
      throw invalid(key, "is not JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw invalid(
          key, "must be a JSON object but was " + new String(value, StandardCharsets.UTF_8));
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw invalid(
            key,
            "has unknown field '"
                + name
                + "' (known: host, port, id, weight, zone, priority, backup, metadata)");
      }
    }
    String host = text(key, root, "host", true);
    int port = integer(key, root, "port", true, Integer.MIN_VALUE);
    if (port < 1 || port > 65535) {
      throw invalid(key, "port must be in 1..65535 but was " + port);
    }
    try {
      Endpoint.Builder b = Endpoint.builder(java.util.Objects.requireNonNull(host, "host"), port);
      String id = text(key, root, "id", false);
      if (id != null) {
        b.id(id);
      }
      if (root.has("weight")) {
        b.weight(integer(key, root, "weight", true, 1));
      }
      String zone = text(key, root, "zone", false);
      if (zone != null) {
        b.zone(zone);
      }
      if (root.has("priority")) {
        b.priority(integer(key, root, "priority", true, 0));
      }
      JsonNode backup = root.get("backup");
      if (backup != null) {
        if (!backup.isBoolean()) {
          throw invalid(key, "backup must be true or false but was " + backup);
        }
        b.backup(backup.booleanValue());
      }
      JsonNode metadata = root.get("metadata");
      if (metadata != null) {
        if (!metadata.isObject()) {
          throw invalid(key, "metadata must be an object of strings but was " + metadata);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> entry = it.next();
          if (!entry.getValue().isTextual()) {
            throw invalid(
                key,
                "metadata '" + entry.getKey() + "' must be a string but was " + entry.getValue());
          }
          b.metadata(entry.getKey(), entry.getValue().textValue());
        }
      }
      return b.build();
    } catch (IllegalArgumentException | NullPointerException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("etcd key '")) {
        throw e;
      }
      throw invalid(key, String.valueOf(e.getMessage()));
    }
  }

  /** The record for {@code endpoint}, in the format {@link #parse} reads. */
  static byte[] format(Endpoint endpoint) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("host", endpoint.host());
    node.put("port", endpoint.port());
    node.put("id", endpoint.id());
    node.put("weight", endpoint.weight());
    if (endpoint.zone() != null) {
      node.put("zone", endpoint.zone());
    }
    node.put("priority", endpoint.priority());
    node.put("backup", endpoint.backup());
    if (!endpoint.metadata().isEmpty()) {
      ObjectNode metadata = node.putObject("metadata");
      endpoint.metadata().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> metadata.put(e.getKey(), e.getValue()));
    }
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the record of " + endpoint, e);
    }
  }

  private static @org.jspecify.annotations.Nullable String text(
      String key, JsonNode root, String field, boolean required) {
    JsonNode node = root.get(field);
    if (node == null) {
      if (required) {
        throw invalid(key, "has no '" + field + "'");
      }
      return null;
    }
    if (!node.isTextual()) {
      throw invalid(key, field + " must be a string but was " + node);
    }
    return node.textValue();
  }

  private static int integer(String key, JsonNode root, String field, boolean required, int min) {
    JsonNode node = root.get(field);
    if (node == null) {
      if (required) {
        throw invalid(key, "has no '" + field + "'");
      }
      return min;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw invalid(key, field + " must be an integer but was " + node);
    }
    int value = node.intValue();
    if (value < min) {
      throw invalid(key, field + " must be " + min + " or more but was " + value);
    }
    return value;
  }

  private static String firstLine(@org.jspecify.annotations.Nullable String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  static IllegalArgumentException invalid(String key, String problem) {
    return new IllegalArgumentException("etcd key '" + key + "' " + problem);
  }
}
