package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.retry.Backoff;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults inside an attempt, against raw socket servers on 127.0.0.1: servers that trickle their
 * answer (per-attempt deadline), bodies that fail after the headers (buffering), and what the
 * caller learns when every attempt failed. No assertion reads a clock: a trickling server that was
 * not abandoned would finish its answer, and the test would see it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AttemptFaultsTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<OkHttpClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private FaultServer server(String name, FaultServer.Fault fault) throws IOException {
    FaultServer s = FaultServer.always(name, fault);
    cleanup.add(s);
    return s;
  }

  private static LoadBalancer balancer(FaultServer... servers) {
    return LoadBalancer.builder()
        .name("users")
        .strategy(Strategies.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(List.of(servers).stream().map(FaultServer::endpoint).toList())
        .build();
  }

  private OkHttpClient client(Service service) {
    return client(service, new OkHttpClient());
  }

  private OkHttpClient client(Service service, OkHttpClient base) {
    OkHttpClient c = LoadBalancingInterceptor.builder().service(service).build().newClient(base);
    clients.add(c);
    return c;
  }

  private static String get(OkHttpClient c) throws IOException {
    try (Response r = c.newCall(new Request.Builder().url("http://users/item").build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private static EndpointStats stats(LoadBalancer lb, String id) {
    return lb.stats().endpoints().stream()
        .filter(e -> e.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void get_onAPooledConnectionTheServerClosedWhileIdle_isRetriedOnceOnTheSameEndpoint_noFailure()
      throws IOException {
    // One endpoint: before, the GET failed to the caller (OkHttp's own retry is off for balanced
    // calls, and there was no other endpoint to fail over to).
    FaultServer only = server("only", FaultServer.Fault.OK_THEN_CLOSE);
    LoadBalancer lb = balancer(only);
    OkHttpClient c = client(Service.builder("users").defaultTarget(lb).build());

    for (int i = 0; i < 5; i++) {
      assertThat(get(c)).isEqualTo("200 only");
    }

    assertThat(stats(lb, "only").failures()).isZero();
    assertThat(lb.stats().inFlight()).isZero();
    assertThat(only.requests("GET")).as("each stale send reached no server").isEqualTo(5);
    assertThat(only.connections()).isEqualTo(5);
  }

  @Test
  void post_onAPooledConnectionTheServerClosedWhileIdle_isNeverSentAgain() throws IOException {
    FaultServer only = server("only", FaultServer.Fault.OK_THEN_CLOSE);
    LoadBalancer lb = balancer(only);
    OkHttpClient c = client(Service.builder("users").defaultTarget(lb).build());
    Request post =
        new Request.Builder()
            .url("http://users/orders")
            .post(okhttp3.RequestBody.create("{}", okhttp3.MediaType.get("application/json")))
            .build();
    try (Response r = c.newCall(post).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThatThrownBy(() -> c.newCall(post).execute().close()).isInstanceOf(IOException.class);
    assertThat(only.requests("POST")).isEqualTo(1);
    assertThat(lb.stats().inFlight()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = FaultServer.Fault.class,
      names = {"DRIP", "DRIP_HEADERS", "STALL"})
  void get_serverTricklesItsAnswer_abandonedAtTheAttemptDeadlineAndFailsOver(
      FaultServer.Fault fault) throws IOException {
    FaultServer slow = server("slow", fault);
    FaultServer ok = server("ok", FaultServer.Fault.OK);
    LoadBalancer lb = balancer(slow, ok);
    // Idle timeouts far longer than the deadline: only the deadline can end a trickle.
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .attemptTimeout(Duration.ofMillis(600))
                .readTimeout(Duration.ofSeconds(20))
                .backoff(Backoff.none())
                .build());

    // A first call loads classes; it must not be what the deadline measures.
    new OkHttpClient()
        .newCall(new Request.Builder().url("http://127.0.0.1:" + ok.port()).build())
        .execute()
        .close();

    for (int i = 0; i < 2; i++) {
      assertThat(get(c)).isEqualTo("200 ok");
    }

    EndpointStats s = stats(lb, "slow");
    assertThat(s.failures()).isPositive().isEqualTo(slow.requests());
    assertThat(s.inFlight()).isZero();
    assertThat(s.lastFailure())
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("attempt timeout of 600 ms");
    assertThat(ok.requests()).isEqualTo(3);
  }

  @Test
  void get_serverStalls_readIdleTimeoutAlone_abandonsTheAttemptAndFailsOver() throws IOException {
    FaultServer slow = server("slow", FaultServer.Fault.STALL);
    FaultServer ok = server("ok", FaultServer.Fault.OK);
    LoadBalancer lb = balancer(slow, ok);
    // No attempt deadline: the service's read idle timeout (proxy_read_timeout) alone ends it.
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .readTimeout(Duration.ofMillis(300))
                .backoff(Backoff.none())
                .build());

    for (int i = 0; i < 2; i++) {
      assertThat(get(c)).isEqualTo("200 ok");
    }

    EndpointStats s = stats(lb, "slow");
    // Round robin from a random start sends one or both calls to the stalling server first.
    assertThat(s.failures()).isBetween(1L, 2L).isEqualTo(slow.requests());
    assertThat(s.inFlight()).isZero();
    assertThat(s.lastFailure())
        .isInstanceOf(SocketTimeoutException.class)
        .message()
        .doesNotContain("attempt timeout");
    assertThat(ok.requests()).isEqualTo(2);
  }

  @Test
  void get_streamedBodyTrickles_theCallersReadEndsAtTheDeadline() throws IOException {
    FaultServer slow = server("slow", FaultServer.Fault.DRIP);
    LoadBalancer lb = balancer(slow);
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .attemptTimeout(Duration.ofMillis(300))
                .responseBufferLimit(0)
                .build());

    try (Response r = c.newCall(new Request.Builder().url("http://users/item").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThatThrownBy(() -> r.body().string()).isInstanceOf(InterruptedIOException.class);
    }

    assertThat(stats(lb, "slow").failures()).isEqualTo(1);
    assertThat(stats(lb, "slow").inFlight()).isZero();
  }

  @Test
  void get_everyServerStalls_theCallTimeoutBoundsTheWholeCallRetriesIncluded() {
    FaultServer[] stalls = new FaultServer[3];
    try {
      for (int i = 0; i < 3; i++) {
        stalls[i] = server("stall-" + i, FaultServer.Fault.STALL);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    LoadBalancer lb = balancer(stalls);
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .attemptTimeout(Duration.ofSeconds(20))
                .build(),
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(300)).build());

    assertThatThrownBy(() -> get(c)).isInstanceOf(InterruptedIOException.class);

    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isZero());
    assertThat(lb.stats().endpoints().stream().mapToLong(EndpointStats::picks).sum())
        .as("the call timeout ended the first attempt; no retry followed")
        .isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = FaultServer.Fault.class,
      names = {"RESET_AFTER_HEADERS", "TRUNCATE_BODY"})
  void get_bodyFailsAfterTheHeaders_smallBodyIsBufferedAndFailsOver(FaultServer.Fault fault)
      throws IOException {
    FaultServer broken = server("broken", fault);
    FaultServer ok = server("ok", FaultServer.Fault.OK);
    LoadBalancer lb = balancer(broken, ok);
    OkHttpClient c =
        client(Service.builder("users").defaultTarget(lb).backoff(Backoff.none()).build());

    for (int i = 0; i < 6; i++) {
      assertThat(get(c)).isEqualTo("200 ok");
    }

    assertThat(stats(lb, "broken").failures()).isPositive().isEqualTo(broken.requests());
    assertThat(ok.requests()).isEqualTo(6);
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = FaultServer.Fault.class,
      names = {"RESET_AFTER_HEADERS", "TRUNCATE_BODY"})
  void bodyFailsAfterTheHeaders_streamedOrNotResendable_reachesTheCallerAndIsNotRetried(
      FaultServer.Fault fault) throws IOException {
    FaultServer broken = server("broken", fault);
    FaultServer ok = server("ok", FaultServer.Fault.OK);
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(List.of(broken.endpoint()))
            .build();
    OkHttpClient streamed =
        client(Service.builder("users").defaultTarget(lb).responseBufferLimit(0).build());
    Request get = new Request.Builder().url("http://users/item").build();
    Request post =
        new Request.Builder()
            .url("http://users/item")
            .post(RequestBody.create("x", MediaType.get("text/plain")))
            .build();
    OkHttpClient buffered = client(Service.builder("users").defaultTarget(lb).build());

    for (var call : List.of(streamed.newCall(get), buffered.newCall(post))) {
      try (Response r = call.execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThatThrownBy(() -> r.body().string()).isInstanceOf(IOException.class);
      }
    }

    assertThat(broken.requests()).isEqualTo(2);
    assertThat(ok.requests()).isZero();
    assertThat(stats(lb, "broken").failures()).isEqualTo(2);
    assertThat(stats(lb, "broken").inFlight()).isZero();
  }

  @Test
  void get_everyAttemptFails_theExceptionCarriesEveryEarlierAttemptsCauseSuppressed()
      throws IOException {
    LoadBalancer lb =
        balancer(
            server("a", FaultServer.Fault.DROP),
            server("b", FaultServer.Fault.DROP),
            server("c", FaultServer.Fault.DROP));
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .maxAttempts(3)
                .backoff(Backoff.none())
                .build());

    assertThatThrownBy(() -> get(c))
        .isInstanceOf(IOException.class)
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .as("the two earlier attempts' failures")
                    .hasSize(2)
                    .allSatisfy(s -> assertThat(s).isInstanceOf(IOException.class)));
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.failures()).isEqualTo(1));
  }

  @Test
  void everyAttemptsRequest_isTaggedWithItsEndpoint_forNetworkInterceptorsAndListeners()
      throws IOException {
    FaultServer a = server("a", FaultServer.Fault.DROP);
    FaultServer b = server("b", FaultServer.Fault.OK);
    LoadBalancer lb = balancer(a, b);
    List<String> seen = new CopyOnWriteArrayList<>();
    OkHttpClient base =
        new OkHttpClient.Builder()
            .addNetworkInterceptor(
                chain -> {
                  Endpoint e = chain.request().tag(Endpoint.class);
                  seen.add(e == null ? "none" : e.id());
                  return chain.proceed(chain.request());
                })
            .build();
    OkHttpClient c =
        client(Service.builder("users").defaultTarget(lb).backoff(Backoff.none()).build(), base);

    for (int i = 0; i < 2; i++) {
      assertThat(get(c)).isEqualTo("200 b");
    }

    assertThat(seen).contains("a", "b").doesNotContain("none");
    assertThat(seen).hasSize(a.requests() + b.requests());
  }
}
