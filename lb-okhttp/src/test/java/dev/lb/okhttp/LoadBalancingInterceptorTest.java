package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.health.OutlierDetection;
import dev.lb.retry.Backoff;
import dev.lb.retry.RetryBudget;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The interceptor against real HTTP servers on 127.0.0.1: distribution, failover, retry rules. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadBalancingInterceptorTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private OkHttpClient client = new OkHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private List<Backend> backends(String... names) throws IOException {
    List<Backend> list = new ArrayList<>();
    for (String n : names) {
      Backend b = Backend.start(n);
      cleanup.add(b);
      list.add(b);
    }
    return list;
  }

  /**
   * A balancer without outlier detection: these tests isolate the interceptor's own rules (retry,
   * failover, budget); ejection driven by its reports is {@link HealthIntegrationTest}'s subject.
   */
  private static LoadBalancer balancer(String name, Strategy strategy, List<Backend> backends) {
    return LoadBalancer.builder()
        .name(name)
        .strategy(strategy)
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(backends.stream().map(Backend::endpoint).toList())
        .build();
  }

  private OkHttpClient client(Service... services) {
    LoadBalancingInterceptor.Builder b = LoadBalancingInterceptor.builder();
    for (Service s : services) {
      b.service(s);
    }
    client = b.build().newClient();
    return client;
  }

  private static String get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private static EndpointStats stats(LoadBalancer balancer, String id) {
    return balancer.stats().endpoints().stream()
        .filter(e -> e.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void strictMode_mistypedLogicalHost_failsNamingTheNearestService_andNeverReachesDns()
      throws IOException {
    List<Backend> servers = backends("a");
    Backend direct = backends("direct").get(0);
    List<String> lookups = new java.util.concurrent.CopyOnWriteArrayList<>();
    OkHttpClient base =
        new OkHttpClient.Builder()
            .dns(
                hostname -> {
                  lookups.add(hostname);
                  return okhttp3.Dns.SYSTEM.lookup(hostname);
                })
            .build();
    LoadBalancingInterceptor strict =
        LoadBalancingInterceptor.builder()
            .service(Service.of("shop", balancer("shop", Strategies.roundRobin(), servers)))
            .passThroughUnknownHosts(false)
            .passThroughHost(direct.endpoint().host())
            .build();
    client = strict.newClient(base);

    assertThatThrownBy(() -> get(client, "http://shopp/cart"))
        .isInstanceOf(java.net.UnknownServiceException.class)
        .hasMessageContaining("'shopp' (did you mean 'shop'?)")
        .hasMessageContaining("passThroughHost(\"shopp\")");
    assertThatThrownBy(() -> get(client, "http://payments.example/"))
        .isInstanceOf(java.net.UnknownServiceException.class)
        .hasMessageNotContaining("did you mean");
    assertThat(lookups).isEmpty();

    assertThat(get(client, "http://shop/cart")).startsWith("200 ");
    assertThat(get(client, "http://" + direct.endpoint().address() + "/")).startsWith("200 ");
    assertThat(servers.get(0).requests()).isEqualTo(1);
    assertThat(direct.requests()).isEqualTo(1);
    base.dispatcher().executorService().shutdownNow();
  }

  @Test
  void strictMode_passThroughHostThatIsAService_isRejectedAtBuild() {
    LoadBalancer lb =
        LoadBalancer.builder().endpoints(List.of(dev.lb.Endpoint.of("10.0.0.1", 80))).build();
    assertThatThrownBy(
            () ->
                LoadBalancingInterceptor.builder()
                    .service(Service.of("shop", lb))
                    .passThroughHost("SHOP")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'shop' is also a service's host");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().passThroughHost(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> LoadBalancingInterceptor.builder().passThroughHost(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("host");
    lb.close();
  }

  @Test
  void get_roundRobinOverThreeServers_eachServesAThird() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    OkHttpClient c =
        client(Service.of("users", balancer("users", Strategies.roundRobin(), servers)));

    for (int i = 0; i < 300; i++) {
      assertThat(get(c, "http://users/profile")).startsWith("200 ");
    }

    assertThat(servers).extracting(Backend::requests).containsExactly(100, 100, 100);
  }

  @Test
  void get_weightedRoundRobin_serversGetTheirWeightsShare() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.weightedRoundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(
                List.of(
                    servers.get(0).endpoint().toBuilder().weight(3).build(),
                    servers.get(1).endpoint().toBuilder().weight(2).build(),
                    servers.get(2).endpoint()))
            .build();
    OkHttpClient c = client(Service.of("users", lb));

    for (int i = 0; i < 600; i++) {
      get(c, "http://users/");
    }

    assertThat(servers).extracting(Backend::requests).containsExactly(300, 200, 100);
  }

  @Test
  void get_unconfiguredHost_passesThroughUntouched() throws IOException {
    List<Backend> servers = backends("balanced", "direct");
    OkHttpClient c =
        client(
            Service.of("users", balancer("users", Strategies.roundRobin(), servers.subList(0, 1))));

    String body = get(c, "http://127.0.0.1:" + servers.get(1).port() + "/x");

    assertThat(body).isEqualTo("200 direct");
    assertThat(servers.get(0).requests()).isZero();
  }

  @Test
  void get_streamedResponse_leaseReportedWhenBodyIsConsumedWithItsBytes() throws IOException {
    List<Backend> servers = backends("a");
    servers.get(0).answer(r -> Backend.ok("0123456789"));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c =
        client(Service.builder("users").defaultTarget(lb).responseBufferLimit(0).build());

    try (Response r = c.newCall(new Request.Builder().url("http://users/").build()).execute()) {
      assertThat(stats(lb, "a").inFlight()).as("in flight while the body is unread").isEqualTo(1);
      assertThat(r.body().string()).isEqualTo("0123456789");
      assertThat(r.request().url().port()).isEqualTo(servers.get(0).port());
    }

    EndpointStats a = stats(lb, "a");
    assertThat(a.inFlight()).isZero();
    assertThat(a.successes()).isEqualTo(1);
    assertThat(a.responseBytes()).isEqualTo(10);
    assertThat(a.latencyEwmaNanos()).isPositive();
  }

  @Test
  void get_serverKilledMidRun_callerSeesZeroFailuresAndServerServesAgainWhenBack()
      throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c = client(Service.builder("users").defaultTarget(lb).build());
    int failures = 0;
    int bBeforeRevival = 0;

    for (int i = 0; i < 300; i++) {
      if (i == 100) {
        servers.get(1).kill();
      }
      if (i == 200) {
        bBeforeRevival = servers.get(1).requests();
        servers.get(1).revive();
      }
      if (!get(c, "http://users/item").startsWith("200 ")) {
        failures++;
      }
    }

    assertThat(failures).isZero();
    assertThat(stats(lb, "b").failures()).as("refused attempts on the dead server").isPositive();
    int b = servers.get(1).requests();
    assertThat(b - bBeforeRevival).as("calls b served after it came back").isBetween(25, 40);
    assertThat(servers.get(0).requests() + servers.get(2).requests() + b).isEqualTo(300);
  }

  @Test
  void get_serverAcceptsButNeverAnswers_attemptTimesOutAndFailsOver() throws Exception {
    List<Backend> servers = backends("a", "b");
    ServerSocket blackHole = new ServerSocket(0, 50, Backend.loopback());
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  accepted.add(blackHole.accept()); // and never answer
                }
              } catch (IOException closed) {
                // the test is over
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    cleanup.add(
        () -> {
          blackHole.close();
          for (Socket s : accepted) {
            s.close();
          }
        });
    Endpoint hole = Endpoint.builder("127.0.0.1", blackHole.getLocalPort()).id("hole").build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(List.of(servers.get(0).endpoint(), hole, servers.get(1).endpoint()))
            .build();
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .attemptTimeout(Duration.ofMillis(200))
                .build());

    for (int i = 0; i < 9; i++) {
      assertThat(get(c, "http://users/")).startsWith("200 ");
    }

    EndpointStats h = stats(lb, "hole");
    // Retries move the shared rotation along, so the hole gets between a third and all of them.
    assertThat(h.failures()).isBetween(3L, 9L);
    assertThat(h.inFlight()).isZero();
    assertThat(h.lastFailure()).isInstanceOf(java.net.SocketTimeoutException.class);
    assertThat(servers.get(0).requests() + servers.get(1).requests()).isEqualTo(9);
  }

  @Test
  void interruptedDuringTheBackoffAfterA503_endsTheLeaseAndClosesTheResponse() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    Service service =
        Service.builder("users")
            .defaultTarget(lb)
            .sleeper(
                (nanos, call) -> {
                  throw new java.io.InterruptedIOException("interrupted during the retry backoff");
                })
            .build();
    OkHttpClient c = client(service);

    assertThatThrownBy(() -> get(c, "http://users/"))
        .isInstanceOf(java.io.InterruptedIOException.class);

    assertThat(lb.stats().inFlight()).as("the 503's lease ended").isZero();
    assertThat(servers.get(0).requests() + servers.get(1).requests()).isEqualTo(1);
    assertThat(c.connectionPool().connectionCount())
        .as("the 503's connection went back to the pool or was closed, not leaked in use")
        .isEqualTo(c.connectionPool().idleConnectionCount());
  }

  @Test
  void get_503_noOtherEndpointCanTakeTheRetry_isReturnedWithoutSpendingTheBudget()
      throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.get(0).answer(r -> Backend.status(503));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    assertThat(lb.disable("b")).isTrue();
    RetryBudget budget =
        RetryBudget.builder()
            .percentCanRetry(1.0)
            .minRetriesPerSecond(0)
            .ttl(Duration.ofMinutes(1))
            .build();
    Service service =
        Service.builder("users")
            .defaultTarget(lb)
            .retryBudget(budget)
            .backoff(Backoff.none())
            .build();
    OkHttpClient c = client(service);

    for (int i = 0; i < 5; i++) {
      assertThat(get(c, "http://users/")).startsWith("503");
    }

    // Each call deposited one retry; none was withdrawn, since no untried endpoint could take it.
    assertThat(budget.remaining()).isEqualTo(5);
    assertThat(budget.refusedCount()).isZero();
    assertThat(servers.get(0).requests()).isEqualTo(5);
    assertThat(servers.get(1).requests()).isZero();
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void get_503StormFromOneServer_retriedElsewhereButRetriesCappedByTheBudget() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    servers.get(0).answer(r -> Backend.status(503));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    Service service =
        Service.builder("users")
            .defaultTarget(lb)
            .retryBudget(
                RetryBudget.builder()
                    .percentCanRetry(0.1)
                    .minRetriesPerSecond(0)
                    .ttl(Duration.ofMinutes(1))
                    .build())
            .backoff(Backoff.none())
            .build();
    OkHttpClient c = client(service);
    int seen503 = 0;

    for (int i = 0; i < 300; i++) {
      if (get(c, "http://users/").startsWith("503")) {
        seen503++;
      }
    }

    int received = servers.stream().mapToInt(Backend::requests).sum();
    int retries = received - 300;
    // 10% of 300 calls is 30 retries at most; the first retry needs 10 calls of deposits.
    assertThat(retries).as("retries sent, counted on the servers").isBetween(25, 30);
    // Every 503 was either retried on another server or returned: a retry never goes back to a.
    assertThat(seen503)
        .as("503s the budget could not retry")
        .isEqualTo(servers.get(0).requests() - retries);
    assertThat(seen503).isPositive();
    assertThat(service.retryBudget().refusedCount())
        .as("the budget's own count of refused retries")
        .isEqualTo(seen503);
    assertThat(service.retryBudget().remaining())
        .as("what is left is less than the deposits since a's last 503")
        .isLessThanOrEqualTo(1);
    assertThat(stats(lb, "a").failures()).isEqualTo(servers.get(0).requests());
  }

  @Test
  void retryBudget_sharedByTwoServices_boundsTheirRetriesTogether() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    RetryBudget shared = RetryBudget.builder().percentCanRetry(0.5).minRetriesPerSecond(0).build();
    Service users =
        Service.builder("users")
            .defaultTarget(balancer("users", Strategies.roundRobin(), servers))
            .retryBudget(shared)
            .backoff(Backoff.none())
            .build();
    Service orders =
        Service.builder("orders")
            .defaultTarget(balancer("orders", Strategies.roundRobin(), servers))
            .retryBudget(shared)
            .backoff(Backoff.none())
            .build();
    OkHttpClient c = client(users, orders);

    for (int i = 0; i < 20; i++) {
      get(c, "http://users/");
      get(c, "http://orders/");
    }

    int received = servers.stream().mapToInt(Backend::requests).sum();
    // 40 calls deposit half a retry each: 20 retries in all, whichever service spends them.
    assertThat(received - 40).as("retries of both services").isEqualTo(20);
    assertThat(users.retryBudget()).isSameAs(orders.retryBudget()).isSameAs(shared);
    assertThat(shared.refusedCount()).isEqualTo(20);
  }

  @Test
  void eachAttemptsRequest_isTaggedWithItsEndpointAndNumber_forTracing() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.get(0).answer(r -> Backend.status(503));
    List<String> seen = new CopyOnWriteArrayList<>();
    OkHttpClient c =
        client(Service.of("users", balancer("users", Strategies.roundRobin(), servers)))
            .newBuilder()
            .addNetworkInterceptor(
                chain -> {
                  AttemptInfo info = chain.request().tag(AttemptInfo.class);
                  seen.add(info == null ? "none" : info.toString());
                  return chain.proceed(chain.request());
                })
            .build();
    client = c;

    String a = servers.get(0).endpoint().id();
    String b = servers.get(1).endpoint().id();
    List<List<String>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // round robin starts anywhere; some calls start on a
      seen.clear();
      assertThat(get(c, "http://users/")).startsWith("200");
      calls.add(List.copyOf(seen));
    }

    assertThat(calls)
        .allSatisfy(attempts -> assertThat(attempts.get(0)).contains("users attempt 1 on "))
        .contains(
            List.of(
                "AttemptInfo{users attempt 1 on " + a + "}",
                "AttemptInfo{users attempt 2 on " + b + "}"));
  }

  @Test
  void get_retries_waitTheBackoffBetweenAttempts_andNotBeforeTheFirst() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    List<Long> waits = new CopyOnWriteArrayList<>();
    List<Integer> asked = new CopyOnWriteArrayList<>();
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(balancer("users", Strategies.roundRobin(), servers))
                .backoff(
                    (retry, previous) -> {
                      asked.add(retry);
                      return Duration.ofMillis(40).toNanos() * retry + previous;
                    })
                .sleeper((nanos, call) -> waits.add(nanos))
                .build());

    assertThat(get(c, "http://users/")).startsWith("503");

    assertThat(asked).as("the backoff is asked once per retry").containsExactly(1, 2);
    assertThat(waits)
        .as("waits before the 2nd and 3rd attempts")
        .containsExactly(40_000_000L, 120_000_000L);
    assertThat(servers.stream().mapToInt(Backend::requests).sum()).isEqualTo(3);
  }

  @Test
  void cancel_duringTheBackoff_endsTheCallAndMakesNoFurtherAttempt() throws Exception {
    List<Backend> servers = backends("a", "b");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    CountDownLatch inBackoff = new CountDownLatch(1);
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .backoff(Backoff.fixed(Duration.ofSeconds(30)))
                .sleeper(
                    (nanos, call) -> {
                      inBackoff.countDown();
                      Sleeper.REAL.sleep(nanos, call);
                    })
                .build());
    okhttp3.Call call = c.newCall(new Request.Builder().url("http://users/").build());
    List<Throwable> thrown = new CopyOnWriteArrayList<>();
    CountDownLatch finished = new CountDownLatch(1);
    Thread caller =
        new Thread(
            () -> {
              try {
                call.execute().close();
              } catch (IOException e) {
                thrown.add(e);
              } finally {
                finished.countDown();
              }
            });
    caller.start();

    assertThat(inBackoff.await(10, TimeUnit.SECONDS)).isTrue();
    call.cancel();

    assertThat(finished.await(10, TimeUnit.SECONDS)).as("the 30 s backoff was cut short").isTrue();
    assertThat(thrown).singleElement().isInstanceOf(IOException.class);
    assertThat(servers.get(0).requests() + servers.get(1).requests()).isEqualTo(1);
    assertThat(lb.stats().endpoints()).allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }

  @Test
  void post_http2RefusedStream_isRetriedOnAnotherEndpointAsUnprocessed() throws IOException {
    List<Backend> servers = backends("refusing", "ok");
    for (Backend b : servers) {
      b.useH2PriorKnowledge();
    }
    servers
        .get(0)
        .peekEffects(
            new MockResponse.Builder()
                .onRequestStart(new SocketEffect.CloseStream(REFUSED_STREAM))
                .build());
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    client =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).backoff(Backoff.none()).build())
            .build()
            .newClient(
                new OkHttpClient.Builder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build());
    RequestBody body = RequestBody.create("x", MediaType.get("text/plain"));

    for (int i = 0; i < 4; i++) {
      try (Response r =
          client
              .newCall(new Request.Builder().url("http://users/pay").post(body).build())
              .execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("ok");
      }
    }

    assertThat(servers.get(1).requests("POST")).isEqualTo(4);
    assertThat(stats(lb, "refusing").failures()).isPositive();
    assertThat(stats(lb, "refusing").lastFailure()).hasMessageContaining("REFUSED_STREAM");
  }

  /** HTTP/2's REFUSED_STREAM error code (RFC 9113, section 7). */
  private static final int REFUSED_STREAM = 0x7;

  @Test
  void get_503FromOneServer_withBudgetToSpare_callerNeverSeesIt() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    servers.get(1).answer(r -> Backend.status(503));
    OkHttpClient c =
        client(Service.of("users", balancer("users", Strategies.roundRobin(), servers)));

    for (int i = 0; i < 30; i++) {
      assertThat(get(c, "http://users/")).startsWith("200 ");
    }

    int received = servers.stream().mapToInt(Backend::requests).sum();
    assertThat(received - 30).as("one retry per 503").isEqualTo(servers.get(1).requests());
    assertThat(servers.get(1).requests()).isPositive();
  }

  @Test
  void post_503_isNotRetriedUnlessOptedIn() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    RequestBody body = RequestBody.create("{}", MediaType.get("application/json"));

    OkHttpClient plain = client(Service.of("users", lb));
    for (int i = 0; i < 2; i++) {
      try (Response r =
          plain
              .newCall(new Request.Builder().url("http://users/orders").post(body).build())
              .execute()) {
        assertThat(r.code()).isEqualTo(503);
      }
    }
    assertThat(servers.get(0).requests("POST") + servers.get(1).requests("POST")).isEqualTo(2);

    int bBefore = servers.get(1).requests("POST");
    servers.get(1).answer(r -> Backend.ok("b"));
    OkHttpClient optedIn =
        client(Service.builder("users").defaultTarget(lb).retryNonIdempotent(true).build());
    for (int i = 0; i < 2; i++) {
      try (Response r =
          optedIn
              .newCall(new Request.Builder().url("http://users/orders").post(body).build())
              .execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }

    assertThat(servers.get(1).requests("POST") - bBefore)
        .as("both opted-in POSTs ended on b")
        .isEqualTo(2);
  }

  @Test
  void post_bodySentThenConnectionDropped_isNeverSentTwice() throws IOException {
    List<Backend> servers = backends("a", "b", "c");
    for (Backend b : servers) {
      b.answer(
          r ->
              new MockResponse.Builder()
                  .onResponseStart(new SocketEffect.CloseSocket())
                  .body("never")
                  .build());
    }
    OkHttpClient c =
        client(Service.of("users", balancer("users", Strategies.roundRobin(), servers)));
    RequestBody body = RequestBody.create("{\"amount\":10}", MediaType.get("application/json"));

    assertThatThrownBy(
            () ->
                c.newCall(new Request.Builder().url("http://users/pay").post(body).build())
                    .execute()
                    .close())
        .isInstanceOf(IOException.class);

    assertThat(servers.stream().mapToInt(b -> b.requests("POST")).sum()).isEqualTo(1);
  }

  @Test
  void post_oneShotBodySent_isNeverRetriedEvenWhenOptedIn() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.get(0).answer(r -> Backend.status(503));
    servers.get(1).answer(r -> Backend.status(503));
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(balancer("users", Strategies.roundRobin(), servers))
                .retryNonIdempotent(true)
                .build());
    RequestBody oneShot =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("text/plain");
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("stream");
          }

          @Override
          public boolean isOneShot() {
            return true;
          }
        };

    try (Response r =
        c.newCall(new Request.Builder().url("http://users/upload").post(oneShot).build())
            .execute()) {
      assertThat(r.code()).isEqualTo(503);
    }

    assertThat(servers.get(0).requests("POST") + servers.get(1).requests("POST")).isEqualTo(1);
  }

  @Test
  void post_connectionRefused_failsOverToAnotherEndpoint() throws IOException {
    List<Backend> servers = backends("dead", "live");
    servers.get(0).kill();
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c = client(Service.of("users", lb));
    RequestBody body = RequestBody.create("x", MediaType.get("text/plain"));

    for (int i = 0; i < 4; i++) {
      try (Response r =
          c.newCall(new Request.Builder().url("http://users/pay").post(body).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }

    assertThat(servers.get(1).requests("POST")).isEqualTo(4);
    assertThat(stats(lb, "dead").failures()).isBetween(1L, 4L);
    assertThat(stats(lb, "dead").lastFailure()).isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void get_maxAttemptsOne_noRetry() throws IOException {
    List<Backend> servers = backends("a", "b");
    servers.forEach(b -> b.answer(r -> Backend.status(502)));
    OkHttpClient c =
        client(
            Service.builder("users")
                .defaultTarget(balancer("users", Strategies.roundRobin(), servers))
                .maxAttempts(1)
                .build());

    assertThat(get(c, "http://users/")).startsWith("502");
    assertThat(servers.get(0).requests() + servers.get(1).requests()).isEqualTo(1);
  }

  @Test
  void get_everyEndpointFails_lastResponseReturnedAfterMaxAttemptsOnDistinctEndpoints()
      throws IOException {
    List<Backend> servers = backends("a", "b", "c", "d");
    servers.forEach(b -> b.answer(r -> Backend.status(503)));
    OkHttpClient c = client(Service.of("users", balancer("users", Strategies.random(), servers)));

    assertThat(get(c, "http://users/")).startsWith("503");

    assertThat(servers).extracting(Backend::requests).filteredOn(n -> n > 0).hasSize(3);
    assertThat(servers.stream().mapToInt(Backend::requests).sum()).isEqualTo(3);
  }

  @Test
  void get_balancerWithNoEndpoints_failsWithIoExceptionNamingTheService() {
    LoadBalancer empty = LoadBalancer.builder().name("users").build();
    OkHttpClient c = client(Service.of("users", empty));

    assertThatThrownBy(() -> get(c, "http://users/"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("service 'users'")
        .hasMessageContaining("0 endpoints")
        .hasCauseInstanceOf(NoEndpointAvailableException.class);
  }

  @Test
  void cancel_duringStalledAttempt_cancelsCleanlyAndReleasesTheLease() throws Exception {
    List<Backend> servers = backends("slow");
    CountDownLatch arrived = new CountDownLatch(1);
    servers
        .get(0)
        .answer(
            r -> {
              arrived.countDown();
              return new MockResponse.Builder()
                  .headersDelay(30, TimeUnit.SECONDS)
                  .body("late")
                  .build();
            });
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c = client(Service.of("users", lb));
    okhttp3.Call call = c.newCall(new Request.Builder().url("http://users/").build());
    List<Throwable> thrown = new CopyOnWriteArrayList<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                call.execute().close();
              } catch (IOException e) {
                thrown.add(e);
              }
            });
    caller.start();

    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    call.cancel();
    caller.join(10_000);

    assertThat(thrown).singleElement().isInstanceOf(IOException.class);
    EndpointStats s = stats(lb, "slow");
    assertThat(s.inFlight()).isZero();
    assertThat(s.cancellations()).isEqualTo(1);
    assertThat(s.failures()).isZero();
    assertThat(servers.get(0).requests()).isEqualTo(1);
  }

  @Test
  void get_emptyBody_leaseReportedAtOnce() throws IOException {
    List<Backend> servers = backends("a");
    servers.get(0).answer(r -> Backend.ok(""));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    OkHttpClient c = client(Service.of("users", lb));

    try (Response r = c.newCall(new Request.Builder().url("http://users/").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(stats(lb, "a").inFlight()).as("reported before the body is read").isZero();
      assertThat(stats(lb, "a").successes()).isEqualTo(1);
    }
  }

  @Test
  void get_runtimeExceptionBelowTheInterceptor_isReportedAsAFailureAndRethrown()
      throws IOException {
    List<Backend> servers = backends("a", "b");
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);
    client =
        LoadBalancingInterceptor.builder()
            .service("users", lb)
            .build()
            .newClient(
                new OkHttpClient.Builder()
                    .addNetworkInterceptor(
                        chain -> {
                          throw new IllegalStateException("broken interceptor");
                        })
                    .build());

    assertThatThrownBy(() -> get(client, "http://users/"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("broken interceptor");

    assertThat(servers.get(0).requests() + servers.get(1).requests()).isZero();
    assertThat(lb.stats().endpoints())
        .as("one attempt, not retried, its lease released")
        .satisfiesOnlyOnce(e -> assertThat(e.failures()).isEqualTo(1))
        .allSatisfy(e -> assertThat(e.inFlight()).isZero());
  }

  @Test
  void failureClassifier_429CountedOnlyWhenConfigured() throws IOException {
    List<Backend> servers = backends("a");
    servers.get(0).answer(r -> Backend.status(429));
    LoadBalancer lb = balancer("users", Strategies.roundRobin(), servers);

    get(client(Service.of("users", lb)), "http://users/");
    assertThat(stats(lb, "a").failures()).isZero();
    assertThat(stats(lb, "a").successes()).isEqualTo(1);

    get(
        client(
            Service.builder("users")
                .defaultTarget(lb)
                .failureClassifier(FailureClassifier.builder().tooManyRequests(true).build())
                .build()),
        "http://users/");
    assertThat(stats(lb, "a").failures()).isEqualTo(1);
    assertThat(stats(lb, "a").lastFailure()).hasMessageContaining("HTTP 429");
  }
}
