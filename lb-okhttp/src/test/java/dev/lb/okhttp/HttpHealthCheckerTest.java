package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTTP health checker against real servers on 127.0.0.1. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpHealthCheckerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private final OkHttpClient client = new OkHttpClient();
  private Backend server;
  private Backend other;

  @AfterEach
  void tearDown() {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
    if (server != null) {
      server.close();
    }
    if (other != null) {
      other.close();
    }
  }

  private static HealthCheckResult await(HttpHealthChecker checker, Endpoint e) throws Exception {
    return checker.check(e, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void check_healthPathAnswers200_thenHealthyThen503_thenUnhealthyThenUpAgain() throws Exception {
    server = Backend.start("s");
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    assertThat(await(checker, server.endpoint())).isEqualTo(HealthCheckResult.healthy());
    server.answer(r -> Backend.status(503));
    HealthCheckResult down = await(checker, server.endpoint());
    server.answer(r -> Backend.ok("up"));

    assertThat(down.isHealthy()).isFalse();
    assertThat(down.reason()).isEqualTo("HTTP 503");
    assertThat(await(checker, server.endpoint()).isHealthy()).isTrue();
    assertThat(server.requestsTo("/health")).isEqualTo(3);
  }

  @Test
  void check_customPathAndExpectedStatuses() throws Exception {
    server = Backend.start("s");
    server.answer(
        r ->
            r.getUrl().encodedPath().equals("/ready")
                ? new MockResponse.Builder().code(204).build()
                : Backend.status(404));
    HttpHealthChecker ready =
        HttpHealthChecker.builder().client(client).path("/ready").expectedStatuses(204).build();
    HttpHealthChecker only200 =
        HttpHealthChecker.builder().client(client).path("/ready").expectedStatuses(200).build();

    assertThat(await(ready, server.endpoint()).isHealthy()).isTrue();
    assertThat(await(only200, server.endpoint()).reason()).isEqualTo("HTTP 204");
  }

  @Test
  void check_redirectToAnotherHost_isNotFollowedAndFails() throws Exception {
    server = Backend.start("s");
    other = Backend.start("other");
    server.answer(
        r ->
            new MockResponse.Builder()
                .code(302)
                .setHeader("Location", "http://127.0.0.1:" + other.port() + "/health")
                .build());
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    HealthCheckResult result = await(checker, server.endpoint());

    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).contains("redirects to another host").contains("not followed");
    assertThat(other.requests()).isZero();
  }

  @Test
  void check_redirectOnTheSameEndpoint_isFollowed() throws Exception {
    server = Backend.start("s");
    server.answer(
        r ->
            r.getUrl().encodedPath().equals("/health")
                ? new MockResponse.Builder().code(301).setHeader("Location", "/healthz").build()
                : Backend.ok("ok"));
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    assertThat(await(checker, server.endpoint()).isHealthy()).isTrue();
    assertThat(server.requestsTo("/healthz")).isEqualTo(1);
  }

  @Test
  void check_serverStalls_unhealthyWhenTheTimeoutExpires() throws Exception {
    server = Backend.start("s");
    server.answer(
        r -> new MockResponse.Builder().headersDelay(20, TimeUnit.SECONDS).body("late").build());
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    HealthCheckResult result =
        checker
            .check(server.endpoint(), Duration.ofMillis(200))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);

    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).containsIgnoringCase("timeout");
  }

  @Test
  void check_connectionRefused_unhealthyNamingTheError() throws Exception {
    server = Backend.start("s");
    Endpoint gone = server.endpoint();
    server.kill();
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    HealthCheckResult result = await(checker, gone);

    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).startsWith("ConnectException");
  }

  @Test
  void check_cancelledStage_cancelsTheProbe() throws Exception {
    server = Backend.start("s");
    server.answer(
        r -> new MockResponse.Builder().headersDelay(20, TimeUnit.SECONDS).body("late").build());
    HttpHealthChecker checker = HttpHealthChecker.builder().client(client).build();

    CompletableFuture<HealthCheckResult> probe =
        checker.check(server.endpoint(), Duration.ofSeconds(20)).toCompletableFuture();
    while (server.requests() == 0) {
      Thread.onSpinWait();
    }
    probe.cancel(true);

    assertThat(probe).isCancelled();
    client.dispatcher().executorService().shutdown();
    assertThat(client.dispatcher().executorService().awaitTermination(10, TimeUnit.SECONDS))
        .as("the probe's call ended once cancelled")
        .isTrue();
  }

  @Test
  void check_https_verifiesTheEndpointsCertificate() throws Exception {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();
    server = Backend.start("s");
    server.useHttps(
        new HandshakeCertificates.Builder().heldCertificate(cert).build().sslSocketFactory());
    HandshakeCertificates trust =
        new HandshakeCertificates.Builder().addTrustedCertificate(cert.certificate()).build();
    OkHttpClient trusting =
        client
            .newBuilder()
            .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager())
            .build();

    assertThat(
            await(
                    HttpHealthChecker.builder().client(trusting).scheme("https").build(),
                    server.endpoint())
                .isHealthy())
        .isTrue();
    assertThat(
            await(
                    HttpHealthChecker.builder().client(client).scheme("https").build(),
                    server.endpoint())
                .reason())
        .startsWith("SSLHandshakeException");
  }

  @Test
  void build_badOptions_areRejected() throws IOException {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HttpHealthChecker.builder().path("health"))
        .hasMessage("health check path must start with '/' but was 'health'");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HttpHealthChecker.builder().expectedStatuses())
        .hasMessage("expected statuses must not be empty");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HttpHealthChecker.builder().scheme("gopher"))
        .hasMessage("health check scheme must be 'http' or 'https' but was 'gopher'");
  }
}
