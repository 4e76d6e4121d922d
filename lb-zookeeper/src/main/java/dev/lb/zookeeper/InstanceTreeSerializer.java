package dev.lb.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.details.InstanceSerializer;
import org.jspecify.annotations.Nullable;

/**
 * Reads the instances Curator's {@code JsonInstanceSerializer} writes, keeping the payload as a
 * JSON tree. Curator's own serializer binds the payload to a class named in the data ({@code
 * "@class"}), so a reader without the registrant's payload class fails; this one reads any
 * registrant's instances and leaves the payload to the endpoint mapping. It only reads: this module
 * never registers instances.
 */
final class InstanceTreeSerializer implements InstanceSerializer<JsonNode> {
  private final ObjectMapper mapper = new ObjectMapper();

  @Override
  public byte[] serialize(ServiceInstance<JsonNode> instance) {
    throw new UnsupportedOperationException("lb-zookeeper only reads instances");
  }

  @Override
  public ServiceInstance<JsonNode> deserialize(byte[] bytes) throws Exception {
    JsonNode root = mapper.readTree(bytes);
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("a service instance must be a JSON object");
    }
    JsonNode payload = root.path("payload");
    String type = root.path("serviceType").asText("DYNAMIC");
    return new ServiceInstance<>(
        text(root, "name"),
        text(root, "id"),
        text(root, "address"),
        integer(root, "port"),
        integer(root, "sslPort"),
        payload.isMissingNode() || payload.isNull() ? null : payload,
        root.path("registrationTimeUTC").asLong(0),
        ServiceType.valueOf(type),
        null,
        root.path("enabled").asBoolean(true));
  }

  private static @Nullable String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static @Nullable Integer integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? null : n.asInt();
  }
}
