package dev.lb.benchmarks.sim;

import java.util.List;
import java.util.Locale;

/**
 * Renders simulation results as a markdown table, CSV, and SVG plots drawn by hand (no plotting
 * library): latency percentiles per policy on a log scale, and each policy's split of calls over
 * the backends. Stateless and thread-safe.
 */
public final class Report {
  private static final String[] BAR_COLOURS = {"#9ecae1", "#3182bd", "#08306b"};

  private Report() {}

  /**
   * A markdown table of one scenario's results.
   *
   * @param scenario the scenario
   * @param results its results, in policy order
   * @return the heading, description and table
   */
  public static String markdown(Scenario scenario, List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("### ").append(scenario.name()).append("\n\n");
    sb.append(scenario.description())
        .append(String.format(Locale.ROOT, " (%.0f calls/s).%n%n", scenario.arrivalsPerSecond()));
    int odd = scenario.oddBackends();
    String oddColumn =
        odd == 0 ? "" : odd == 1 ? " backend 0 share |" : " backends 0-" + (odd - 1) + " share |";
    sb.append("| policy | success | mean ms | p50 ms | p99 ms | p99.9 ms | max/avg load |")
        .append(oddColumn)
        .append('\n');
    sb.append(odd == 0 ? "|---|--:|--:|--:|--:|--:|--:|\n" : "|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Result r : results) {
      double oddShare = 0;
      for (int i = 0; i < odd; i++) {
        oddShare += r.share(i);
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f%% | %.1f | %.1f | %.1f | %.1f | %.2f |",
              r.policy(),
              r.successRate() * 100,
              r.meanMillis(),
              r.p50Millis(),
              r.p99Millis(),
              r.p999Millis(),
              r.maxOverAvgLoad()));
      sb.append(odd == 0 ? "\n" : String.format(Locale.ROOT, " %.1f%% |%n", oddShare * 100));
    }
    return sb.append('\n').toString();
  }

  /**
   * The CSV header matching {@link #csvRow}.
   *
   * @return one line, without a line break
   */
  public static String csvHeader() {
    return "scenario,policy,calls,success_rate,mean_ms,p50_ms,p99_ms,p999_ms,max_over_avg_load,"
        + "calls_per_backend";
  }

  /**
   * One result as a CSV row; the per-backend counts are joined with {@code ;}.
   *
   * @param r the result
   * @return one line, without a line break
   */
  public static String csvRow(Result r) {
    StringBuilder perBackend = new StringBuilder();
    for (long c : r.callsPerBackend()) {
      if (perBackend.length() > 0) {
        perBackend.append(';');
      }
      perBackend.append(c);
    }
    return String.format(
        Locale.ROOT,
        "%s,%s,%d,%.6f,%.3f,%.3f,%.3f,%.3f,%.4f,%s",
        r.scenario(),
        r.policy(),
        r.calls(),
        r.successRate(),
        r.meanMillis(),
        r.p50Millis(),
        r.p99Millis(),
        r.p999Millis(),
        r.maxOverAvgLoad(),
        perBackend);
  }

  /**
   * Horizontal bars of p50, p99 and p99.9 latency per policy, log scale from 1 ms.
   *
   * @param scenario the scenario
   * @param results its results
   * @return a standalone SVG document
   */
  public static String latencySvg(Scenario scenario, List<Result> results) {
    int left = 190;
    int width = 640;
    int row = 34;
    int top = 50;
    int height = top + results.size() * row + 40;
    double max = 1;
    for (Result r : results) {
      max = Math.max(max, r.p999Millis());
    }
    double decades = Math.max(1, Math.ceil(Math.log10(max)));
    StringBuilder svg = header(left + width + 90, height);
    text(svg, 10, 22, 15, "bold", scenario.name() + ": latency per policy (ms, log scale)");
    text(svg, left + width + 12, 38, 11, "bold", "success");
    legend(svg, left, 38, new String[] {"p50", "p99", "p99.9"}, BAR_COLOURS);
    for (int d = 0; d <= decades; d++) {
      double x = left + width * d / decades;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>%n",
              x,
              top - 4,
              x,
              height - 30));
      text(svg, x - 8, height - 14, 11, "normal", fmt(Math.pow(10, d)));
    }
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      int y = top + i * row;
      text(svg, 10, y + 18, 12, "normal", r.policy());
      double[] values = {r.p50Millis(), r.p99Millis(), r.p999Millis()};
      for (int k = 0; k < 3; k++) {
        double v = Math.max(1, values[k]);
        double w = width * Math.log10(v) / decades;
        svg.append(
            String.format(
                Locale.ROOT,
                "<rect x='%d' y='%d' width='%.1f' height='9' fill='%s'><title>%s %s: %.1f ms</title></rect>%n",
                left,
                y + 2 + k * 10,
                Math.max(1, w),
                BAR_COLOURS[k],
                r.policy(),
                k == 0 ? "p50" : k == 1 ? "p99" : "p99.9",
                values[k]));
      }
      text(
          svg,
          left + width + 12,
          y + 18,
          11,
          "normal",
          String.format(Locale.ROOT, "%.2f%%", r.successRate() * 100));
    }
    return svg.append("</svg>\n").toString();
  }

  /**
   * One 100% bar per policy split into each backend's share of calls; backend 0 (the odd one) red.
   *
   * @param scenario the scenario
   * @param results its results
   * @return a standalone SVG document
   */
  public static String loadSvg(Scenario scenario, List<Result> results) {
    int left = 190;
    int width = 640;
    int row = 24;
    int top = 50;
    int height = top + results.size() * row + 20;
    StringBuilder svg = header(left + width + 80, height);
    text(svg, 10, 22, 15, "bold", scenario.name() + ": share of calls per backend");
    legend(
        svg,
        left,
        38,
        new String[] {"backend 0 (odd one)", "others"},
        new String[] {"#d62728", "#6baed6"});
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      int y = top + i * row;
      text(svg, 10, y + 14, 12, "normal", r.policy());
      double x = left;
      long[] calls = r.callsPerBackend();
      for (int b = 0; b < calls.length; b++) {
        double w = width * r.share(b);
        String colour = b == 0 ? "#d62728" : (b % 2 == 0 ? "#6baed6" : "#9ecae1");
        svg.append(
            String.format(
                Locale.ROOT,
                "<rect x='%.1f' y='%d' width='%.1f' height='16' fill='%s' stroke='white' stroke-width='0.5'><title>backend %d: %.1f%%</title></rect>%n",
                x,
                y + 2,
                w,
                colour,
                b,
                r.share(b) * 100));
        x += w;
      }
      text(
          svg,
          left + width + 6,
          y + 14,
          11,
          "normal",
          String.format(Locale.ROOT, "b0 %.1f%%", r.share(0) * 100));
    }
    return svg.append("</svg>\n").toString();
  }

  private static StringBuilder header(int width, int height) {
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'"
                + " font-family='sans-serif'>%n<rect width='100%%' height='100%%' fill='white'/>%n",
            width,
            height,
            width,
            height));
    return svg;
  }

  private static void legend(StringBuilder svg, int x, int y, String[] names, String[] colours) {
    int offset = 0;
    for (int i = 0; i < names.length; i++) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>%n",
              x + offset,
              y - 9,
              colours[i]));
      text(svg, x + offset + 14, y, 11, "normal", names[i]);
      offset += 24 + names[i].length() * 7;
    }
  }

  private static void text(
      StringBuilder svg, double x, double y, int size, String weight, String s) {
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%.1f' y='%.1f' font-size='%d' font-weight='%s'>%s</text>%n",
            x,
            y,
            size,
            weight,
            s.replace("&", "&amp;").replace("<", "&lt;")));
  }

  private static String fmt(double v) {
    return v >= 1000
        ? String.format(Locale.ROOT, "%.0fs", v / 1000)
        : String.format(Locale.ROOT, "%.0f", v);
  }
}
