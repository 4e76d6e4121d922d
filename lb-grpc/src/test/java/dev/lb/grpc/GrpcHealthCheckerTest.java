package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gRPC health checker against real servers' {@code HealthStatusManager}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcHealthCheckerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private final List<TestServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(TestServer::close);
  }

  private TestServer server(TestServer s) {
    servers.add(s);
    return s;
  }

  /** One plaintext channel per probed endpoint, closed after the test. */
  private GrpcHealthChecker.Builder checker() {
    return GrpcHealthChecker.builder(
        e -> {
          ManagedChannel c = Channels.builder(e.address()).build();
          channels.add(c);
          return c;
        });
  }

  private static HealthCheckResult check(GrpcHealthChecker checker, TestServer s) throws Exception {
    return checker
        .check(Endpoint.of("127.0.0.1", s.port()), TIMEOUT)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void serving_isHealthy_notServing_isUnhealthy_andBackWhenServingAgain() throws Exception {
    TestServer s = server(TestServer.netty("h"));
    GrpcHealthChecker checker = checker().build();

    assertThat(check(checker, s)).isEqualTo(HealthCheckResult.healthy());

    s.health.setStatus("", ServingStatus.NOT_SERVING);
    assertThat(check(checker, s)).isEqualTo(HealthCheckResult.unhealthy("NOT_SERVING"));

    s.health.setStatus("", ServingStatus.SERVING);
    assertThat(check(checker, s).isHealthy()).isTrue();
  }

  @Test
  void namedService_followsThatServicesStatus() throws Exception {
    TestServer s = server(TestServer.netty("h"));
    s.health.setStatus("users.v1.Users", ServingStatus.SERVING);
    s.health.setStatus("orders.v1.Orders", ServingStatus.NOT_SERVING);

    assertThat(check(checker().service("users.v1.Users").build(), s).isHealthy()).isTrue();
    assertThat(check(checker().service("orders.v1.Orders").build(), s).reason())
        .isEqualTo("NOT_SERVING");
    assertThat(check(checker().service("nope.v1.Nope").build(), s).reason())
        .isEqualTo("service 'nope.v1.Nope' unknown to the server");
  }

  @Test
  void serverWithoutHealthService_isHealthyByDefault_unlessConfiguredOtherwise() throws Exception {
    TestServer s = server(TestServer.nettyWithoutHealth("plain"));

    assertThat(check(checker().build(), s).isHealthy()).isTrue();
    assertThat(check(checker().unimplementedIsHealthy(false).build(), s).reason())
        .startsWith("health check RPC failed: UNIMPLEMENTED");
  }

  @Test
  void stoppedServer_isUnhealthy() throws Exception {
    TestServer s = server(TestServer.netty("h"));
    s.stop();

    HealthCheckResult result = check(checker().build(), s);
    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).startsWith("health check RPC failed: UNAVAILABLE");
  }

  @Test
  void channelFunctionThrowing_isUnhealthy_notAnException() throws Exception {
    GrpcHealthChecker checker =
        GrpcHealthChecker.builder(
                e -> {
                  throw new IllegalStateException("no channel for you");
                })
            .build();

    HealthCheckResult result =
        checker.check(Endpoint.of("127.0.0.1", 1), TIMEOUT).toCompletableFuture().get();
    assertThat(result.reason()).contains("no channel for you");
  }

  @Test
  void builder_rejectsNulls() {
    assertThatThrownBy(() -> GrpcHealthChecker.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("channels must not be null");
    assertThatThrownBy(() -> GrpcHealthChecker.builder(e -> null).service(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("service must not be null");
  }

  @Test
  void requestEncoding_matchesProtobufs_forManyServiceNames() throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      StringBuilder name = new StringBuilder();
      int length = i < 5 ? i : random.nextInt(400);
      for (int j = 0; j < length; j++) {
        name.appendCodePoint(
            random.nextInt(3) == 0 ? 0x4e00 + random.nextInt(100) : 'a' + random.nextInt(26));
      }
      String service = name.toString();
      byte[] ours = GrpcHealthChecker.encodeRequest(service);
      assertThat(ours)
          .as("seed 7, case %d, service '%s'", i, service)
          .isEqualTo(HealthCheckRequest.newBuilder().setService(service).build().toByteArray());
      assertThat(HealthCheckRequest.parseFrom(ours).getService()).isEqualTo(service);
    }
  }

  @Test
  void responseDecoding_readsTheStatus_skippingUnknownFields() throws Exception {
    for (ServingStatus status :
        new ServingStatus[] {
          ServingStatus.UNKNOWN,
          ServingStatus.SERVING,
          ServingStatus.NOT_SERVING,
          ServingStatus.SERVICE_UNKNOWN
        }) {
      byte[] bytes = HealthCheckResponse.newBuilder().setStatus(status).build().toByteArray();
      assertThat(GrpcHealthChecker.decodeServingStatus(bytes)).isEqualTo(status.getNumber());
    }
    // field 2 varint, field 3 fixed64, field 4 length-delimited "ab", field 5 fixed32, then status
    // 1
    byte[] withUnknown = {
      0x10,
      (byte) 0x96,
      0x01,
      0x19,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0x22,
      2,
      'a',
      'b',
      0x2D,
      1,
      2,
      3,
      4,
      0x08,
      0x01
    };
    assertThat(GrpcHealthChecker.decodeServingStatus(withUnknown)).isEqualTo(1);
  }

  @Test
  void responseDecoding_rejectsMalformedBytes() {
    assertThatThrownBy(() -> GrpcHealthChecker.decodeServingStatus(new byte[] {0x08}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("truncated varint");
    assertThatThrownBy(() -> GrpcHealthChecker.decodeServingStatus(new byte[] {0x22, 5, 'a'}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("truncated field");
    assertThatThrownBy(() -> GrpcHealthChecker.decodeServingStatus(new byte[] {0x0B}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unsupported wire type 3");
  }

  @Test
  void statusMapping_coversEveryServingStatus() {
    GrpcHealthChecker checker = checker().build();
    assertThat(checker.toResult(io.grpc.Status.OK, 0).reason()).isEqualTo("UNKNOWN");
    assertThat(checker.toResult(io.grpc.Status.OK, 3).reason()).isEqualTo("SERVICE_UNKNOWN");
    assertThat(checker.toResult(io.grpc.Status.OK, -1).reason()).isEqualTo("no health response");
    assertThat(checker.toResult(io.grpc.Status.OK, 9).reason()).isEqualTo("serving status 9");
    assertThat(checker.toResult(io.grpc.Status.DEADLINE_EXCEEDED, -1).reason())
        .isEqualTo("health check RPC failed: DEADLINE_EXCEEDED");
  }
}
