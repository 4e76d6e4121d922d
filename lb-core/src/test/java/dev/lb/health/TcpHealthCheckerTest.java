package dev.lb.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class TcpHealthCheckerTest {
  private static HealthCheckResult check(int port) throws Exception {
    return TcpHealthChecker.create()
        .check(Endpoint.of("127.0.0.1", port), Duration.ofSeconds(2))
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(10)
  void listeningPort_isHealthy() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(check(server.getLocalPort()).isHealthy()).isTrue();
    }
  }

  @Test
  @Timeout(10)
  void closedPort_isUnhealthy_withTheConnectError() throws Exception {
    int port;
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = server.getLocalPort();
    }
    HealthCheckResult result = check(port);
    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).startsWith("connect failed: ");
  }

  @Test
  void result_rejectsBlankReasons() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HealthCheckResult.unhealthy(" "))
        .hasMessage("reason must not be blank but was ' '");
    assertThat(HealthCheckResult.healthy()).hasToString("healthy");
    assertThat(HealthCheckResult.unhealthy("x")).hasToString("unhealthy(x)");
  }

  @Test
  void config_rejectsBadValuesNamingTheOption() {
    HealthCheckConfig.Builder b = HealthCheckConfig.builder(TcpHealthChecker.create());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.jitter(1))
        .hasMessage("jitter must be in [0, 1) but was 1.0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.healthyThreshold(0))
        .hasMessage("healthyThreshold must be 1 or more but was 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.interval(Duration.ofSeconds(-1)))
        .hasMessage("interval must be positive but was PT-1S");
    HealthCheckConfig c = b.interval(Duration.ofSeconds(2)).build();
    assertThat(c.unhealthyIntervalNanos()).isEqualTo(2_000_000_000L);
  }
}
