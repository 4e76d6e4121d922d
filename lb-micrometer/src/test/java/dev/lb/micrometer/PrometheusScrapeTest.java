package dev.lb.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.health.OutlierDetection;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The meters as Prometheus scrapes them: the exposition text parsed back into samples. */
class PrometheusScrapeTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  /** One sample line: a metric name, its labels, its value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      assertThat(m.matches()).as("exposition line: %s", line).isTrue();
      Map<String, String> labels = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return samples;
  }

  static double value(List<Sample> samples, String name, String... labelPairs) {
    List<Sample> found = new ArrayList<>();
    outer:
    for (Sample s : samples) {
      if (!s.name().equals(name)) {
        continue;
      }
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
          continue outer;
        }
      }
      found.add(s);
    }
    assertThat(found).as("samples of %s %s", name, List.of(labelPairs)).hasSize(1);
    return found.get(0).value();
  }

  static long count(List<Sample> samples, String name) {
    return samples.stream().filter(s -> s.name().equals(name)).count();
  }

  @Test
  void scrape_afterScriptedTrafficAndChurn_parsesBackToTheBalancersCounts() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (LoadBalancer balancer =
        LoadBalancer.builder()
            .name("orders")
            .ticker(ticker)
            .scheduler(scheduler)
            .outlierDetection(OutlierDetection.builder().consecutiveFailures(2).build())
            .endpoints(
                List.of(
                    Endpoint.builder("10.0.0.1", 80).id("a").zone("z1").build(),
                    Endpoint.builder("10.0.0.2", 80).id("b").zone("z1").build()))
            .build()) {
      LoadBalancerMetrics metrics =
          LoadBalancerMetrics.builder(balancer).percentiles(0.5).statsMaxAge(Duration.ZERO).build();
      metrics.bindTo(registry);
      PickContext onlyA = PickContext.builder().exclude("b").build();
      PickContext onlyB = PickContext.builder().exclude("a").build();
      for (int i = 0; i < 20; i++) {
        balancer.pick(onlyA).onSuccess(4_000_000L);
      }
      balancer.pick(onlyB).onFailure(2_000_000L, new IOException("refused"));
      balancer.pick(onlyB).onFailure(2_000_000L, new IOException("refused")); // ejected
      // Churn: a hundred endpoints come and go.
      for (int i = 0; i < 100; i++) {
        balancer.addEndpoint(Endpoint.builder("10.0.1." + i, 80).id("tmp" + i).build());
        balancer.removeEndpoint("tmp" + i);
      }
      scheduler.runDue();

      List<Sample> s = parse(registry.scrape());
      assertThat(value(s, "lb_calls_total", "endpoint", "a", "outcome", "success")).isEqualTo(20);
      assertThat(value(s, "lb_calls_total", "endpoint", "b", "outcome", "failure")).isEqualTo(2);
      assertThat(value(s, "lb_calls_in_flight", "endpoint", "a", "zone", "z1")).isZero();
      assertThat(value(s, "lb_call_duration_seconds_count", "endpoint", "a", "outcome", "success"))
          .isEqualTo(20);
      assertThat(value(s, "lb_call_duration_seconds_sum", "endpoint", "a", "outcome", "success"))
          .isCloseTo(0.080, within(1e-9));
      assertThat(
              value(
                  s,
                  "lb_call_duration_seconds",
                  "endpoint",
                  "a",
                  "outcome",
                  "success",
                  "quantile",
                  "0.5"))
          .isCloseTo(0.004, within(0.0005));
      assertThat(value(s, "lb_endpoint_state", "endpoint", "b", "state", "ejected")).isEqualTo(1);
      assertThat(value(s, "lb_endpoints", "balancer", "orders", "state", "healthy")).isEqualTo(1);
      assertThat(value(s, "lb_endpoints_unhealthy", "balancer", "orders")).isEqualTo(1);
      assertThat(value(s, "lb_ejections_total", "cause", "consecutive_failures")).isEqualTo(1);
      assertThat(value(s, "lb_panic", "balancer", "orders")).isZero();
      // Only the two remaining endpoints have endpoint-level series.
      assertThat(count(s, "lb_calls_in_flight")).isEqualTo(2);
      assertThat(s.stream().filter(x -> x.labels().getOrDefault("endpoint", "").startsWith("tmp")))
          .isEmpty();
      metrics.close();
    }
  }
}
