package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.retry.Backoff;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
 * No non-idempotent request is ever received twice: the faults that made OkHttp re-send a POST
 * underneath the interceptor (a reused keep-alive connection dropped after the server read the
 * whole request, 408, 503 with {@code Retry-After: 0}), on fresh and on reused connections, counted
 * at raw socket servers on 127.0.0.1.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DuplicateSendTest {
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

  enum Connection {
    FRESH,
    REUSED
  }

  enum PostFault {
    DROP(FaultServer.Fault.DROP),
    STATUS_408(FaultServer.Fault.STATUS_408),
    STATUS_503_RETRY_AFTER_0(FaultServer.Fault.STATUS_503_RETRY_AFTER_0);

    final FaultServer.Fault fault;

    PostFault(FaultServer.Fault fault) {
      this.fault = fault;
    }
  }

  private static final RequestBody ORDER =
      RequestBody.create("{\"order\":42}", MediaType.get("application/json"));

  /** Two servers that answer GETs and fault on every POST. */
  private List<FaultServer> servers(FaultServer.Fault postFault) throws IOException {
    List<FaultServer> list = new ArrayList<>();
    for (String name : List.of("a", "b")) {
      FaultServer s =
          FaultServer.start(
              name, (method, path, i) -> method.equals("POST") ? postFault : FaultServer.Fault.OK);
      cleanup.add(s);
      list.add(s);
    }
    return list;
  }

  private OkHttpClient client(Service service) {
    OkHttpClient c = LoadBalancingInterceptor.builder().service(service).build().newClient();
    clients.add(c);
    return c;
  }

  private static Service.Builder service(List<FaultServer> servers) {
    return Service.builder("orders")
        .defaultTarget(
            LoadBalancer.builder()
                .name("orders")
                .strategy(Strategies.roundRobin())
                .outlierDetection(OutlierDetection.disabled())
                .endpoints(servers.stream().map(FaultServer::endpoint).toList())
                .build())
        .backoff(Backoff.none());
  }

  private static void warm(OkHttpClient c, Connection connection) throws IOException {
    // Two GETs, one per server, leave a pooled keep-alive connection to each.
    for (int i = 0; i < 2; i++) {
      try (Response r =
          c.newCall(new Request.Builder().url("http://orders/warm").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    if (connection == Connection.FRESH) {
      c.connectionPool().evictAll();
    }
  }

  private static int posts(List<FaultServer> servers) {
    return servers.stream().mapToInt(s -> s.requests("POST")).sum();
  }

  @ParameterizedTest(name = "{0} on a {1} connection")
  @EnumSource(PostFault.class)
  void post_faultAfterTheServerReadIt_isReceivedOnce_fresh(PostFault fault) throws IOException {
    postIsReceivedOnce(fault, Connection.FRESH);
  }

  @ParameterizedTest(name = "{0} on a reused connection")
  @EnumSource(PostFault.class)
  void post_faultAfterTheServerReadIt_isReceivedOnce_reused(PostFault fault) throws IOException {
    postIsReceivedOnce(fault, Connection.REUSED);
  }

  private void postIsReceivedOnce(PostFault fault, Connection connection) throws IOException {
    List<FaultServer> servers = servers(fault.fault);
    OkHttpClient c = client(service(servers).build());
    warm(c, connection);

    Request post = new Request.Builder().url("http://orders/pay").post(ORDER).build();
    if (fault == PostFault.DROP) {
      assertThatThrownBy(() -> c.newCall(post).execute().close()).isInstanceOf(IOException.class);
    } else {
      try (Response r = c.newCall(post).execute()) {
        assertThat(r.code()).isEqualTo(fault == PostFault.STATUS_408 ? 408 : 503);
        if (fault == PostFault.STATUS_503_RETRY_AFTER_0) {
          assertThat(r.header("Retry-After"))
              .as("the caller sees the server's header")
              .isEqualTo("0");
        }
      }
    }

    assertThat(posts(servers)).as("POSTs received by the servers").isEqualTo(1);
  }

  /** The harness reproduces the bug: plain OkHttp sends the POST twice on the same faults. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(PostFault.class)
  void plainOkHttp_sameFaultOnAReusedConnection_receivesThePostTwice(PostFault fault)
      throws IOException {
    FaultServer server =
        FaultServer.start(
            "plain",
            (method, path, i) -> method.equals("POST") ? fault.fault : FaultServer.Fault.OK);
    cleanup.add(server);
    OkHttpClient plain = new OkHttpClient();
    clients.add(plain);
    String base = "http://127.0.0.1:" + server.port();
    plain.newCall(new Request.Builder().url(base + "/warm").build()).execute().close();

    try {
      plain.newCall(new Request.Builder().url(base + "/pay").post(ORDER).build()).execute().close();
    } catch (IOException expected) {
      // the second send may fail too
    }

    assertThat(server.requests("POST")).isGreaterThan(1);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PostFault.class)
  void post_withIdempotencyKeyOptIn_isRetriedOnTheOtherEndpointWithTheSameKey(PostFault fault)
      throws IOException {
    List<FaultServer> servers = servers(fault.fault);
    servers.get(1).script((m, p, i) -> FaultServer.Fault.OK);
    OkHttpClient c =
        client(
            service(servers)
                .idempotencyKeyHeader("Idempotency-Key")
                .retryStatuses(408, 503)
                .build());
    warm(c, Connection.REUSED);

    for (int i = 0; i < 2; i++) {
      Request post =
          new Request.Builder()
              .url("http://orders/pay")
              .header("Idempotency-Key", "k-" + i)
              .post(ORDER)
              .build();
      try (Response r = c.newCall(post).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("b");
      }
    }

    // Each POST ended on b. On a it was received at most twice: a DROP on a reused connection looks
    // like a stale pooled connection, and a keyed POST may be sent again, so it is retried once on
    // a
    // fresh connection to a before failing over; a POST is never sent to a after b.
    assertThat(servers.get(0).requests("POST")).isBetween(1, 4);
    assertThat(servers.get(0).headers())
        .filteredOn(h -> h.containsKey("idempotency-key"))
        .extracting(h -> h.get("idempotency-key"))
        .allSatisfy(k -> assertThat(k).isIn("k-0", "k-1"))
        .satisfies(
            keys -> {
              assertThat(keys.stream().filter("k-0"::equals).count()).isLessThanOrEqualTo(2);
              assertThat(keys.stream().filter("k-1"::equals).count()).isLessThanOrEqualTo(2);
              if (fault != PostFault.DROP) {
                assertThat(keys).doesNotHaveDuplicates();
              }
            });
    assertThat(servers.get(1).requests("POST")).isEqualTo(2);
    assertThat(servers.get(1).headers())
        .filteredOn(h -> h.containsKey("idempotency-key"))
        .extracting(h -> h.get("idempotency-key"))
        .containsExactly("k-0", "k-1");
  }

  @Test
  void post_withoutTheConfiguredKeyHeader_isNotRetried() throws IOException {
    List<FaultServer> servers = servers(FaultServer.Fault.STATUS_503_RETRY_AFTER_0);
    OkHttpClient c = client(service(servers).idempotencyKeyHeader("Idempotency-Key").build());

    try (Response r =
        c.newCall(new Request.Builder().url("http://orders/pay").post(ORDER).build()).execute()) {
      assertThat(r.code()).isEqualTo(503);
    }

    assertThat(posts(servers)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PostFault.class)
  void get_sameFaults_retriedOnTheOtherEndpointOnly_neverRepeatedByOkHttp(PostFault fault)
      throws IOException {
    FaultServer a = FaultServer.always("a", fault.fault);
    FaultServer b = FaultServer.always("b", FaultServer.Fault.OK);
    cleanup.add(a);
    cleanup.add(b);
    Service service = service(List.of(a, b)).retryStatuses(408, 503).build();
    LoadBalancer lb = service.defaultTarget().arms().get(0).balancer();
    OkHttpClient c = client(service);

    for (int i = 0; i < 4; i++) {
      try (Response r =
          c.newCall(new Request.Builder().url("http://orders/item").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("b");
      }
    }

    long picksOfA =
        lb.stats().endpoints().stream()
            .filter(e -> e.endpoint().id().equals("a"))
            .mapToLong(e -> e.picks())
            .sum();
    assertThat(a.requests("GET"))
        .as("a received exactly the attempts lb sent it: OkHttp repeated none")
        .isEqualTo(picksOfA)
        .isPositive();
    assertThat(b.requests("GET")).isEqualTo(4);
  }
}
