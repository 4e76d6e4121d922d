package dev.lb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of {@link PickContext}, {@link Endpoint}, {@link
 * Scheduler} and {@link StrategyRegistry} that takes a required reference: a null throws {@link
 * NullPointerException} whose message names the parameter. ({@link LoadBalancer}'s own are tested
 * with it.)
 */
class NullArgumentsTest {
  static Stream<Arguments> nullArguments() {
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    return Stream.of(
        call(
            "PickContext.ofKey(CharSequence)", "key", () -> PickContext.ofKey((CharSequence) null)),
        call("PickContext.ofKey(byte[])", "key", () -> PickContext.ofKey((byte[]) null)),
        call("PickContext.attribute(name)", "name", () -> PickContext.none().attribute(null)),
        call(
            "PickContext.isExcluded(endpointId)",
            "endpointId",
            () -> PickContext.none().isExcluded(null)),
        call(
            "PickContext.Builder.key(CharSequence)",
            "key",
            () -> PickContext.builder().key((CharSequence) null)),
        call(
            "PickContext.Builder.key(byte[])",
            "key",
            () -> PickContext.builder().key((byte[]) null)),
        call(
            "PickContext.Builder.attribute(name, value): name",
            "attribute name",
            () -> PickContext.builder().attribute(null, 1)),
        call(
            "PickContext.Builder.attribute(name, value): value",
            "attribute value for 'tenant'",
            () -> PickContext.builder().attribute("tenant", null)),
        call(
            "PickContext.Builder.exclude(String)",
            "excluded endpoint id",
            () -> PickContext.builder().exclude((String) null)),
        call(
            "PickContext.Builder.exclude(Endpoint)",
            "excluded endpoint",
            () -> PickContext.builder().exclude((Endpoint) null)),
        call("Endpoint.of(host, port)", "host", () -> Endpoint.of(null, 80)),
        call("Endpoint.builder(host, port)", "host", () -> Endpoint.builder(null, 80)),
        call("Endpoint.Builder.id", "id", () -> Endpoint.builder("h", 1).id(null)),
        call("Endpoint.Builder.zone", "zone", () -> Endpoint.builder("h", 1).zone(null)),
        call(
            "Endpoint.Builder.metadata(key, value): key",
            "metadata key",
            () -> Endpoint.builder("h", 1).metadata(null, "v")),
        call(
            "Endpoint.Builder.metadata(key, value): value",
            "metadata value for 'k'",
            () -> Endpoint.builder("h", 1).metadata("k", null)),
        call(
            "Endpoint.Builder.metadata(Map)",
            "entries",
            () -> Endpoint.builder("h", 1).metadata((Map<String, String>) null)),
        call(
            "Endpoint.Builder.metadata(Map): a null value",
            "metadata value for 'k'",
            () -> Endpoint.builder("h", 1).metadata(nullValue)),
        call("Scheduler.of(executor)", "executor", () -> Scheduler.of(null)),
        call(
            "Scheduler.systemScheduler().schedule(task, delay)",
            "task",
            () -> Scheduler.systemScheduler().schedule(null, 0)),
        call("StrategyRegistry.byName(name)", "strategy", () -> StrategyRegistry.byName(null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void nullArguments(ThrowingCallable call, String parameter) {
    assertThatThrownBy(call)
        .isInstanceOf(NullPointerException.class)
        .hasMessage(parameter + " must not be null");
  }

  private static Arguments call(String method, String parameter, ThrowingCallable call) {
    return Arguments.of(Named.of(method, call), parameter);
  }
}
