package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointFilesTest {
  @Test
  void json_everyField() {
    List<Endpoint> got =
        EndpointFileFormat.JSON.parse(
            "{\"endpoints\": [{\"host\": \"10.0.0.1\", \"port\": 8080},"
                + " {\"host\": \"::1\", \"port\": 9090, \"id\": \"b\", \"weight\": 2, \"zone\": \"z\","
                + " \"priority\": 1, \"backup\": true, \"metadata\": {\"version\": \"v2\"}}]}");
    assertThat(got.get(0)).isEqualTo(Endpoint.of("10.0.0.1", 8080));
    assertThat(got.get(1))
        .isEqualTo(
            Endpoint.builder("::1", 9090)
                .id("b")
                .weight(2)
                .zone("z")
                .priority(1)
                .backup(true)
                .metadata("version", "v2")
                .build());
  }

  @Test
  void json_emptyArray_isAnEmptySet() {
    assertThat(EndpointFileFormat.JSON.parse("{\"endpoints\": []}")).isEmpty();
  }

  @Test
  void json_strictAboutShapeAndFields() {
    assertThatThrownBy(() -> EndpointFileFormat.JSON.parse("[]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be an object");
    assertThatThrownBy(() -> EndpointFileFormat.JSON.parse("{\"endpoint\": []}"))
        .hasMessageContaining("unknown top-level key \"endpoint\"");
    assertThatThrownBy(() -> EndpointFileFormat.JSON.parse("{\"endpoints\": {}}"))
        .hasMessage("\"endpoints\" must be an array");
    assertThatThrownBy(() -> EndpointFileFormat.JSON.parse("{\"endpoints\": [1]}"))
        .hasMessage("endpoints[0] must be an object");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1, \"wieght\": 2}]}"))
        .hasMessageContaining("endpoints[0]: unknown key \"wieght\"");
    assertThatThrownBy(() -> EndpointFileFormat.JSON.parse("{\"endpoints\": [{\"port\": 1}]}"))
        .hasMessage("endpoints[0]: \"host\" must be a string but was missing");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": \"80\"}]}"))
        .hasMessage("endpoints[0]: \"port\" must be an integer but was 80");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1, \"weight\": 0}]}"))
        .hasMessage("endpoints[0]: weight must be positive but was 0");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1, \"backup\": \"yes\"}]}"))
        .hasMessageContaining("\"backup\" must be true or false");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1, \"metadata\": {\"v\": 2}}]}"))
        .hasMessageContaining("metadata \"v\" must be a string but was 2");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1, \"metadata\": []}]}"))
        .hasMessageContaining("\"metadata\" must be an object");
    assertThatThrownBy(
            () ->
                EndpointFileFormat.JSON.parse(
                    "{\"endpoints\": [{\"host\": \"a\", \"port\": 1}, {\"host\": \"a\", \"port\": 1}]}"))
        .hasMessage("endpoint id 'a:1' appears twice");
  }

  @Test
  void properties_everyField_sortedById() {
    List<Endpoint> got =
        EndpointFileFormat.PROPERTIES.parse(
            """
            # comment
            endpoint.web2 = [fd00::2]:9090
            endpoint.web1 = 10.0.0.1:8080
            endpoint.web1.weight = 3
            endpoint.web1.zone = eu-1a
            endpoint.web1.priority = 2
            endpoint.web1.backup = true
            endpoint.web1.metadata.version = v2
            """);
    assertThat(got)
        .containsExactly(
            Endpoint.builder("10.0.0.1", 8080)
                .id("web1")
                .weight(3)
                .zone("eu-1a")
                .priority(2)
                .backup(true)
                .metadata("version", "v2")
                .build(),
            Endpoint.builder("fd00::2", 9090).id("web2").build());
  }

  @Test
  void properties_strictAboutKeysAndValues() {
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("server.a=1.2.3.4:80"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown key 'server.a' (keys start with 'endpoint.')");
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("endpoint.=1.2.3.4:80"))
        .hasMessageContaining("has no endpoint name");
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("endpoint.a.weight=2"))
        .hasMessageContaining("endpoint.a: no address");
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=1.2.3.4"))
        .hasMessage("endpoint.a: address must be host:port or [ipv6]:port but was '1.2.3.4'");
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=1.2.3.4:http"))
        .hasMessage("endpoint.a: port must be an integer but was 'http'");
    assertThatThrownBy(
            () -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=h:80\nendpoint.a.wieght=2"))
        .hasMessageContaining("endpoint.a: unknown key 'wieght'");
    assertThatThrownBy(
            () -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=h:80\nendpoint.a.backup=yes"))
        .hasMessage("endpoint.a: backup must be true or false but was 'yes'");
    assertThatThrownBy(
            () -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=h:80\nendpoint.a.weight=-1"))
        .hasMessage("endpoint.a: weight must be positive but was -1");
    assertThatThrownBy(() -> EndpointFileFormat.PROPERTIES.parse("endpoint.a=h:80\\u12"))
        .hasMessageContaining("invalid properties file");
  }
}
