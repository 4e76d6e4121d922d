package dev.lb.examples;

import dev.lb.BalancerStats;
import dev.lb.EndpointStats;
import java.util.Locale;

/**
 * The demo's metrics as CSV, one row per endpoint per frame, for {@code docs/plot_demo_metrics.py}:
 * the seconds into the run, the endpoint, its health, calls in flight, cumulative successes and
 * failures, its effective weight, and its recent latency p50 and p99 in milliseconds (empty without
 * samples).
 */
final class MetricsCsv {
  static final String HEADER =
      "seconds,endpoint,health,in_flight,successes,failures,weight_percent,p50_ms,p99_ms\n";

  private MetricsCsv() {}

  static void append(StringBuilder csv, long elapsedNanos, BalancerStats stats) {
    for (EndpointStats e : stats.endpoints()) {
      csv.append(String.format(Locale.ROOT, "%.3f", elapsedNanos / 1e9))
          .append(',')
          .append(e.endpoint().id())
          .append(',')
          .append(e.health().name())
          .append(',')
          .append(e.inFlight())
          .append(',')
          .append(e.successes())
          .append(',')
          .append(e.failures())
          .append(',')
          .append(e.effectiveWeightPercent())
          .append(',')
          .append(millis(e.latencyP50Nanos()))
          .append(',')
          .append(millis(e.latencyP99Nanos()))
          .append('\n');
    }
  }

  private static String millis(double nanos) {
    return Double.isNaN(nanos) ? "" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }
}
