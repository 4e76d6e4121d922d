package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.LoadReport;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ORCA's {@code endpoint-load-metrics} header over real HTTP on 127.0.0.1: parsed into the
 * endpoint's load report, driving {@code orca_weighted_round_robin}; a header that does not parse
 * never fails the call.
 */
class LoadReportHeaderTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private OkHttpClient client = new OkHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private Backend backend(String name, String header) throws IOException {
    Backend b = Backend.start(name);
    cleanup.add(b);
    b.answer(
        r ->
            new MockResponse.Builder()
                .code(200)
                .addHeader(OrcaHeader.NAME, header)
                .body(name)
                .build());
    return b;
  }

  private LoadBalancer balancer(List<Backend> backends) {
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .ticker(ticker)
            .scheduler(scheduler)
            .random(new SplittableRandom(5))
            .strategy(Strategies.orcaWeightedRoundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(backends.stream().map(Backend::endpoint).toList())
            .build();
    cleanup.add(lb);
    client =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).build())
            .build()
            .newClient();
    return lb;
  }

  private int callsTo(String name, int calls) throws IOException {
    int hits = 0;
    for (int i = 0; i < calls; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://users/").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        hits += r.body().string().equals(name) ? 1 : 0;
      }
    }
    return hits;
  }

  private static EndpointStats stats(LoadBalancer lb, Backend b) {
    return lb.stats().endpoints().stream()
        .filter(e -> e.endpoint().id().equals(b.endpoint().id()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void trafficShiftsToTheServerReportingLowerUtilization() throws IOException {
    Backend cool = backend("cool", "TEXT cpu_utilization=0.3, rps_fractional=100");
    Backend hot =
        backend("hot", "TEXT cpu_utilization=0.9, rps_fractional=100, named_metrics.queue=12");
    LoadBalancer lb = balancer(List.of(cool, hot));

    assertThat(callsTo("cool", 200) / 200.0)
        .as("in blackout: static weights")
        .isCloseTo(0.5, within(0.05));
    LoadReport report = stats(lb, hot).loadReport();
    assertThat(report).isNotNull();
    assertThat(report.cpuUtilization()).isEqualTo(0.9);
    assertThat(report.requestsPerSecond()).isEqualTo(100.0);
    assertThat(report.namedMetrics()).containsEntry("queue", 12.0);

    scheduler.advance(Duration.ofSeconds(11)); // past the blackout, with weight updates
    // Weights 100 / 0.3 and 100 / 0.9: three calls to the cool server for one to the hot one.
    assertThat(callsTo("cool", 400) / 400.0).isCloseTo(0.75, within(0.05));
  }

  @Test
  void malformedOrUnsupportedHeaders_neverFailTheCall_andAreIgnored() throws IOException {
    List<Backend> backends =
        List.of(
            backend("bad-number", "TEXT cpu_utilization=lots"),
            backend("out-of-range", "TEXT mem_utilization=3"),
            backend("json", "JSON {\"cpu_utilization\": 0.3}"),
            backend("bin", "BIN CAE="),
            backend("no-pair", "TEXT cpu_utilization"));
    LoadBalancer lb = balancer(backends);
    callsTo("none", 20);
    for (Backend b : backends) {
      assertThat(stats(lb, b).successes()).as(b.name()).isPositive();
      assertThat(stats(lb, b).loadReport()).as(b.name()).isNull();
    }
  }

  @Test
  void parse_textFormat() {
    LoadReport r =
        OrcaHeader.parse(
            "TEXT cpu_utilization=0.3, mem_utilization=0.5,application_utilization=0.4,"
                + " rps_fractional=10, eps=0.5, named_metrics.foo=1, request_cost.db=3,"
                + " utilization.disk=0.2, future_field=9");
    assertThat(r).isNotNull();
    assertThat(r.cpuUtilization()).isEqualTo(0.3);
    assertThat(r.memoryUtilization()).isEqualTo(0.5);
    assertThat(r.applicationUtilization()).isEqualTo(0.4);
    assertThat(r.requestsPerSecond()).isEqualTo(10.0);
    assertThat(r.errorsPerSecond()).isEqualTo(0.5);
    assertThat(r.namedMetrics()).containsExactlyEntriesOf(java.util.Map.of("foo", 1.0));
    assertThat(r.requestCost()).containsEntry("db", 3.0);
    assertThat(r.utilization()).containsEntry("disk", 0.2);
    assertThat(OrcaHeader.parse("TEXT")).isEqualTo(LoadReport.empty());
    assertThat(OrcaHeader.parse("text cpu_utilization=1")).isNotNull();
    assertThat(OrcaHeader.parse("TEXT cpu_utilization=-1")).isNull();
    assertThat(OrcaHeader.parse("TEXT cpu_utilization=0.1,")).isNull();
    assertThat(OrcaHeader.parse("TEXT named_metrics.=1")).isNull();
    assertThat(OrcaHeader.parse("cpu_utilization=0.1")).isNull();
    assertThat(OrcaHeader.parse("")).isNull();
  }
}
