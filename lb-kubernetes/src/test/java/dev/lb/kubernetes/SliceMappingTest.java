package dev.lb.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class SliceMappingTest {
  private static List<String> ids(List<Endpoint> endpoints) {
    return endpoints.stream().map(Endpoint::id).toList();
  }

  private static EndpointConditions conditions(Boolean ready, Boolean serving, Boolean term) {
    return new EndpointConditionsBuilder()
        .withReady(ready)
        .withServing(serving)
        .withTerminating(term)
        .build();
  }

  @Test
  void readyEndpoints_becomeEndpoints_withZonePodNodeAndHints() {
    EndpointSlice slice =
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "eu-1a")
            .raw(
                new EndpointBuilder()
                    .withAddresses("10.0.0.2")
                    .withZone("eu-1b")
                    .withNewHints()
                    .addNewForZone("eu-1a")
                    .addNewForZone("eu-1b")
                    .endHints()
                    .build())
            .build();

    List<Endpoint> endpoints = SliceMapping.endpoints(slice, "http");

    assertThat(ids(endpoints)).containsExactly("10.0.0.1:8080", "10.0.0.2:8080");
    assertThat(endpoints.get(0).zone()).isEqualTo("eu-1a");
    assertThat(endpoints.get(0).metadata())
        .containsEntry(SliceMapping.POD, "pod-10.0.0.1")
        .containsEntry(SliceMapping.NODE, "node-eu-1a")
        .doesNotContainKey(SliceMapping.FOR_ZONES);
    // No conditions at all: the API says to take an unknown state as ready.
    assertThat(endpoints.get(1).zone()).isEqualTo("eu-1b");
    assertThat(endpoints.get(1).metadata())
        .containsEntry(SliceMapping.FOR_ZONES, "eu-1a,eu-1b")
        .doesNotContainKey(SliceMapping.POD);
  }

  @Test
  void conditions_decideMembership() {
    assertThat(SliceMapping.takesCalls(null)).isTrue();
    assertThat(SliceMapping.takesCalls(conditions(null, null, null))).isTrue();
    assertThat(SliceMapping.takesCalls(conditions(true, true, false))).isTrue();
    assertThat(SliceMapping.takesCalls(conditions(false, true, false))).isFalse();
    assertThat(SliceMapping.takesCalls(conditions(false, false, false))).isFalse();
    // Terminating never takes new calls, even if it says ready.
    assertThat(SliceMapping.takesCalls(conditions(true, true, true))).isFalse();
    assertThat(SliceMapping.takesCalls(conditions(false, true, true))).isFalse();

    assertThat(SliceMapping.draining(conditions(false, true, true))).isTrue();
    assertThat(SliceMapping.draining(conditions(false, null, true))).isTrue();
    assertThat(SliceMapping.draining(conditions(false, false, true))).isFalse();
    assertThat(SliceMapping.draining(conditions(true, true, false))).isFalse();
    assertThat(SliceMapping.draining(null)).isFalse();
  }

  @Test
  void terminatingAndUnreadyEndpoints_areLeftOut() {
    EndpointSlice slice =
        Slices.slice("users-a", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z")
            .terminating("10.0.0.2", "z")
            .notReady("10.0.0.3", "z")
            .build();

    assertThat(ids(SliceMapping.endpoints(slice, "http"))).containsExactly("10.0.0.1:8080");
  }

  @Test
  void everyAddress_takesThePort_ipv6Included() {
    EndpointSlice slice =
        Slices.slice("users-a", "users")
            .ipv6()
            .port("http", 8080)
            .raw(new EndpointBuilder().withAddresses("fd00::1", "fd00::2").build())
            .build();

    List<Endpoint> endpoints = SliceMapping.endpoints(slice, "http");

    assertThat(ids(endpoints)).containsExactly("[fd00::1]:8080", "[fd00::2]:8080");
    assertThat(endpoints.get(0).host()).isEqualTo("fd00::1");
  }

  @Test
  void noPortName_takesTheOnlyPort_andRejectsSeveral() {
    EndpointSlice one = Slices.slice("a", "users").port("", 8080).ready("10.0.0.1", "z").build();
    assertThat(ids(SliceMapping.endpoints(one, null))).containsExactly("10.0.0.1:8080");
    assertThat(ids(SliceMapping.endpoints(one, ""))).containsExactly("10.0.0.1:8080");

    EndpointSlice two =
        Slices.slice("b", "users")
            .port("http", 8080)
            .port("grpc", 9090)
            .ready("10.0.0.1", "z")
            .build();
    assertThat(ids(SliceMapping.endpoints(two, "grpc"))).containsExactly("10.0.0.1:9090");
    assertThatThrownBy(() -> SliceMapping.endpoints(two, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointSlice b has 2 ports [http, grpc]; name the one to use with portName");
  }

  @Test
  void badSlices_areRejected_withMessagesNamingTheSliceAndValue() {
    EndpointSlice noPorts = Slices.slice("a", "users").ready("10.0.0.1", "z").build();
    assertThatThrownBy(() -> SliceMapping.endpoints(noPorts, "http"))
        .hasMessage("EndpointSlice a has no port named 'http' (ports: [])");
    assertThatThrownBy(() -> SliceMapping.endpoints(noPorts, null))
        .hasMessage("EndpointSlice a has 0 ports []; name the one to use with portName");

    EndpointSlice high =
        Slices.slice("b", "users").port("http", 65536).ready("10.0.0.1", "z").build();
    assertThatThrownBy(() -> SliceMapping.endpoints(high, "http"))
        .hasMessage("EndpointSlice b: port 'http' must be in 1..65535 but was 65536");
    EndpointSlice zero = Slices.slice("c", "users").port("http", 0).ready("10.0.0.1", "z").build();
    assertThatThrownBy(() -> SliceMapping.endpoints(zero, "http"))
        .hasMessage("EndpointSlice c: port 'http' must be in 1..65535 but was 0");
    EndpointSlice none =
        Slices.slice("d", "users").port("http", null).ready("10.0.0.1", "z").build();
    assertThatThrownBy(() -> SliceMapping.endpoints(none, "http"))
        .hasMessage("EndpointSlice d: port 'http' must be in 1..65535 but was null");

    EndpointSlice noAddresses =
        Slices.slice("e", "users")
            .port("http", 8080)
            .ready("10.0.0.1", "z")
            .raw(new EndpointBuilder().build())
            .build();
    assertThatThrownBy(() -> SliceMapping.endpoints(noAddresses, "http"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("EndpointSlice e: endpoint 1 has no addresses");

    EndpointSlice badAddress =
        Slices.slice("f", "users").port("http", 8080).ready("10.0.0.1:80", "z").build();
    assertThatThrownBy(() -> SliceMapping.endpoints(badAddress, "http"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("EndpointSlice f: endpoint 0: host must be");
  }

  @Test
  void sliceWithoutEndpoints_isEmpty_evenWithoutPorts() {
    EndpointSlice empty = Slices.slice("a", "users").build();
    assertThat(SliceMapping.endpoints(empty, "http")).isEmpty();
    EndpointSlice nulls = new EndpointSliceBuilder().withNewMetadata().endMetadata().build();
    assertThat(SliceMapping.endpoints(nulls, null)).isEmpty();
    assertThat(SliceMapping.sliceName(nulls)).isEqualTo("(unnamed)");
    assertThat(SliceMapping.sliceName(new EndpointSlice())).isEqualTo("(unnamed)");
  }

  @Test
  void merge_sortsById_andKeepsTheFirstOfADuplicateAddress() {
    Endpoint a1 = Endpoint.builder("10.0.0.1", 8080).zone("first").build();
    Endpoint a1again = Endpoint.builder("10.0.0.1", 8080).zone("second").build();
    Endpoint b = Endpoint.of("10.0.0.0", 8080);

    List<Endpoint> merged = SliceMapping.merge(List.of(List.of(a1), List.of(b, a1again)));

    assertThat(ids(merged)).containsExactly("10.0.0.0:8080", "10.0.0.1:8080");
    assertThat(merged.get(1).zone()).isEqualTo("first");
  }
}
