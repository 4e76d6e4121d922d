package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Asynchronous calls per logical service are not capped at OkHttp's 5 per host: three real servers
 * on 127.0.0.1 hold every request until the test releases them, so what is in flight at once can be
 * counted at the servers.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsyncConcurrencyTest {
  private final List<Backend> backends = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private OkHttpClient client = new OkHttpClient();

  @AfterEach
  void tearDown() {
    release.countDown();
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
    backends.forEach(Backend::close);
  }

  private LoadBalancer held(CountDownLatch arrived) throws IOException {
    for (String n : List.of("a", "b", "c")) {
      Backend b = Backend.start(n);
      b.answer(
          r -> {
            arrived.countDown();
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return Backend.ok(n);
          });
      backends.add(b);
    }
    return LoadBalancer.builder()
        .name("users")
        .strategy(Strategies.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(backends.stream().map(Backend::endpoint).toList())
        .build();
  }

  private static CountDownLatch enqueue(OkHttpClient c, int calls) {
    CountDownLatch done = new CountDownLatch(calls);
    for (int i = 0; i < calls; i++) {
      c.newCall(new Request.Builder().url("http://users/slow").build())
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  done.countDown();
                }

                @Override
                public void onResponse(Call call, Response response) {
                  response.close();
                  done.countDown();
                }
              });
    }
    return done;
  }

  @Test
  void enqueue_defaultCap_runsFarMoreThanFivePerServiceAtOnce() throws Exception {
    CountDownLatch arrived = new CountDownLatch(30);
    LoadBalancingInterceptor lb =
        LoadBalancingInterceptor.builder().service(Service.of("users", held(arrived))).build();
    client = lb.newClient();

    CountDownLatch done = enqueue(client, 30);

    assertThat(arrived.await(20, TimeUnit.SECONDS)).as("30 calls in flight at once").isTrue();
    assertThat(lb.maxRequestsPerService()).as("32 per endpoint, 3 endpoints").isEqualTo(96);
    assertThat(client.dispatcher().getMaxRequestsPerHost()).isEqualTo(96);
    release.countDown();
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(backends.stream().mapToInt(Backend::requests).sum()).isEqualTo(30);
  }

  @Test
  void enqueue_configuredCap_queuesTheRest_andSizesByEndpoints() throws Exception {
    CountDownLatch arrived = new CountDownLatch(7);
    LoadBalancer balancer = held(arrived);
    LoadBalancingInterceptor lb =
        LoadBalancingInterceptor.builder()
            .service(Service.of("users", balancer))
            .maxRequestsPerService(7)
            .build();
    client = lb.newClient();

    CountDownLatch done = enqueue(client, 12);

    assertThat(arrived.await(20, TimeUnit.SECONDS)).isTrue();
    // The dispatcher promotes calls when they are enqueued or finish: none finished yet.
    assertThat(client.dispatcher().runningCallsCount()).isEqualTo(7);
    assertThat(client.dispatcher().queuedCallsCount()).isEqualTo(5);
    release.countDown();
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(backends.stream().mapToInt(Backend::requests).sum()).isEqualTo(12);

    LoadBalancingInterceptor perEndpoint =
        LoadBalancingInterceptor.builder()
            .service(Service.of("users", balancer))
            .maxRequestsPerEndpoint(40)
            .build();
    assertThat(perEndpoint.maxRequestsPerService())
        .as("40 per endpoint, 3 endpoints")
        .isEqualTo(120);
  }

  @Test
  void newClient_connectionPool_keepsIdleConnectionsPerEndpoint_notFiveInAll() throws Exception {
    CountDownLatch arrived = new CountDownLatch(30);
    LoadBalancingInterceptor lb =
        LoadBalancingInterceptor.builder()
            .service(Service.of("users", held(arrived)))
            .idleConnectionsPerEndpoint(4)
            .build();
    client = lb.newClient();

    CountDownLatch done = enqueue(client, 30);
    assertThat(arrived.await(20, TimeUnit.SECONDS)).isTrue();
    // 30 calls at once over HTTP/1: a connection each, 10 per endpoint.
    assertThat(client.connectionPool().connectionCount()).isEqualTo(30);
    release.countDown();
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();

    // The pool's cleanup (OkHttp's own task) closes idle connections beyond 4 per endpoint x 3;
    // OkHttp's default pool would keep 5 in all.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (client.connectionPool().idleConnectionCount() > 12 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(client.connectionPool().idleConnectionCount()).isEqualTo(12);
  }
}
