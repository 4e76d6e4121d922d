package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of {@link HashStrategies}, {@link StickTable} and {@link
 * XxHash64} that takes a required reference: a null throws {@link NullPointerException} whose
 * message names the parameter. ({@code newPicker}'s are in {@link HashStrategyArgumentsTest}.)
 */
class HashNullArgumentsTest {
  static Stream<Arguments> nullArguments() {
    FakeTicker ticker = new FakeTicker();
    StickTable table = StickTable.bounded(10, Duration.ofMinutes(1), ticker);
    return Stream.of(
        call("HashStrategies.sticky(table)", "table", () -> HashStrategies.sticky(null)),
        call(
            "HashStrategies.sticky(placement, table): placement",
            "placement",
            () -> HashStrategies.sticky(null, table)),
        call(
            "HashStrategies.sticky(placement, table): table",
            "table",
            () -> HashStrategies.sticky(Strategies.random(), null)),
        call(
            "HashStrategies.Builder.fallback",
            "fallback",
            () -> HashStrategies.builder().fallback(null)),
        call(
            "StickTable.bounded: idleTimeout",
            "idleTimeout",
            () -> StickTable.bounded(10, null, ticker)),
        call(
            "StickTable.bounded: ticker",
            "ticker",
            () -> StickTable.bounded(10, Duration.ofMinutes(1), null)),
        call("XxHash64.hash(byte[])", "data", () -> XxHash64.hash((byte[]) null)),
        call("XxHash64.hash(byte[], seed)", "data", () -> XxHash64.hash((byte[]) null, 1L)),
        call(
            "XxHash64.hash(byte[], offset, length, seed)",
            "data",
            () -> XxHash64.hash(null, 0, 0, 1L)),
        call(
            "XxHash64.hash(CharSequence, seed)",
            "chars",
            () -> XxHash64.hash((CharSequence) null, 1L)));
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
