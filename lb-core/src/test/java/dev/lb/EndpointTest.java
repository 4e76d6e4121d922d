package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointTest {
  @Test
  void of_defaultsIdToHostPortAndWeightToOne() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);
    assertThat(e.id()).isEqualTo("10.0.0.1:8080");
    assertThat(e.weight()).isEqualTo(1);
    assertThat(e.zone()).isNull();
    assertThat(e.metadata()).isEmpty();
  }

  @Test
  void id_ipv6LiteralIsBracketed() {
    assertThat(Endpoint.of("::1", 443).id()).isEqualTo("[::1]:443");
  }

  @Test
  void toBuilder_roundTripsEveryField() {
    Endpoint e =
        Endpoint.builder("h", 1).id("a").weight(3).zone("z1").metadata("version", "2").build();
    assertThat(e.toBuilder().build()).isEqualTo(e).hasSameHashCodeAs(e);
    assertThat(e.toBuilder().weight(4).build()).isNotEqualTo(e);
    assertThat(e.toString()).contains("a", "weight=3", "zone=z1", "version=2");
  }

  @Test
  void metadata_isImmutableCopy() {
    Map<String, String> input = new java.util.HashMap<>(Map.of("k", "v"));
    Endpoint e = Endpoint.builder("h", 1).metadata(input).build();
    input.put("k2", "v2");
    assertThat(e.metadata()).containsExactly(Map.entry("k", "v"));
    assertThatThrownBy(() -> e.metadata().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void weight_notPositive_rejectedNamingOptionAndValue() {
    assertThatThrownBy(() -> Endpoint.builder("h", 1).weight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weight must be positive but was 0");
    assertThatThrownBy(() -> Endpoint.builder("h", 1).weight(-5))
        .hasMessage("weight must be positive but was -5");
  }

  @Test
  void id_nullOrBlank_rejected() {
    assertThatThrownBy(() -> Endpoint.builder("h", 1).id(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id must not be null");
    assertThatThrownBy(() -> Endpoint.builder("h", 1).id("  "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("id must not be blank but was '  '");
  }

  @Test
  void hostAndPort_invalid_rejected() {
    assertThatThrownBy(() -> Endpoint.of("", 80)).hasMessage("host must not be blank but was ''");
    assertThatThrownBy(() -> Endpoint.of("h", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be in 1..65535 but was 0");
    assertThatThrownBy(() -> Endpoint.of("h", 70000))
        .hasMessage("port must be in 1..65535 but was 70000");
  }

  @Test
  void zoneAndMetadata_blankOrNull_rejected() {
    assertThatThrownBy(() -> Endpoint.builder("h", 1).zone(""))
        .hasMessage("zone must not be blank but was ''");
    assertThatThrownBy(() -> Endpoint.builder("h", 1).metadata("k", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("metadata value for 'k' must not be null");
  }
}
