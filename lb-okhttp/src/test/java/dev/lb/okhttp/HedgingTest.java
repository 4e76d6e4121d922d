package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.EventListener;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hedged requests against raw servers on 127.0.0.1 ({@link FaultServer}). The hedge timer runs on a
 * {@link FakeScheduler}: a hedge is sent exactly when a test advances it, so no assertion depends
 * on how fast the machine is. A server "holds" a request by blocking in its script until the test
 * releases it; every test ends with every lease reported ({@code inFlight} back to 0 and as many
 * reports as picks, read from {@link LoadBalancer#stats()}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HedgingTest {
  private static final Duration DELAY = Duration.ofMillis(50);

  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<OkHttpClient> clients = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<String> arrivals = new CopyOnWriteArrayList<>();
  private final AtomicInteger order = new AtomicInteger();
  private final FakeScheduler scheduler = new FakeScheduler();
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    callers.shutdownNow();
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  /** What a server does with the n-th request that reached any server of the test (from 0). */
  @FunctionalInterface
  interface Plan {
    FaultServer.Fault next(int n) throws InterruptedException;
  }

  private FaultServer server(String name, Plan plan) throws IOException {
    FaultServer s =
        FaultServer.start(
            name,
            (m, p, i) -> {
              int n = order.getAndIncrement();
              arrivals.add(name);
              try {
                return plan.next(n);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return FaultServer.Fault.DROP;
              }
            });
    cleanup.add(s);
    return s;
  }

  /** The first request of the test is held until released, then answered with {@code held}. */
  private Plan firstHeld(FaultServer.Fault held, FaultServer.Fault others) {
    return n -> {
      if (n == 0) {
        release.await(20, TimeUnit.SECONDS);
        return held;
      }
      return others;
    };
  }

  private Plan allHeld(FaultServer.Fault fault) {
    return n -> {
      release.await(20, TimeUnit.SECONDS);
      return fault;
    };
  }

  private static LoadBalancer balancer(FaultServer... servers) {
    return LoadBalancer.builder()
        .name("users")
        .strategy(Strategies.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(List.of(servers).stream().map(FaultServer::endpoint).toList())
        .build();
  }

  /** A fixed delay on fake time, and a budget floor so that a fresh client may hedge at once. */
  private HedgingPolicy.Builder policy() {
    return HedgingPolicy.builder()
        .delay(DELAY)
        .scheduler(scheduler)
        .ticker(scheduler.ticker())
        .budgetMinPerSecond(100);
  }

  private Service.Builder service(LoadBalancer balancer, HedgingPolicy policy) {
    return Service.builder("users").defaultTarget(balancer).hedging(policy);
  }

  private OkHttpClient client(Service service) {
    return client(service, new OkHttpClient());
  }

  private OkHttpClient client(Service service, OkHttpClient base) {
    OkHttpClient c = LoadBalancingInterceptor.builder().service(service).build().newClient(base);
    clients.add(c);
    return c;
  }

  private static Request get() {
    return new Request.Builder().url("http://users/item").build();
  }

  private Future<String> async(OkHttpClient client, Request request) {
    return callers.submit(
        () -> {
          try (Response r = client.newCall(request).execute()) {
            return r.body().string();
          }
        });
  }

  private void awaitArrivals(int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (arrivals.size() < n) {
      assertThat(System.nanoTime()).as("%s requests to arrive", n).isLessThan(end);
      Thread.sleep(1);
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
      Thread.sleep(1);
    }
  }

  private static EndpointStats stats(LoadBalancer balancer, String id) {
    return balancer.stats().endpoints().stream()
        .filter(s -> s.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private static String other(String name) {
    return name.equals("a") ? "b" : "a";
  }

  @Test
  void firstAttemptHeld_hedgeOnTheOtherEndpointWins_andTheLoserIsCancelled() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    Future<String> body = async(client, get());
    awaitArrivals(1);
    String held = arrivals.get(0);
    scheduler.advance(DELAY);

    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(other(held));
    assertThat(arrivals).containsExactly(held, other(held));
    assertLeasesSettled(lb);
    assertThat(stats(lb, held).cancellations()).isEqualTo(1);
    assertThat(stats(lb, other(held)).successes()).isEqualTo(1);
  }

  @Test
  void hedgeNeverDue_eachCallIsOneOkHttpCall_theFirstAttemptRunsOnTheCallersOwn() throws Exception {
    Plan plan = n -> FaultServer.Fault.OK;
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    AtomicInteger calls = new AtomicInteger();
    OkHttpClient base =
        new OkHttpClient.Builder()
            .eventListenerFactory(
                c -> {
                  calls.incrementAndGet();
                  return EventListener.NONE;
                })
            .build();
    OkHttpClient client = client(service(lb, policy().build()).build(), base);

    for (int i = 0; i < 4; i++) {
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.body().string()).isIn("a", "b");
      }
    }
    assertThat(calls).hasValue(4); // no call of the hedge client: it is made only to hedge
    assertThat(scheduler.pending()).isZero();
    assertLeasesSettled(lb);
  }

  @Test
  void firstAttemptDripsItsBodyAfterItsHeaders_theHedgeWins_whenTheFirstAttemptsReadEnds()
      throws Exception {
    // The first request of the test sends its headers, then drips its 100-byte body over 5 s;
    // every other request is answered at once. An attempt that has its headers is not aborted: a
    // hedge that answers first is returned when the first attempt's body read ends, here at its
    // attempt timeout.
    Plan plan = n -> n == 0 ? FaultServer.Fault.DRIP : FaultServer.Fault.OK;
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client =
        client(service(lb, policy().build()).attemptTimeout(Duration.ofMillis(700)).build());

    long start = System.nanoTime();
    Future<String> body = async(client, get());
    awaitArrivals(1);
    String dripping = arrivals.get(0);
    scheduler.advance(DELAY);

    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(other(dripping));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertLeasesSettled(lb);
    assertThat(stats(lb, dripping).cancellations()).isEqualTo(1); // the loser: cancelled
    assertThat(stats(lb, dripping).failures()).isZero();
    assertThat(stats(lb, other(dripping)).successes()).isEqualTo(1);
  }

  @Test
  void onlyCallsThatCannotMeetHttp2_runTheirFirstAttemptOnTheCallersChain() {
    Service plain = Service.builder("users").defaultTarget(balancer()).build();
    Service tls = Service.builder("users").defaultTarget(balancer()).scheme("https").build();
    OkHttpClient both = new OkHttpClient();
    OkHttpClient http1 =
        new OkHttpClient.Builder().protocols(List.of(okhttp3.Protocol.HTTP_1_1)).build();
    OkHttpClient priorKnowledge =
        new OkHttpClient.Builder().protocols(List.of(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE)).build();
    Request http = get();
    Request https = new Request.Builder().url("https://users/item").build();

    assertThat(HedgedCall.http1Only(plain, http, both)).isTrue(); // cleartext is HTTP/1 here
    assertThat(HedgedCall.http1Only(plain, https, both)).isFalse(); // ALPN may choose h2
    assertThat(HedgedCall.http1Only(tls, http, both)).isFalse(); // the wire scheme counts
    assertThat(HedgedCall.http1Only(plain, https, http1)).isTrue();
    assertThat(HedgedCall.http1Only(plain, http, priorKnowledge)).isFalse();
  }

  @Test
  void firstAnswersBeforeTheDelay_noHedge_andTheTimerIsCancelled() throws Exception {
    Plan plan = n -> FaultServer.Fault.OK;
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.body().string()).isIn("a", "b");
    }
    assertThat(scheduler.pending()).isZero();
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(arrivals).hasSize(1);
    assertLeasesSettled(lb);
  }

  @Test
  void hedgeDelayElapsesAsTheFirstResponseArrives_exactlyOneWins_everyLeaseSettles()
      throws Exception {
    for (int round = 0; round < 20; round++) {
      CountDownLatch go = new CountDownLatch(1);
      AtomicInteger seen = new AtomicInteger();
      Plan plan =
          n -> {
            if (seen.getAndIncrement() == 0) {
              go.await(20, TimeUnit.SECONDS);
            }
            return FaultServer.Fault.OK;
          };
      arrivals.clear();
      LoadBalancer lb = balancer(server("a" + round, plan), server("b" + round, plan));
      OkHttpClient client = client(service(lb, policy().build()).build());
      Future<String> body = async(client, get());
      awaitArrivals(1);
      CyclicBarrier barrier = new CyclicBarrier(2);
      Future<?> respond =
          callers.submit(
              () -> {
                barrier.await();
                go.countDown();
                return null;
              });
      barrier.await();
      scheduler.advance(DELAY);
      respond.get(10, TimeUnit.SECONDS);

      assertThat(body.get(10, TimeUnit.SECONDS)).isIn("a" + round, "b" + round);
      assertLeasesSettled(lb);
      long won = lb.stats().endpoints().stream().mapToLong(EndpointStats::successes).sum();
      assertThat(won).as("round %s: %s", round, lb.stats().endpoints()).isBetween(1L, 2L);
      assertThat(scheduler.pending()).isZero();
    }
  }

  @Test
  void winningBodyFailsMidStreamAfterTheLoserWasCancelled_theCallerSeesTheError() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.RESET_AFTER_HEADERS);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    // No buffering: the winner is chosen at its headers, and its body streams to the caller.
    OkHttpClient client = client(service(lb, policy().build()).responseBufferLimit(0).build());

    Call call = client.newCall(get());
    CompletableFuture<Response> response =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return call.execute();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            },
            callers);
    awaitArrivals(1);
    String held = arrivals.get(0);
    scheduler.advance(DELAY);
    try (Response r = response.get(10, TimeUnit.SECONDS)) {
      assertThat(r.code()).isEqualTo(200);
      assertLeasesSettledExcept(lb, other(held));
      assertThat(stats(lb, held).cancellations()).isEqualTo(1);
      assertThatThrownBy(() -> r.body().string()).isInstanceOf(IOException.class);
    }
    assertLeasesSettled(lb);
    assertThat(stats(lb, other(held)).failures()).isEqualTo(1);
  }

  /** Every lease but the one of {@code streaming}, whose body is still open, has settled. */
  private static void assertLeasesSettledExcept(LoadBalancer lb, String streaming)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      int inFlight =
          lb.stats().endpoints().stream()
              .filter(s -> !s.endpoint().id().equals(streaming))
              .mapToInt(EndpointStats::inFlight)
              .sum();
      if (inFlight == 0) {
        assertThat(stats(lb, streaming).inFlight()).isEqualTo(1);
        return;
      }
      assertThat(System.nanoTime()).as("losers settled").isLessThan(end);
      Thread.sleep(1);
    }
  }

  @Test
  void bothAttemptsFail_theCallFailsWithTheLastFailure_theEarlierSuppressed() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.DROP, FaultServer.Fault.DROP);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    Future<String> body = async(client, get());
    awaitArrivals(1);
    scheduler.advance(DELAY);
    awaitArrivals(2);
    // The hedge failed; the first attempt is still in flight, so the call waits for it.
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (lb.stats().endpoints().stream().mapToLong(EndpointStats::failures).sum() < 1) {
      assertThat(System.nanoTime()).isLessThan(end);
      Thread.sleep(1);
    }
    assertThat(body.isDone()).isFalse();
    release.countDown();

    assertThatThrownBy(() -> body.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IOException.class)
        .satisfies(
            e -> {
              Throwable last = e.getCause();
              assertThat(last.getSuppressed()).hasSize(1);
              assertThat(last.getSuppressed()[0]).isInstanceOf(IOException.class);
            });
    assertThat(arrivals).hasSize(2); // no third attempt: maxAttempts is 2
    assertLeasesSettled(lb);
    assertThat(lb.stats().endpoints().stream().mapToLong(EndpointStats::failures).sum())
        .isEqualTo(2);
  }

  @Test
  void callerCancelsMidHedge_everyAttemptIsCancelled_andEveryLeaseReportedAsCancelled()
      throws Exception {
    Plan plan = allHeld(FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    Call call = client.newCall(get());
    Future<Response> response = callers.submit(call::execute);
    awaitArrivals(1);
    scheduler.advance(DELAY);
    awaitArrivals(2);
    call.cancel();

    assertThatThrownBy(() -> response.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IOException.class)
        .hasMessageContaining("Canceled");
    assertLeasesSettled(lb);
    assertThat(lb.stats().endpoints()).allSatisfy(s -> assertThat(s.cancellations()).isEqualTo(1));
  }

  @Test
  void budgetExhausted_theNextSlowCallIsNotHedged() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch second = new CountDownLatch(1);
    Plan plan =
        n -> {
          if (n == 0) {
            release.await(20, TimeUnit.SECONDS);
          } else if (n == 2) {
            second.await(20, TimeUnit.SECONDS);
          }
          calls.incrementAndGet();
          return FaultServer.Fault.OK;
        };
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    // No share of calls, a floor of one hedge per one-second window: one hedge in all here.
    HedgingPolicy policy =
        policy().budgetPercent(0).budgetMinPerSecond(1).budgetWindow(Duration.ofSeconds(1)).build();
    OkHttpClient client = client(service(lb, policy).build());

    Future<String> first = async(client, get());
    awaitArrivals(1);
    scheduler.advance(DELAY);
    first.get(10, TimeUnit.SECONDS); // hedged: the one token is spent

    Future<String> next = async(client, get());
    awaitArrivals(3);
    scheduler.advance(DELAY);
    assertThat(scheduler.pending()).isZero();
    second.countDown();
    assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(arrivals.get(2));
    assertThat(arrivals).hasSize(3);
    release.countDown();
    assertLeasesSettled(lb);
  }

  @Test
  void onlyOneEndpoint_noHedge() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    Future<String> body = async(client, get());
    awaitArrivals(1);
    assertThat(scheduler.pending()).isZero(); // no hedged call, no timer
    scheduler.advance(DELAY);
    release.countDown();
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    assertThat(arrivals).hasSize(1);
    assertLeasesSettled(lb);
  }

  @Test
  void onlyOneEndpointReady_theHedgeIsNotSent_andSpendsNoBudget() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    FaultServer a = server("a", plan);
    FaultServer b = server("b", plan);
    LoadBalancer lb = balancer(a, b);
    HedgingPolicy policy =
        policy().budgetPercent(0).budgetMinPerSecond(1).budgetWindow(Duration.ofSeconds(1)).build();
    Service service = service(lb, policy).build();
    OkHttpClient client = client(service);

    Future<String> body = async(client, get());
    awaitArrivals(1);
    lb.drain(other(arrivals.get(0)), Duration.ofMinutes(1)); // the other takes no new call
    scheduler.advance(DELAY);
    release.countDown();
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(arrivals.get(0));
    assertThat(arrivals).hasSize(1);
    assertThat(service.hedging().budget().remaining()).isEqualTo(1);
    assertLeasesSettled(lb);
  }

  @Test
  void postWithoutIdempotencyKey_isNeverHedged() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    FaultServer a = server("a", plan);
    FaultServer b = server("b", plan);
    LoadBalancer lb = balancer(a, b);
    OkHttpClient client =
        client(service(lb, policy().build()).idempotencyKeyHeader("Idempotency-Key").build());

    Future<String> body = async(client, post(null));
    awaitArrivals(1);
    assertThat(scheduler.pending()).isZero();
    scheduler.advance(DELAY.multipliedBy(10));
    release.countDown();
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(arrivals.get(0));
    assertThat(a.requests("POST") + b.requests("POST")).isEqualTo(1);
    assertLeasesSettled(lb);
  }

  @Test
  void postWithIdempotencyKey_isHedged_withTheSameKey() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    FaultServer a = server("a", plan);
    FaultServer b = server("b", plan);
    LoadBalancer lb = balancer(a, b);
    OkHttpClient client =
        client(service(lb, policy().build()).idempotencyKeyHeader("Idempotency-Key").build());

    Future<String> body = async(client, post("order-42"));
    awaitArrivals(1);
    scheduler.advance(DELAY);
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(other(arrivals.get(0)));
    List<Map<String, String>> headers = new ArrayList<>(a.headers());
    headers.addAll(b.headers());
    assertThat(headers)
        .hasSize(2)
        .allSatisfy(h -> assertThat(h).containsEntry("idempotency-key", "order-42"));
    assertLeasesSettled(lb);
  }

  private static Request post(@Nullable String key) {
    Request.Builder b =
        new Request.Builder()
            .url("http://users/orders")
            .post(RequestBody.create("{}", MediaType.get("application/json")));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return b.build();
  }

  @Test
  void asyncCallsOnADispatcherLimitedToOne_hedgesStillRun_noDeadlock() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());
    client.dispatcher().setMaxRequests(1);
    client.dispatcher().setMaxRequestsPerHost(1);

    CompletableFuture<String> body = new CompletableFuture<>();
    client
        .newCall(get())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                body.completeExceptionally(e);
              }

              @Override
              public void onResponse(Call call, Response response) throws IOException {
                try (response) {
                  body.complete(response.body().string());
                }
              }
            });
    awaitArrivals(1);
    scheduler.advance(DELAY);
    // The hedge runs although the one dispatcher slot is the caller's own, still waiting.
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(other(arrivals.get(0)));
    assertLeasesSettled(lb);
  }

  @Test
  void callTimeoutCoversEveryHedge() throws Exception {
    Plan plan = allHeld(FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client =
        client(
            service(lb, policy().build()).build(),
            new OkHttpClient.Builder().callTimeout(Duration.ofMillis(300)).build());

    Future<String> body = async(client, get());
    awaitArrivals(1);
    scheduler.advance(DELAY);
    awaitArrivals(2);
    assertThatThrownBy(() -> body.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    assertLeasesSettled(lb);
    assertThat(lb.stats().endpoints()).allSatisfy(s -> assertThat(s.cancellations()).isEqualTo(1));
  }

  @Test
  void firstAttemptFailsAtOnce_theFailoverStartsWithoutWaitingForTheDelay() throws Exception {
    Plan plan = n -> n == 0 ? FaultServer.Fault.STATUS_503_RETRY_AFTER_0 : FaultServer.Fault.OK;
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo(arrivals.get(1));
    }
    assertThat(arrivals).hasSize(2).doesNotHaveDuplicates();
    assertLeasesSettled(lb);
  }

  @Test
  void threeAttempts_eachOnAnEndpointNoSiblingUses() throws Exception {
    Plan plan =
        n -> {
          if (n < 2) {
            release.await(20, TimeUnit.SECONDS);
          }
          return FaultServer.Fault.OK;
        };
    LoadBalancer lb = balancer(server("a", plan), server("b", plan), server("c", plan));
    OkHttpClient client = client(service(lb, policy().maxAttempts(3).build()).build());

    Future<String> body = async(client, get());
    awaitArrivals(1);
    scheduler.advance(DELAY);
    awaitArrivals(2);
    scheduler.advance(DELAY);
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(arrivals.get(2));
    assertThat(new HashSet<>(arrivals)).containsExactlyInAnyOrder("a", "b", "c");
    assertLeasesSettled(lb);
    release.countDown();
  }

  @Test
  void callerInterruptedWhileWaitingForAFailover_theCallFails_andTheAttemptIsCancelled()
      throws Exception {
    Plan plan =
        n -> {
          if (n == 0) {
            return FaultServer.Fault.STATUS_503_RETRY_AFTER_0;
          }
          release.await(20, TimeUnit.SECONDS);
          return FaultServer.Fault.OK;
        };
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    OkHttpClient client = client(service(lb, policy().build()).build());

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              try (Response r = client.newCall(get()).execute()) {
                failure.complete(new AssertionError("answered " + r.code()));
              } catch (Throwable t) {
                failure.complete(t);
              }
            });
    caller.start();
    awaitArrivals(2); // the 503, then the failover, held
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (caller.getState() != Thread.State.WAITING) {
      assertThat(System.nanoTime()).as("the caller waits for the failover").isLessThan(end);
      Thread.sleep(1);
    }
    caller.interrupt();

    assertThat(failure.get(10, TimeUnit.SECONDS))
        .isInstanceOf(java.io.InterruptedIOException.class);
    assertLeasesSettled(lb);
    assertThat(stats(lb, arrivals.get(1)).cancellations()).isEqualTo(1);
  }

  @Test
  void clientAssembledByHand_callsAreNotHedged() throws Exception {
    Plan plan = firstHeld(FaultServer.Fault.OK, FaultServer.Fault.OK);
    LoadBalancer lb = balancer(server("a", plan), server("b", plan));
    LoadBalancingInterceptor interceptor =
        LoadBalancingInterceptor.builder().service(service(lb, policy().build()).build()).build();
    OkHttpClient client =
        new OkHttpClient.Builder()
            .addInterceptor(interceptor)
            .addNetworkInterceptor(interceptor.networkInterceptor())
            .build();
    clients.add(client);

    Future<String> body = async(client, get());
    awaitArrivals(1);
    assertThat(scheduler.pending()).isZero();
    release.countDown();
    assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo(arrivals.get(0));
    assertThat(arrivals).hasSize(1);
    assertLeasesSettled(lb);
  }

  /**
   * The wire test: one backend stalls every request for 2 s, on real time and lb-core's real
   * scheduler. Hedged GETs finish within the hedge delay plus a fast response; the bound asserted
   * is generous (well under the stall) so that a slow CI machine does not fail it.
   */
  @Test
  void realTime_oneBackendStallsTwoSeconds_hedgedGetsFinishWellBeforeTheStall() throws Exception {
    FaultServer slow =
        server(
            "slow",
            n -> {
              Thread.sleep(2000);
              return FaultServer.Fault.OK;
            });
    FaultServer fast = server("fast", n -> FaultServer.Fault.OK);
    LoadBalancer lb = balancer(slow, fast);
    // A fresh client has deposited nothing yet: a floor of hedges per second lets it hedge at once.
    HedgingPolicy policy =
        HedgingPolicy.builder().delay(Duration.ofMillis(50)).budgetMinPerSecond(10).build();
    OkHttpClient client = client(service(lb, policy).build());

    long worst = 0;
    for (int i = 0; i < 10; i++) {
      long start = System.nanoTime();
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.body().string()).isEqualTo("fast");
      }
      worst = Math.max(worst, System.nanoTime() - start);
    }
    // Round robin sent half there first. Counted as connections: a loser aborted before the slow
    // server read its request (a loaded machine) is still a connection made.
    assertThat(slow.connections()).isGreaterThanOrEqualTo(4);
    assertThat(Duration.ofNanos(worst)).isLessThan(Duration.ofSeconds(1));
    assertLeasesSettled(lb);
  }
}
