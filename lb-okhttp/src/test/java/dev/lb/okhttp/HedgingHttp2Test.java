package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hedged calls over HTTPS that negotiate HTTP/2 (ALPN), against MockWebServers on 127.0.0.1 with a
 * self-signed certificate: the first attempt runs on the caller's own call, and a hedge that wins
 * ends it by resetting its stream alone, while other calls' streams on the same connection go on.
 * The hedge timer runs on a {@link FakeScheduler}; a server holds a request by blocking its
 * dispatcher until the test releases it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HedgingHttp2Test {
  private static final Duration DELAY = Duration.ofMillis(50);
  private static final HeldCertificate CERT =
      new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();

  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<OkHttpClient> clients = new ArrayList<>();
  private final FakeScheduler scheduler = new FakeScheduler();
  private final ExecutorService callers = Executors.newCachedThreadPool();
  private final CountDownLatch releaseStall = new CountDownLatch(1);
  private final CountDownLatch releaseHeld = new CountDownLatch(1);

  /** OkHttp calls made, by whether they are the caller's own or a hedge client's. */
  private final AtomicInteger callerCalls = new AtomicInteger();

  private final AtomicInteger hedgeCalls = new AtomicInteger();

  /** The failures OkHttp reported on the callers' own calls (not the hedge client's). */
  private final List<IOException> callerFailures = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    releaseStall.countDown();
    releaseHeld.countDown();
    callers.shutdownNow();
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private Backend httpsBackend(String name) throws IOException {
    Backend b = Backend.start(name);
    cleanup.add(b);
    b.useHttps(
        new HandshakeCertificates.Builder().heldCertificate(CERT).build().sslSocketFactory());
    return b;
  }

  private static LoadBalancer balancer(Backend... backends) {
    return LoadBalancer.builder()
        .name("users")
        .strategy(Strategies.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(List.of(backends).stream().map(Backend::endpoint).toList())
        .build();
  }

  /** A client that trusts the test certificate and counts its calls, made by newClient. */
  private OkHttpClient client(LoadBalancer lb) {
    HandshakeCertificates trust =
        new HandshakeCertificates.Builder().addTrustedCertificate(CERT.certificate()).build();
    OkHttpClient base =
        new OkHttpClient.Builder()
            .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager())
            .eventListenerFactory(
                c -> {
                  boolean hedge = c.request().tag(HedgedCall.Slot.class) != null;
                  (hedge ? hedgeCalls : callerCalls).incrementAndGet();
                  return hedge ? EventListener.NONE : new FailureRecorder();
                })
            .build();
    HedgingPolicy policy =
        HedgingPolicy.builder()
            .delay(DELAY)
            .scheduler(scheduler)
            .ticker(scheduler.ticker())
            .budgetMinPerSecond(100)
            .build();
    Service service =
        Service.builder("users").defaultTarget(lb).scheme("https").hedging(policy).build();
    OkHttpClient c = LoadBalancingInterceptor.builder().service(service).build().newClient(base);
    clients.add(c);
    return c;
  }

  private final class FailureRecorder extends EventListener {
    @Override
    public void responseFailed(Call call, IOException ioe) {
      callerFailures.add(ioe);
    }
  }

  private Future<Response> async(OkHttpClient client, String url) {
    Request request = new Request.Builder().url(url).build();
    return callers.submit(
        () -> {
          Response r = client.newCall(request).execute();
          // Read here, so the body is whole when the test looks at it.
          return r.newBuilder()
              .body(okhttp3.ResponseBody.create(r.body().bytes(), r.body().contentType()))
              .build();
        });
  }

  @Test
  void stalledFirstAttemptOnHttp2_hedgeWins_onlyItsStreamIsReset_otherStreamsOnTheConnectionGoOn()
      throws Exception {
    assertThat(ExchangeCanceller.AVAILABLE)
        .as("this OkHttp lets an exchange be cancelled")
        .isTrue();
    AtomicInteger slowRequests = new AtomicInteger();
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    Map<String, Integer> connectionOf = new ConcurrentHashMap<>();
    List<String> stalledOn = new CopyOnWriteArrayList<>();
    Backend a = httpsBackend("a");
    Backend b = httpsBackend("b");
    for (Backend x : List.of(a, b)) {
      x.answer(
          r -> {
            String path = r.getUrl().encodedPath();
            connectionOf.put(x.name() + path, r.getConnectionIndex());
            if (path.equals("/slow") && slowRequests.getAndIncrement() == 0) {
              stalledOn.add(x.name());
              stalled.countDown();
              await(releaseStall); // the first attempt: no answer until the test ends
            } else if (path.equals("/held")) {
              held.countDown();
              await(releaseHeld);
              return Backend.ok("held on " + x.name());
            }
            return Backend.ok(x.name());
          });
    }
    LoadBalancer lb = balancer(a, b);
    OkHttpClient client = client(lb);
    // One call to each backend first: one HTTP/2 connection to each.
    for (int i = 0; i < 2; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://users/").build()).execute()) {
        assertThat(r.protocol()).isEqualTo(Protocol.HTTP_2);
      }
    }

    Future<Response> hedged = async(client, "http://users/slow");
    assertThat(stalled.await(10, TimeUnit.SECONDS)).isTrue();
    Backend slow = stalledOn.get(0).equals("a") ? a : b;
    Backend fast = slow == a ? b : a;
    // Another call's stream on the stalled backend's connection, in flight across the reset.
    Future<Response> other = async(client, "https://127.0.0.1:" + slow.port() + "/held");
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(connectionOf.get(slow.name() + "/held"))
        .as("the same HTTP/2 connection")
        .isEqualTo(connectionOf.get(slow.name() + "/slow"));

    scheduler.advance(DELAY); // the hedge, to the other backend, which answers at once
    try (Response r = hedged.get(10, TimeUnit.SECONDS)) {
      assertThat(r.body().string()).isEqualTo(fast.name());
      assertThat(r.protocol()).isEqualTo(Protocol.HTTP_2);
    }
    // The first attempt ran on the caller's own call and was ended by resetting its stream.
    // (OkHttp's StreamResetException is internal: named, not imported.)
    assertThat(callerFailures)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getClass().getName())
                  .isEqualTo("okhttp3.internal.http2.StreamResetException");
              assertThat(e).hasMessage("stream was reset: CANCEL");
            });
    assertThat(hedgeCalls).hasValue(1); // the hedge only

    releaseHeld.countDown();
    try (Response r = other.get(10, TimeUnit.SECONDS)) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("held on " + slow.name());
    }
    // The stalled backend still serves new calls, on a new connection: OkHttp takes no new
    // exchange on a connection after a stream reset while its call was not cancelled.
    try (Response r =
        client
            .newCall(new Request.Builder().url("https://127.0.0.1:" + slow.port() + "/new").build())
            .execute()) {
      assertThat(r.body().string()).isEqualTo(slow.name());
    }
    assertThat(connectionOf.get(slow.name() + "/new"))
        .isNotEqualTo(connectionOf.get(slow.name() + "/slow"));
    assertLeasesSettled(lb);
    assertThat(stats(lb, slow.name()).cancellations()).isEqualTo(1); // the reset first attempt
    assertThat(stats(lb, slow.name()).failures()).isZero();
    assertThat(stats(lb, fast.name()).cancellations()).isZero();
  }

  @Test
  void hedgeNeverDue_http2CallsRunOnTheCallersOwnCall_noHedgeClientCall() throws Exception {
    Backend a = httpsBackend("a");
    Backend b = httpsBackend("b");
    LoadBalancer lb = balancer(a, b);
    OkHttpClient client = client(lb);

    for (int i = 0; i < 4; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://users/").build()).execute()) {
        assertThat(r.protocol()).isEqualTo(Protocol.HTTP_2);
        assertThat(r.body().string()).isIn("a", "b");
      }
    }
    assertThat(callerCalls).hasValue(4);
    assertThat(hedgeCalls).hasValue(0); // made only to hedge
    assertThat(scheduler.pending()).isZero(); // every timer cancelled
    assertThat(callerFailures).isEmpty();
    assertLeasesSettled(lb);
    assertThat(stats(lb, "a").successes() + stats(lb, "b").successes()).isEqualTo(4);
  }

  @Test
  void firstAttemptOnHttp2WinsWhileTheHedgeIsHeld_theHedgeIsCancelled_everyLeaseSettles()
      throws Exception {
    // The first /race request is held until the hedge is held too; then the first answers.
    CountDownLatch firstArrived = new CountDownLatch(1);
    CountDownLatch hedgeArrived = new CountDownLatch(1);
    AtomicInteger raceRequests = new AtomicInteger();
    List<String> firstOn = new CopyOnWriteArrayList<>();
    Backend a = httpsBackend("a");
    Backend b = httpsBackend("b");
    for (Backend x : List.of(a, b)) {
      x.answer(
          (RecordedRequest r) -> {
            if (!r.getUrl().encodedPath().equals("/race")) {
              return Backend.ok(x.name());
            }
            if (raceRequests.getAndIncrement() == 0) {
              firstOn.add(x.name());
              firstArrived.countDown();
              await(hedgeArrived); // answers once the hedge is in flight
              return Backend.ok("first on " + x.name());
            }
            hedgeArrived.countDown();
            await(releaseStall); // the hedge: no answer until the test ends
            return Backend.ok("hedge on " + x.name());
          });
    }
    LoadBalancer lb = balancer(a, b);
    OkHttpClient client = client(lb);

    Future<Response> call = async(client, "http://users/race");
    assertThat(firstArrived.await(10, TimeUnit.SECONDS)).isTrue();
    scheduler.advance(DELAY);
    try (Response r = call.get(10, TimeUnit.SECONDS)) {
      assertThat(r.body().string()).isEqualTo("first on " + firstOn.get(0));
    }
    assertThat(hedgeCalls).hasValue(1);
    assertLeasesSettled(lb);
    String other = firstOn.get(0).equals("a") ? "b" : "a";
    assertThat(stats(lb, firstOn.get(0)).successes()).isEqualTo(1);
    assertThat(stats(lb, other).cancellations()).isEqualTo(1); // the hedge, cancelled
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Every lease ended: none in flight, and each pick reported exactly once. */
  private static void assertLeasesSettled(LoadBalancer balancer) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<EndpointStats> stats = balancer.stats().endpoints();
      int inFlight = stats.stream().mapToInt(EndpointStats::inFlight).sum();
      long picks = stats.stream().mapToLong(EndpointStats::picks).sum();
      long reports =
          stats.stream().mapToLong(s -> s.successes() + s.failures() + s.cancellations()).sum();
      if (inFlight == 0 && picks == reports) {
        return;
      }
      if (System.nanoTime() > end) {
        assertThat(inFlight).as("in flight in %s", stats).isZero();
        assertThat(reports).as("reports in %s", stats).isEqualTo(picks);
      }
      Thread.sleep(1); // polling lb's own counters, bounded by the deadline above
    }
  }

  private static EndpointStats stats(LoadBalancer balancer, String id) {
    return balancer.stats().endpoints().stream()
        .filter(s -> s.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }
}
