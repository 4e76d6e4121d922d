package dev.lb.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lb.Endpoint;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.junit.jupiter.api.Test;

/** The instance-to-endpoint mapping and the builder's checks; no server needed. */
class ZooKeeperEndpointSourceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ServiceInstance<JsonNode> instance(
      String id, String address, Integer port, Integer sslPort, String payloadJson, boolean enabled)
      throws Exception {
    JsonNode payload = payloadJson == null ? null : JSON.readTree(payloadJson);
    return new ServiceInstance<>(
        "users", id, address, port, sslPort, payload, 0L, ServiceType.DYNAMIC, null, enabled);
  }

  @Test
  void toEndpoint_idAddressPort_andPayloadFields() throws Exception {
    Endpoint e =
        ZooKeeperEndpointSource.toEndpoint(
            instance(
                "u1",
                "10.0.0.1",
                8080,
                8443,
                "{\"@class\": \"com.example.Details\", \"weight\": 3, \"zone\": \"eu-1a\","
                    + " \"priority\": 1, \"backup\": true, \"metadata\": {\"version\": \"v2\","
                    + " \"shard\": 7}, \"other\": 1}",
                true),
            false);
    assertThat(e)
        .isEqualTo(
            Endpoint.builder("10.0.0.1", 8080)
                .id("u1")
                .weight(3)
                .zone("eu-1a")
                .priority(1)
                .backup(true)
                .metadata("version", "v2")
                .metadata("shard", "7")
                .build());
  }

  @Test
  void toEndpoint_noPayload_defaults_andWeightAsText() throws Exception {
    assertThat(ZooKeeperEndpointSource.toEndpoint(instance("u1", "h", 80, null, null, true), false))
        .isEqualTo(Endpoint.builder("h", 80).id("u1").build());
    assertThat(
            ZooKeeperEndpointSource.toEndpoint(
                    instance("u1", "h", 80, null, "{\"weight\": \"4\"}", true), false)
                .weight())
        .isEqualTo(4);
  }

  @Test
  void toEndpoint_sslPort_whenAsked_andLeftOutWithoutOne() throws Exception {
    assertThat(
            ZooKeeperEndpointSource.toEndpoint(instance("u1", "h", 80, 443, null, true), true)
                .port())
        .isEqualTo(443);
    assertThat(ZooKeeperEndpointSource.toEndpoint(instance("u1", "h", 80, null, null, true), true))
        .isNull();
  }

  @Test
  void toEndpoint_disabledOrAddressless_isLeftOut() throws Exception {
    assertThat(
            ZooKeeperEndpointSource.toEndpoint(instance("u1", "h", 80, null, null, false), false))
        .isNull();
    assertThat(
            ZooKeeperEndpointSource.toEndpoint(instance("u1", null, 80, null, null, true), false))
        .isNull();
  }

  @Test
  void toEndpoint_invalidPayload_failsWithTheValue() throws Exception {
    assertThatThrownBy(
            () ->
                ZooKeeperEndpointSource.toEndpoint(
                    instance("u1", "h", 80, null, "{\"weight\": 0}", true), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weight must be positive but was 0");
    assertThatThrownBy(
            () ->
                ZooKeeperEndpointSource.toEndpoint(
                    instance("u1", "h", 80, null, "{\"weight\": \"heavy\"}", true), false))
        .hasMessage("weight must be an integer but was \"heavy\"");
    assertThatThrownBy(
            () ->
                ZooKeeperEndpointSource.toEndpoint(
                    instance("u1", "h", 80, null, "{\"backup\": \"yes\"}", true), false))
        .hasMessageContaining("backup must be true or false");
  }

  @Test
  void treeSerializer_readsAnyPayloadClass_andNeverWrites() throws Exception {
    InstanceTreeSerializer s = new InstanceTreeSerializer();
    ServiceInstance<JsonNode> i =
        s.deserialize(
            ("{\"name\": \"users\", \"id\": \"u1\", \"address\": \"10.0.0.1\", \"port\": 8080,"
                    + " \"payload\": {\"@class\": \"not.on.this.ClassPath\", \"weight\": 2},"
                    + " \"serviceType\": \"DYNAMIC\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(i.getId()).isEqualTo("u1");
    assertThat(i.isEnabled()).isTrue();
    assertThat(ZooKeeperEndpointSource.toEndpoint(i, false).weight()).isEqualTo(2);
    assertThatThrownBy(() -> s.serialize(i)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> s.deserialize("[]".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_rejectsBadArguments() {
    CuratorFramework client = CuratorFrameworkFactory.newClient("127.0.0.1:1", new RetryOneTime(1));
    try {
      assertThatThrownBy(() -> ZooKeeperEndpointSource.builder(null, "/s", "users"))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("client must not be null");
      assertThatThrownBy(() -> ZooKeeperEndpointSource.builder(client, null, "users"))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("basePath must not be null");
      assertThatThrownBy(() -> ZooKeeperEndpointSource.builder(client, "/s", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("serviceName must not be null");
      assertThatThrownBy(() -> ZooKeeperEndpointSource.builder(client, "services", "users"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("basePath must start with '/' but was 'services'");
      assertThatThrownBy(() -> ZooKeeperEndpointSource.builder(client, "/s", " "))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("serviceName must not be blank but was ' '");
      ZooKeeperEndpointSource source =
          ZooKeeperEndpointSource.builder(client, "/services", "users").build();
      assertThatThrownBy(() -> source.start(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("sink must not be null");
      assertThat(source.name()).isEqualTo("zookeeper:/services/users");
      assertThat(source.toString()).contains("zookeeper:/services/users");
      source.close();
      assertThatThrownBy(
              () ->
                  source.start(
                      new dev.lb.discovery.EndpointSink() {
                        @Override
                        public void update(java.util.List<Endpoint> endpoints) {}

                        @Override
                        public void fail(Throwable error) {}
                      }))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    } finally {
      client.close();
    }
  }
}
