package dev.lb.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.PickContext;
import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.retry.RetryBudget;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every instrument's value after scripted traffic, read back by the SDK's in-memory reader. */
class LoadBalancerTelemetryTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider provider =
      SdkMeterProvider.builder().registerMetricReader(reader).build();
  private final LoadBalancer balancer =
      LoadBalancer.builder()
          .name("users")
          .ticker(ticker)
          .scheduler(scheduler)
          .outlierDetection(OutlierDetection.builder().consecutiveFailures(2).build())
          .retryBudget(RetryBudget.builder().ticker(ticker).build())
          .endpoints(
              List.of(
                  Endpoint.builder("10.0.0.1", 8080).id("a").zone("z1").build(),
                  Endpoint.builder("10.0.0.2", 8081).id("b").build(),
                  Endpoint.builder("10.0.0.3", 8082).id("c").build()))
          .build();

  @AfterEach
  void close() {
    balancer.close();
    provider.close();
  }

  private static PickContext only(String id) {
    PickContext.Builder b = PickContext.builder();
    for (String other : List.of("a", "b", "c")) {
      if (!other.equals(id)) {
        b.exclude(other);
      }
    }
    return b.build();
  }

  private static MetricData metric(Collection<MetricData> all, String name) {
    return all.stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in " + names(all)));
  }

  private static List<String> names(Collection<MetricData> all) {
    List<String> names = new ArrayList<>();
    all.forEach(m -> names.add(m.getName()));
    return names;
  }

  private static boolean matches(Attributes a, String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      Object v = a.get(AttributeKey.stringKey(pairs[i]));
      if (!pairs[i + 1].equals(v)) {
        return false;
      }
    }
    return true;
  }

  /** The one long point (sum or gauge) of {@code name} with these string attributes. */
  private static long value(Collection<MetricData> all, String name, String... pairs) {
    MetricData m = metric(all, name);
    Collection<LongPointData> points =
        switch (m.getType()) {
          case LONG_SUM -> m.getLongSumData().getPoints();
          case LONG_GAUGE -> m.getLongGaugeData().getPoints();
          default -> throw new AssertionError(name + " is a " + m.getType());
        };
    List<LongPointData> found = new ArrayList<>();
    for (LongPointData p : points) {
      if (matches(p.getAttributes(), pairs)) {
        found.add(p);
      }
    }
    assertThat(found).as("%s %s in %s", name, List.of(pairs), points).hasSize(1);
    return found.get(0).getValue();
  }

  private static HistogramPointData histogram(
      Collection<MetricData> all, String name, String... pairs) {
    List<HistogramPointData> found = new ArrayList<>();
    for (HistogramPointData p : metric(all, name).getHistogramData().getPoints()) {
      if (matches(p.getAttributes(), pairs)) {
        found.add(p);
      }
    }
    assertThat(found).as("%s %s", name, List.of(pairs)).hasSize(1);
    return found.get(0);
  }

  @Test
  void concurrencyLimits_reportedWhereConfigured() {
    LoadBalancer limited =
        LoadBalancer.builder()
            .name("limited")
            .ticker(ticker)
            .scheduler(scheduler)
            .maxInFlightPerEndpoint(3)
            .concurrencyLimit(ConcurrencyLimits.fixed(2))
            .endpoints(List.of(Endpoint.builder("10.0.0.9", 8080).id("z").build()))
            .build();
    LoadBalancerTelemetry telemetry =
        LoadBalancerTelemetry.builder(provider.get(LoadBalancerTelemetry.SCOPE), limited).build();
    try {
      Lease one = limited.pick();
      Lease two = limited.pick();
      var waiting = limited.pickAsync(PickContext.none(), java.time.Duration.ofSeconds(1));
      Collection<MetricData> m = reader.collectAllMetrics();
      assertThat(value(m, "lb.endpoint.concurrency_limit", "lb.endpoint.id", "z")).isEqualTo(3);
      assertThat(value(m, "lb.concurrency_limit", "lb.balancer", "limited")).isEqualTo(2);
      assertThat(value(m, "lb.picks.waiting", "lb.balancer", "limited")).isEqualTo(1);
      one.onSuccess(1_000_000L);
      two.onSuccess(1_000_000L);
      waiting.join().onSuccess(1_000_000L);
      assertThat(value(reader.collectAllMetrics(), "lb.picks.waiting", "lb.balancer", "limited"))
          .isZero();
    } finally {
      telemetry.close();
      limited.close();
    }
  }

  @Test
  void instruments_afterScriptedTraffic() {
    LoadBalancerTelemetry telemetry =
        LoadBalancerTelemetry.builder(provider.get(LoadBalancerTelemetry.SCOPE), balancer).build();
    for (int i = 1; i <= 10; i++) {
      balancer.pick(only("a")).onSuccess(i * 1_000_000L);
    }
    balancer.pick(only("b")).onFailure(20_000_000L, new IOException("reset"));
    balancer.pick(only("b")).onFailure(30_000_000L, null); // second failure: ejected
    balancer.pick(only("c")).onCancel();
    balancer.pick(only("c")); // in flight
    assertThat(balancer.tryPick(PickContext.builder().exclude("a").exclude("c").build())).isNull();

    Collection<MetricData> m = reader.collectAllMetrics();
    assertThat(value(m, "lb.calls", "lb.endpoint.id", "a", "lb.outcome", "success")).isEqualTo(10);
    assertThat(value(m, "lb.calls", "lb.endpoint.id", "b", "lb.outcome", "failure")).isEqualTo(2);
    assertThat(value(m, "lb.calls", "lb.endpoint.id", "c", "lb.outcome", "cancelled")).isEqualTo(1);
    assertThat(value(m, "lb.calls.in_flight", "lb.endpoint.id", "c")).isEqualTo(1);
    assertThat(value(m, "lb.endpoint.state", "lb.endpoint.id", "b", "lb.state", "ejected"))
        .isEqualTo(1);
    assertThat(value(m, "lb.endpoint.state", "lb.endpoint.id", "a", "lb.state", "ejected"))
        .isZero();
    assertThat(value(m, "lb.endpoint.ejections", "lb.endpoint.id", "b")).isEqualTo(1);
    assertThat(value(m, "lb.endpoints", "lb.state", "healthy")).isEqualTo(2);
    assertThat(value(m, "lb.endpoints", "lb.state", "ejected")).isEqualTo(1);
    assertThat(value(m, "lb.panic", "lb.balancer", "users")).isZero();
    assertThat(value(m, "lb.healthy_percent", "lb.balancer", "users")).isEqualTo(66);
    assertThat(value(m, "lb.ejections", "lb.cause", "consecutive_failures")).isEqualTo(1);
    assertThat(value(m, "lb.health.changes", "lb.state", "ejected", "lb.cause", "ejected"))
        .isEqualTo(1);
    assertThat(value(m, "lb.no_endpoint", "lb.reason", "all_excluded")).isEqualTo(1);
    assertThat(value(m, "lb.retry_budget.remaining", "lb.balancer", "users"))
        .isEqualTo(balancer.retryBudget().remaining());
    assertThat(value(m, "lb.endpoint.rate_limited", "lb.endpoint.id", "a")).isZero();
    // No concurrency limit configured: no limit instruments reported.
    assertThat(names(m)).doesNotContain("lb.concurrency_limit", "lb.endpoint.concurrency_limit");

    HistogramPointData a =
        histogram(m, "lb.client.call.duration", "lb.endpoint.id", "a", "lb.outcome", "success");
    assertThat(a.getCount()).isEqualTo(10);
    assertThat(a.getSum()).isCloseTo(0.055, within(1e-9));
    assertThat(a.getAttributes().get(AttributeKey.stringKey("server.address")))
        .isEqualTo("10.0.0.1");
    assertThat(a.getAttributes().get(AttributeKey.longKey("server.port"))).isEqualTo(8080L);
    assertThat(a.getAttributes().get(AttributeKey.stringKey("lb.endpoint.zone"))).isEqualTo("z1");
    assertThat(metric(m, "lb.client.call.duration").getUnit()).isEqualTo("s");
    assertThat(
            histogram(m, "lb.client.call.duration", "error.type", "java.io.IOException").getCount())
        .isEqualTo(1);
    assertThat(histogram(m, "lb.client.call.duration", "error.type", "_OTHER").getSum())
        .isCloseTo(0.030, within(1e-9));
    telemetry.close();
  }

  @Test
  void churn_endpointsThatLeft_areNoLongerReported_andNothingGrows() {
    LoadBalancerTelemetry telemetry =
        LoadBalancerTelemetry.builder(provider.get(LoadBalancerTelemetry.SCOPE), balancer).build();
    for (int i = 0; i < 2_000; i++) {
      String id = "tmp" + i;
      balancer.addEndpoint(
          Endpoint.builder("10.1." + (i / 250) + "." + (i % 250), 80).id(id).build());
      balancer
          .pick(PickContext.builder().exclude("a").exclude("b").exclude("c").build())
          .onSuccess(1_000);
      balancer.removeEndpoint(id);
      scheduler.runDue();
      if (i % 500 == 0) {
        reader.collectAllMetrics();
      }
    }
    Collection<MetricData> m = reader.collectAllMetrics();
    assertThat(metric(m, "lb.calls.in_flight").getLongSumData().getPoints()).hasSize(3);
    assertThat(telemetry.cachedEndpoints()).isLessThanOrEqualTo(3);
    telemetry.close();
  }

  @Test
  void httpClientDuration_usesTheSemanticConventionsName_andCreateUsesTheSdk() {
    LoadBalancerTelemetry http =
        LoadBalancerTelemetry.builder(provider.get(LoadBalancerTelemetry.SCOPE), balancer)
            .httpClientDuration(true)
            .build();
    balancer.pick().onSuccess(2_000_000L);
    assertThat(names(reader.collectAllMetrics())).contains("http.client.request.duration");
    http.close();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(provider).build();
    LoadBalancerTelemetry t = LoadBalancerTelemetry.create(sdk, balancer);
    t.close();
    t.close(); // idempotent
    assertThatThrownBy(() -> LoadBalancerTelemetry.create(null, balancer))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("openTelemetry");
  }

  @Test
  void afterClose_nothingMoreIsRecorded() {
    LoadBalancerTelemetry t =
        LoadBalancerTelemetry.builder(provider.get(LoadBalancerTelemetry.SCOPE), balancer).build();
    t.close();
    balancer.pick().onSuccess(1);
    balancer.setEndpoints(List.of());
    assertThatThrownBy(balancer::pick).isInstanceOf(NoEndpointAvailableException.class);
    assertThat(names(reader.collectAllMetrics()))
        .doesNotContain("lb.calls", "lb.no_endpoint", "lb.client.call.duration");
  }

  @Test
  void ejectionCause_fromEachDetectorsReason() {
    assertThat(LoadBalancerTelemetry.ejectionCause("2 consecutive failures"))
        .isEqualTo("consecutive_failures");
    assertThat(LoadBalancerTelemetry.ejectionCause("success rate 1.0% below the group's"))
        .isEqualTo("success_rate");
    assertThat(LoadBalancerTelemetry.ejectionCause("failure percentage 90.0%"))
        .isEqualTo("failure_percentage");
    assertThat(LoadBalancerTelemetry.ejectionCause("new")).isEqualTo("other");
  }
}
