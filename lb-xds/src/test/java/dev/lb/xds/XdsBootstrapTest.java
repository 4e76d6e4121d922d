package dev.lb.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XdsBootstrapTest {
  private static final String GOOD =
      """
      {
        "xds_servers": [
          {
            "server_uri": "xds.internal:18000",
            "channel_creds": [{"type": "google_default"}, {"type": "insecure"}],
            "server_features": ["xds_v3", "ignore_resource_deletion"]
          },
          {"server_uri": "backup:18000", "channel_creds": [{"type": "insecure"}]}
        ],
        "node": {
          "id": "checkout-7f9c",
          "cluster": "checkout",
          "locality": {"region": "eu-west-1", "zone": "eu-west-1a", "sub_zone": "rack-4"},
          "metadata": {"team": "payments", "canary": true},
          "some_future_field": 1
        },
        "certificate_providers": {},
        "authorities": {}
      }
      """;

  @Test
  void gRpcsBootstrap_isRead_firstServer_firstSupportedCreds_nodeAndLocality() {
    XdsBootstrap b = XdsBootstrap.parse(GOOD);
    assertThat(b.serverUri()).isEqualTo("xds.internal:18000");
    assertThat(b.channelCredentials()).isEqualTo("insecure");
    assertThat(b.credentials()).isInstanceOf(InsecureChannelCredentials.class);
    assertThat(b.serverFeatures()).containsExactlyInAnyOrder("xds_v3", "ignore_resource_deletion");
    assertThat(b.ignoreResourceDeletion()).isTrue();
    assertThat(b.node().getId()).isEqualTo("checkout-7f9c");
    assertThat(b.node().getCluster()).isEqualTo("checkout");
    assertThat(b.node().getLocality().getRegion()).isEqualTo("eu-west-1");
    assertThat(b.node().getLocality().getSubZone()).isEqualTo("rack-4");
    assertThat(b.localZone()).isEqualTo("eu-west-1a");
    assertThat(b.node().getMetadata().getFieldsOrThrow("team").getStringValue())
        .isEqualTo("payments");
    assertThat(b.node().getMetadata().getFieldsOrThrow("canary").getBoolValue()).isTrue();
    assertThat(b.node().getUserAgentName()).isEqualTo("lb");
    assertThat(b.toString()).contains("checkout-7f9c").contains("eu-west-1a");
  }

  private static void rejected(String json, String... fragments) {
    var thrown =
        assertThatThrownBy(() -> XdsBootstrap.parse(json))
            .isInstanceOf(IllegalArgumentException.class);
    for (String f : fragments) {
      thrown.hasMessageContaining(f);
    }
  }

  private static String server(String server) {
    return "{\"xds_servers\": [" + server + "], \"node\": {\"id\": \"n\"}}";
  }

  @Test
  void badInput_namesTheFieldAndQuotesTheValue() {
    rejected("not json", "not a JSON object");
    rejected("[1, 2]", "not a JSON object");
    rejected("{\"node\": {\"id\": \"n\"}}", "xds_servers is missing");
    rejected("{\"xds_servers\": [], \"node\": {\"id\": \"n\"}}", "xds_servers must not be empty");
    rejected(
        "{\"xds_servers\": {\"a\": 1}, \"node\": {\"id\": \"n\"}}",
        "xds_servers must be a list but was {\"a\":1.0}");
    rejected(server("\"x:1\""), "xds_servers[0] must be an object but was \"x:1\"");
    rejected(
        server("{\"server_uri\": 42, \"channel_creds\": []}"),
        "xds_servers[0].server_uri must be a string but was 42");
    rejected(
        server("{\"server_uri\": \" \", \"channel_creds\": []}"),
        "xds_servers[0].server_uri must not be blank but was ' '");
    rejected(server("{\"server_uri\": \"x:1\"}"), "xds_servers[0].channel_creds is missing");
    rejected(
        server(
            "{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"google_default\"},"
                + " {\"type\": \"xds\"}]}"),
        "channel_creds lists no type lb supports (insecure, tls) but was [google_default, xds]");
    rejected(
        server("{\"server_uri\": \"x:1\", \"channel_creds\": [{\"kind\": \"insecure\"}]}"),
        "xds_servers[0].channel_creds[0].type is missing");
    rejected(
        server(
            "{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"tls\", \"config\":"
                + " {\"certificate_file\": \"/c.pem\"}}]}"),
        "channel_creds[0].config needs both certificate_file and private_key_file",
        "certificate_file='/c.pem', private_key_file=(unset)");
    rejected(
        server(
            "{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"insecure\"}],"
                + " \"server_features\": [\"xds_v3\", 3]}"),
        "xds_servers[0].server_features[1] must be a string but was 3");
    String servers =
        "\"xds_servers\": [{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"insecure\"}]}]";
    rejected("{" + servers + "}", "node is missing");
    rejected("{" + servers + ", \"node\": {\"id\": \"\"}}", "node.id must not be blank but was ''");
    rejected("{" + servers + ", \"node\": {\"cluster\": \"c\"}}", "node.id is missing");
    rejected(
        "{" + servers + ", \"node\": {\"id\": \"n\", \"locality\": \"eu\"}}",
        "node.locality must be an object but was \"eu\"");
    rejected(
        "{" + servers + ", \"node\": {\"id\": \"n\", \"locality\": {\"zone\": 1}}}",
        "node.locality.zone must be a string but was 1");
    rejected(
        "{" + servers + ", \"node\": {\"id\": \"n\", \"metadata\": [1]}}",
        "node.metadata must be an object but was [1.0]");
  }

  @Test
  void tlsCreds_withoutConfig_trustTheJvm_andFilesAreReadWhenTheChannelIsMade() {
    XdsBootstrap b =
        XdsBootstrap.parse(
            server("{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"tls\"}]}"));
    assertThat(b.channelCredentials()).isEqualTo("tls");
    assertThat(b.credentials()).isInstanceOf(TlsChannelCredentials.class);
    XdsBootstrap missing =
        XdsBootstrap.parse(
            server(
                "{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"tls\", \"config\":"
                    + " {\"ca_certificate_file\": \"/nonexistent/ca.pem\"}}]}"));
    assertThatThrownBy(missing::credentials).hasMessageContaining("TLS files");
  }

  @Test
  void environment_fileFirst_thenInlineConfig_thenSystemProperties(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("bootstrap.json");
    Files.writeString(file, GOOD);
    String inline =
        server("{\"server_uri\": \"inline:1\", \"channel_creds\": [{\"type\": \"insecure\"}]}");
    Map<String, String> both =
        Map.of(
            XdsBootstrap.BOOTSTRAP_FILE_ENV,
            file.toString(),
            XdsBootstrap.BOOTSTRAP_CONFIG_ENV,
            inline);
    assertThat(XdsBootstrap.fromEnvironment(both::get, k -> null).serverUri())
        .isEqualTo("xds.internal:18000");
    Map<String, String> config = Map.of(XdsBootstrap.BOOTSTRAP_CONFIG_ENV, inline);
    assertThat(XdsBootstrap.fromEnvironment(config::get, k -> null).serverUri())
        .isEqualTo("inline:1");
    Map<String, String> props = Map.of(XdsBootstrap.BOOTSTRAP_CONFIG_PROPERTY, inline);
    assertThat(XdsBootstrap.fromEnvironment(k -> null, props::get).serverUri())
        .isEqualTo("inline:1");
    assertThatThrownBy(() -> XdsBootstrap.fromEnvironment(k -> null, k -> null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GRPC_XDS_BOOTSTRAP")
        .hasMessageContaining("GRPC_XDS_BOOTSTRAP_CONFIG");
    Map<String, String> gone =
        Map.of(XdsBootstrap.BOOTSTRAP_FILE_ENV, dir.resolve("none.json").toString());
    assertThatThrownBy(() -> XdsBootstrap.fromEnvironment(gone::get, k -> null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("none.json");
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"xds_servers\": []}");
    assertThatThrownBy(() -> XdsBootstrap.read(bad))
        .hasMessageContaining("bad.json")
        .hasMessageContaining("xds_servers must not be empty");
  }
}
