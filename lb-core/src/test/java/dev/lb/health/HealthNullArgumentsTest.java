package dev.lb.health;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method and builder option of the health package that takes a required reference: a
 * null throws {@link NullPointerException} whose message names the parameter.
 */
class HealthNullArgumentsTest {
  static Stream<Arguments> nullArguments() {
    TcpHealthChecker tcp = TcpHealthChecker.create();
    HealthCheckConfig.Builder config = HealthCheckConfig.builder(tcp);
    OutlierDetection.Builder outliers = OutlierDetection.builder();
    return Stream.of(
        call(
            "HealthCheckConfig.builder(checker)", "checker", () -> HealthCheckConfig.builder(null)),
        call("HealthCheckConfig.Builder.interval", "interval", () -> config.interval(null)),
        call(
            "HealthCheckConfig.Builder.unhealthyInterval",
            "unhealthyInterval",
            () -> config.unhealthyInterval(null)),
        call("HealthCheckConfig.Builder.timeout", "timeout", () -> config.timeout(null)),
        call(
            "HealthCheckResult.unhealthy(reason)",
            "reason",
            () -> HealthCheckResult.unhealthy(null)),
        call("OutlierDetection.Builder.interval", "interval", () -> outliers.interval(null)),
        call(
            "OutlierDetection.Builder.baseEjectionTime",
            "baseEjectionTime",
            () -> outliers.baseEjectionTime(null)),
        call(
            "OutlierDetection.Builder.maxEjectionTime",
            "maxEjectionTime",
            () -> outliers.maxEjectionTime(null)),
        call("SlowStart.of(window)", "slowStart window", () -> SlowStart.of(null)),
        call(
            "TcpHealthChecker.check(endpoint, timeout): endpoint",
            "endpoint",
            () -> tcp.check(null, Duration.ofSeconds(1))),
        call(
            "TcpHealthChecker.check(endpoint, timeout): timeout",
            "timeout",
            () -> tcp.check(Endpoint.of("127.0.0.1", 1), null)));
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
