package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EndpointRegistryTest {
  private final EndpointRegistry registry = new EndpointRegistry();
  private final Endpoint a = Endpoint.of("10.0.0.1", 80);
  private final Endpoint b = Endpoint.builder("10.0.0.2", 80).weight(2).build();

  @Test
  void set_createsAndReplacesTheGroup_skippingNoOps() {
    AtomicInteger changes = new AtomicInteger();
    registry.subscribe("users", changes::incrementAndGet);

    assertThat(registry.set("users", List.of(a))).isTrue();
    assertThat(registry.set("users", List.of(a))).isFalse();
    assertThat(registry.set("users", List.of(a, b))).isTrue();

    assertThat(registry.endpoints("users")).containsExactly(a, b);
    assertThat(changes.get()).isEqualTo(2);
    assertThat(registry.groups()).containsExactly("users");
  }

  @Test
  void updater_pushesEachListIntoTheGroup() {
    registry.updater("orders").accept(List.of(b));

    assertThat(registry.endpoints("orders")).containsExactly(b);
  }

  @Test
  void serviceConfig_isKeptWithTheEndpoints_andMayHoldJsonNulls() {
    Map<String, Object> config = new HashMap<>();
    config.put("loadBalancingConfig", List.of(Map.of("lb_p2c", Map.of())));
    config.put("comment", null);
    AtomicInteger changes = new AtomicInteger();
    registry.subscribe("g", changes::incrementAndGet);

    assertThat(registry.serviceConfig("g", config)).isTrue();
    assertThat(registry.serviceConfig("g", new HashMap<>(config))).isFalse();
    registry.set("g", List.of(a));

    assertThat(registry.current("g").serviceConfig).isEqualTo(config);
    assertThat(registry.current("g").endpoints).containsExactly(a);
    assertThat(registry.serviceConfig("g", null)).isTrue();
    assertThat(registry.current("g").serviceConfig).isNull();
    assertThat(changes.get()).isEqualTo(3);
  }

  @Test
  void remove_dropsTheGroup_andTellsSubscribers() {
    registry.set("g", List.of(a));
    List<String> seen = new ArrayList<>();
    Runnable unsubscribe = registry.subscribe("g", () -> seen.add("changed"));

    assertThat(registry.remove("g")).isTrue();
    assertThat(registry.remove("g")).isFalse();
    assertThat(registry.endpoints("g")).isEmpty();
    assertThat(registry.current("g")).isNull();
    assertThat(seen).hasSize(1);

    unsubscribe.run();
    registry.set("g", List.of(a));
    assertThat(seen).hasSize(1);
  }

  @Test
  void badArguments_areRejected_withTheValue() {
    assertThatThrownBy(() -> registry.set(" ", List.of(a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("group must not be blank but was ' '");
    assertThatThrownBy(() -> registry.updater(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("group must not be null");
    assertThatThrownBy(() -> registry.set("g", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("endpoints must not be null");
    assertThatThrownBy(() -> registry.bind("g", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("source must not be null");
    assertThatThrownBy(() -> registry.set("g", Arrays.asList(a, null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("endpoints must not contain null");
    assertThatThrownBy(() -> registry.set("g", List.of(a, Endpoint.of("10.0.0.1", 80))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endpoints must have distinct ids but '10.0.0.1:80' repeats");
    assertThat(registry.groups()).isEmpty();
  }

  @Test
  void global_isOneRegistry() {
    assertThat(EndpointRegistry.global()).isSameAs(EndpointRegistry.global());
  }
}
