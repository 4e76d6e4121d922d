package dev.lb.statspage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.micrometer.LoadBalancerMetrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "Metrics and monitoring" snippet, compiled and run: keep the two in step (the one
 * difference is the port, ephemeral here so that tests never collide).
 */
class ReadmeMetricsSnippetTest {
  @Test
  void readmeSnippet_bindsTheMeters_andServesThePage() throws Exception {
    try (LoadBalancer balancer =
        LoadBalancer.builder().endpoints(List.of(Endpoint.of("10.0.0.1", 8080))).build()) {
      // --- as in the README ---
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      LoadBalancerMetrics metrics =
          LoadBalancerMetrics.builder(balancer)
              .tags(Tags.of("app", "checkout"))
              .percentiles(0.5, 0.99) // client-side, per endpoint and outcome
              .percentileHistogram(true) // aggregable: histogram_quantile() in Prometheus
              .build();
      metrics.bindTo(registry);

      StatsPage page =
          StatsPage.builder() // off unless started; 127.0.0.1 unless .address(...) says otherwise
              .balancer(balancer)
              .port(0)
              .prometheus(registry::scrape)
              .start();
      System.out.println("lb stats at " + page.uri());
      // --- end ---
      try (page;
          metrics) {
        balancer.pick().onSuccess(3_000_000L);
        assertThat(registry.scrape())
            .contains("lb_call_duration_seconds_bucket{")
            .contains("app=\"checkout\"");
        assertThat(page.uri().toString()).startsWith("http://127.0.0.1:");
      }
    }
  }
}
