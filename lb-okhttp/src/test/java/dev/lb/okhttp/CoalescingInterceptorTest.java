package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Request coalescing against a real server on 127.0.0.1, whose answer the test holds back. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoalescingInterceptorTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private Backend server;
  private OkHttpClient client;

  @AfterEach
  void tearDown() {
    release.countDown();
    if (client != null) {
      client.dispatcher().executorService().shutdownNow();
      client.connectionPool().evictAll();
    }
    if (server != null) {
      server.close();
    }
  }

  private CoalescingInterceptor start(CoalescingInterceptor coalescer, MockResponse answer)
      throws IOException {
    server = Backend.start("s");
    server.answer(
        r -> {
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return answer;
        });
    client = new OkHttpClient.Builder().addInterceptor(coalescer).build();
    return coalescer;
  }

  /** Starts {@code n} calls, waits until one reached the server and the rest wait, releases. */
  private List<Object> concurrentCalls(CoalescingInterceptor coalescer, List<Request> requests)
      throws InterruptedException {
    List<Object> outcomes = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Request request : requests) {
      Thread t =
          new Thread(
              () -> {
                try (Response r = client.newCall(request).execute()) {
                  outcomes.add(r.code() + " " + r.body().string());
                } catch (IOException e) {
                  outcomes.add(e);
                }
              });
      t.start();
      threads.add(t);
    }
    int expectedWaiting = requests.size() - distinct(requests);
    while (coalescer.waiting() < expectedWaiting || server.requests() < distinct(requests)) {
      Thread.onSpinWait();
    }
    release.countDown();
    for (Thread t : threads) {
      t.join(20_000);
    }
    return outcomes;
  }

  private static int distinct(List<Request> requests) {
    return (int) requests.stream().map(r -> r.url() + "|" + r.header("Accept")).distinct().count();
  }

  private List<Request> same(int n, String accept) {
    List<Request> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          new Request.Builder()
              .url("http://" + server.endpoint().address() + "/item")
              .header("Accept", accept)
              .build());
    }
    return list;
  }

  @Test
  void identicalConcurrentGets_shareOneUpstreamCall() throws Exception {
    CoalescingInterceptor c =
        start(
            CoalescingInterceptor.builder().varyHeaders("Accept").build(),
            Backend.ok("shared body"));

    List<Object> outcomes = concurrentCalls(c, same(5, "text/plain"));

    assertThat(outcomes).hasSize(5).allMatch("200 shared body"::equals);
    assertThat(server.requests()).isEqualTo(1);
  }

  @Test
  void differentVaryHeaderValues_areNotCoalesced() throws Exception {
    CoalescingInterceptor c =
        start(CoalescingInterceptor.builder().varyHeaders("Accept").build(), Backend.ok("x"));
    List<Request> requests = new ArrayList<>(same(2, "text/plain"));
    requests.addAll(same(2, "application/json"));

    List<Object> outcomes = concurrentCalls(c, requests);

    assertThat(outcomes).hasSize(4).allMatch("200 x"::equals);
    assertThat(server.requests()).isEqualTo(2);
  }

  @Test
  void leaderFails_everyWaiterGetsTheError() throws Exception {
    CoalescingInterceptor c =
        start(
            CoalescingInterceptor.builder().build(),
            new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    client = client.newBuilder().retryOnConnectionFailure(false).build();

    List<Object> outcomes = concurrentCalls(c, same(4, "*/*"));

    assertThat(outcomes).hasSize(4).allMatch(o -> o instanceof IOException);
    assertThat(outcomes)
        .filteredOn(o -> ((IOException) o).getMessage().contains("coalesced with failed"))
        .hasSize(3);
  }

  @Test
  void bodyOverTheLimit_waitersMakeTheirOwnCalls() throws Exception {
    CoalescingInterceptor c =
        start(CoalescingInterceptor.builder().maxBodyBytes(4).build(), Backend.ok("too long"));

    List<Object> outcomes = concurrentCalls(c, same(3, "*/*"));

    assertThat(outcomes).hasSize(3).allMatch("200 too long"::equals);
    assertThat(server.requests()).isEqualTo(3);
  }

  @Test
  void posts_areNeverCoalesced() throws Exception {
    start(CoalescingInterceptor.builder().build(), Backend.ok("ok"));
    release.countDown();
    RequestBody body = RequestBody.create("x", MediaType.get("text/plain"));

    for (int i = 0; i < 2; i++) {
      try (Response r =
          client
              .newCall(
                  new Request.Builder()
                      .url("http://" + server.endpoint().address() + "/item")
                      .post(body)
                      .build())
              .execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(server.requests("POST")).isEqualTo(2);
  }

  private static void spinUntil(java.util.function.BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      Thread.onSpinWait();
    }
  }

  private Thread callInThread(okhttp3.Call call, List<Object> outcomes) {
    Thread t =
        new Thread(
            () -> {
              try (Response r = call.execute()) {
                outcomes.add(r.code() + " " + r.body().string());
              } catch (IOException e) {
                outcomes.add(e);
              }
            });
    t.start();
    return t;
  }

  @Test
  void leaderCancelled_handsTheCallOverToAWaiter_insteadOfFailingIt() throws Exception {
    CoalescingInterceptor coalescer =
        start(CoalescingInterceptor.builder().build(), Backend.ok("fresh"));
    Request request = same(1, "x").get(0);
    List<Object> leaderOutcome = new CopyOnWriteArrayList<>();
    List<Object> waiterOutcome = new CopyOnWriteArrayList<>();
    okhttp3.Call leaderCall = client.newCall(request);
    Thread leader = callInThread(leaderCall, leaderOutcome);
    spinUntil(() -> server.requests() == 1);
    Thread waiter = callInThread(client.newCall(request), waiterOutcome);
    spinUntil(() -> coalescer.waiting() == 1);

    leaderCall.cancel();
    spinUntil(() -> server.requests() == 2); // the waiter became the leader and made the call
    release.countDown();
    leader.join(20_000);
    waiter.join(20_000);

    assertThat(leaderOutcome).singleElement().isInstanceOf(IOException.class);
    assertThat(waiterOutcome).containsExactly("200 fresh");
  }

  @Test
  void leaderTimesOut_handsTheCallOverToAWaiter_insteadOfFailingIt() throws Exception {
    CoalescingInterceptor coalescer =
        start(CoalescingInterceptor.builder().build(), Backend.ok("fresh"));
    Request request = same(1, "x").get(0);
    List<Object> leaderOutcome = new CopyOnWriteArrayList<>();
    List<Object> waiterOutcome = new CopyOnWriteArrayList<>();
    okhttp3.Call leaderCall = client.newCall(request);
    // The leader's own call timeout (OkHttp's callTimeout, per call); the server holds it longer.
    leaderCall.timeout().timeout(300, java.util.concurrent.TimeUnit.MILLISECONDS);
    Thread leader = callInThread(leaderCall, leaderOutcome);
    spinUntil(() -> server.requests() == 1);
    Thread waiter = callInThread(client.newCall(request), waiterOutcome);
    spinUntil(() -> coalescer.waiting() == 1);

    // No cancel from the test: the timeout fires, and the waiter becomes the leader.
    spinUntil(() -> server.requests() == 2);
    release.countDown();
    leader.join(20_000);
    waiter.join(20_000);

    assertThat(leaderOutcome).singleElement().isInstanceOf(java.io.InterruptedIOException.class);
    assertThat(waiterOutcome).containsExactly("200 fresh");
  }

  @Test
  void waiterCancelled_stopsWaitingAtOnce_whileTheLeaderGoesOn() throws Exception {
    CoalescingInterceptor coalescer =
        start(CoalescingInterceptor.builder().build(), Backend.ok("v"));
    Request request = same(1, "x").get(0);
    List<Object> leaderOutcome = new CopyOnWriteArrayList<>();
    List<Object> waiterOutcome = new CopyOnWriteArrayList<>();
    Thread leader = callInThread(client.newCall(request), leaderOutcome);
    spinUntil(() -> server.requests() == 1);
    okhttp3.Call waiterCall = client.newCall(request);
    Thread waiter = callInThread(waiterCall, waiterOutcome);
    spinUntil(() -> coalescer.waiting() == 1);

    waiterCall.cancel();
    waiter.join(20_000);

    assertThat(waiterOutcome).singleElement().isInstanceOf(IOException.class);
    assertThat(coalescer.waiting()).isZero();
    release.countDown();
    leader.join(20_000);
    assertThat(leaderOutcome).containsExactly("200 v");
  }

  @Test
  void differentCredentialsOrCookies_areNeverCoalescedByDefault_unlessShared() throws Exception {
    CoalescingInterceptor coalescer =
        start(CoalescingInterceptor.builder().build(), Backend.ok("private"));
    String url = "http://" + server.endpoint().address() + "/me";
    List<Request> requests =
        List.of(
            new Request.Builder().url(url).header("Authorization", "Bearer alice").build(),
            new Request.Builder().url(url).header("Authorization", "Bearer bob").build(),
            new Request.Builder().url(url).header("Cookie", "session=carol").build());
    List<Object> outcomes = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Request r : requests) {
      threads.add(callInThread(client.newCall(r), outcomes));
    }

    spinUntil(() -> server.requests() == 3); // each made its own call
    assertThat(coalescer.waiting()).isZero();
    release.countDown();
    for (Thread t : threads) {
      t.join(20_000);
    }
    assertThat(outcomes).containsOnly("200 private").hasSize(3);
    assertThat(CoalescingInterceptor.builder().shareAcrossCredentials(true).build().toString())
        .isEqualTo("CoalescingInterceptor{key=[], maxBodyBytes=1048576}");
    assertThat(coalescer.toString()).contains("authorization", "proxy-authorization", "cookie");
  }
}
