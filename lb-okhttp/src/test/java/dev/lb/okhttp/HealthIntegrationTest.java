package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The adapter with lb-core's health lifecycle, against real servers on 127.0.0.1: passive ejection
 * from the outcomes the interceptor reports, and active checks through {@link HttpHealthChecker}.
 * Health timing runs on the system scheduler; the tests wait on latches fed by the balancer's
 * listener, never on elapsed time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthIntegrationTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final OkHttpClient base = new OkHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    base.dispatcher().executorService().shutdownNow();
    base.connectionPool().evictAll();
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

  /** Counts down on the first matching event. */
  private static final class Events extends LoadBalancerListener {
    final CountDownLatch ejected = new CountDownLatch(1);
    final CountDownLatch restored = new CountDownLatch(1);
    final CountDownLatch unhealthy = new CountDownLatch(1);
    final CountDownLatch healthyAgain = new CountDownLatch(1);
    final AtomicInteger probesAtHealthy = new AtomicInteger(-1);
    volatile Backend probed;

    @Override
    public void onEjected(LoadBalancer b, Endpoint e, String reason, Duration time) {
      ejected.countDown();
    }

    @Override
    public void onRestored(LoadBalancer b, Endpoint e) {
      restored.countDown();
    }

    @Override
    public void onHealthChanged(
        LoadBalancer b,
        Endpoint e,
        HealthStatus from,
        HealthStatus to,
        HealthChangeCause cause,
        String reason) {
      if (to == HealthStatus.UNHEALTHY) {
        unhealthy.countDown();
      } else if (to == HealthStatus.HEALTHY && unhealthy.getCount() == 0) {
        Backend p = probed;
        probesAtHealthy.compareAndSet(-1, p == null ? 0 : p.requestsTo("/health"));
        healthyAgain.countDown();
      }
    }
  }

  @Test
  void serverKilledMidRun_zeroCallerFailures_ejectedAfterThreshold_readmittedWhenBack()
      throws Exception {
    List<Backend> servers = backends("a", "b", "c");
    Events events = new Events();
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .endpoints(servers.stream().map(Backend::endpoint).toList())
            .outlierDetection(
                OutlierDetection.builder()
                    .consecutiveFailures(3)
                    .successRate(false)
                    .maxEjectionPercent(50)
                    .baseEjectionTime(Duration.ofSeconds(2))
                    .build())
            .listener(new LoggingListener())
            .listener(events)
            .build();
    OkHttpClient client =
        LoadBalancingInterceptor.builder().service("users", lb).build().newClient(base);
    int failures = 0;
    Backend b = servers.get(1);

    for (int i = 0; i < 60; i++) {
      failures += get(client, "http://users/").startsWith("200 ") ? 0 : 1;
    }
    b.kill();
    while (events.ejected.getCount() > 0) {
      failures += get(client, "http://users/").startsWith("200 ") ? 0 : 1;
    }
    long failuresWhenEjected = stats(lb, "b").failures();
    int servedBeforeRevival = b.requests();
    for (int i = 0; i < 30; i++) {
      failures += get(client, "http://users/").startsWith("200 ") ? 0 : 1;
    }
    long failuresWhileEjected = stats(lb, "b").failures() - failuresWhenEjected;
    b.revive();
    assertThat(events.restored.await(20, TimeUnit.SECONDS)).as("b restored").isTrue();
    for (int i = 0; i < 60; i++) {
      failures += get(client, "http://users/").startsWith("200 ") ? 0 : 1;
    }

    assertThat(failures).as("failures the caller saw").isZero();
    assertThat(failuresWhenEjected).as("failed attempts on b before its ejection").isEqualTo(3);
    assertThat(failuresWhileEjected).as("attempts on b while ejected").isZero();
    assertThat(b.requests() - servedBeforeRevival).as("calls b served once back").isPositive();
  }

  @Test
  void activeCheck_health503MarksDown_andRiseThresholdMarksUpAgain() throws Exception {
    List<Backend> servers = backends("a", "b");
    Backend a = servers.get(0);
    Events events = new Events();
    events.probed = a;
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .endpoints(servers.stream().map(Backend::endpoint).toList())
            .outlierDetection(OutlierDetection.disabled())
            .healthCheck(
                HealthCheckConfig.builder(
                        HttpHealthChecker.builder().client(base).path("/health").build())
                    .interval(Duration.ofMillis(50))
                    .unhealthyInterval(Duration.ofMillis(50))
                    .timeout(Duration.ofSeconds(2))
                    .unhealthyThreshold(2)
                    .healthyThreshold(3)
                    .build())
            .listener(new LoggingListener())
            .listener(events)
            .build();
    cleanup.add(() -> lb.setEndpoints(List.of())); // stops the checks
    OkHttpClient client =
        LoadBalancingInterceptor.builder().service("users", lb).build().newClient(base);
    AtomicInteger healthStatus = new AtomicInteger(503);
    a.answer(
        r ->
            r.getUrl().encodedPath().equals("/health")
                ? Backend.status(healthStatus.get())
                : Backend.ok("a"));

    assertThat(events.unhealthy.await(20, TimeUnit.SECONDS)).as("a marked down").isTrue();
    int servedWhileDown = a.requestsTo("/");
    for (int i = 0; i < 20; i++) {
      assertThat(get(client, "http://users/")).isEqualTo("200 b");
    }
    int probesBeforeRecovery = a.requestsTo("/health");
    healthStatus.set(200);
    assertThat(events.healthyAgain.await(20, TimeUnit.SECONDS)).as("a marked up").isTrue();

    assertThat(a.requestsTo("/")).isEqualTo(servedWhileDown);
    assertThat(events.probesAtHealthy.get() - probesBeforeRecovery)
        .as("passing probes before a was marked up")
        .isGreaterThanOrEqualTo(3);
    int served = 0;
    for (int i = 0; i < 20; i++) {
      served += get(client, "http://users/").equals("200 a") ? 1 : 0;
    }
    assertThat(served).as("a takes calls again").isPositive();
  }
}
