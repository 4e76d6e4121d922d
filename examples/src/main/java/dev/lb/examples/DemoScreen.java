package dev.lb.examples;

import dev.lb.BalancerStats;
import dev.lb.EndpointStats;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthStatus;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Shows the demo as it runs: one row per endpoint (what the backend is doing, the balancer's view
 * of its state, effective weight, calls in flight, requests, errors, latency EWMA, recent requests
 * per second), a progress bar and the latest events.
 *
 * <p>On a terminal ({@code ansi}) the whole screen is redrawn in place on every frame with ANSI
 * control codes: cursor home, each line cleared to its end, the rest of the screen cleared, the
 * cursor hidden while it runs. Otherwise it prints plain lines only: each event as it happens, a
 * progress line every tenth of the run and the table every quarter, so that a log or a CI run reads
 * top to bottom.
 *
 * <p>Not thread-safe: the demo's director thread alone draws.
 */
final class DemoScreen {
  private static final String ESC = "\033[";
  private static final String RESET = ESC + "0m";
  private static final String BOLD = ESC + "1m";
  private static final String DIM = ESC + "2m";
  private static final String RED = ESC + "31m";
  private static final String GREEN = ESC + "32m";
  private static final String YELLOW = ESC + "33m";
  private static final int BAR_WIDTH = 32;
  private static final int RATE_BAR_WIDTH = 10;
  private static final int EVENTS_SHOWN = 10;
  private static final long RATE_WINDOW_NANOS = 1_000_000_000L;

  /** What one frame shows. */
  record Frame(
      long elapsedNanos,
      BalancerStats stats,
      Map<String, String> backendActivity,
      long calls,
      long clientErrors) {}

  private final PrintStream out;
  private final boolean ansi;
  private final boolean color;
  private final long durationNanos;
  private final List<String> intro;
  private final Deque<String> recentEvents = new ArrayDeque<>();
  private final Deque<RateSample> rateSamples = new ArrayDeque<>();
  private int nextProgressTenth = 1;
  private int nextTableQuarter = 1;

  /** Picks per endpoint at one moment, to compute recent rates. */
  private record RateSample(long atNanos, Map<String, Long> picks) {}

  /**
   * @param out where to draw
   * @param ansi true to redraw in place with ANSI control codes, false for plain lines
   * @param color true to color states (only with {@code ansi})
   * @param durationNanos the run's length, for the progress bar
   * @param intro lines that explain the scenario, shown above the table
   */
  DemoScreen(PrintStream out, boolean ansi, boolean color, long durationNanos, List<String> intro) {
    this.out = out;
    this.ansi = ansi;
    this.color = ansi && color;
    this.durationNanos = durationNanos;
    this.intro = List.copyOf(intro);
  }

  /** Clears the screen (on a terminal) or prints the introduction (plain). */
  void begin() {
    if (ansi) {
      out.print(ESC + "?25l" + ESC + "2J" + ESC + "H");
    } else {
      intro.forEach(out::println);
      out.println();
    }
    out.flush();
  }

  /** Draws one frame, with the events that happened since the previous one. */
  void frame(Frame frame, List<DemoEvents.Event> events) {
    Map<String, Double> rates = rates(frame);
    if (ansi) {
      for (DemoEvents.Event e : events) {
        recentEvents.addLast(e.line());
        while (recentEvents.size() > EVENTS_SHOWN) {
          recentEvents.removeFirst();
        }
      }
      redraw(frame, rates);
      return;
    }
    for (DemoEvents.Event e : events) {
      out.println(e.line());
    }
    double done = (double) frame.elapsedNanos / durationNanos;
    if (done * 10 >= nextProgressTenth) {
      nextProgressTenth = (int) Math.floor(done * 10) + 1;
      out.println(progress(frame));
    }
    if (done * 4 >= nextTableQuarter) {
      nextTableQuarter = (int) Math.floor(done * 4) + 1;
      out.println();
      table(frame, rates).forEach(out::println);
      out.println();
    }
    out.flush();
  }

  /** Draws the last frame and gives the terminal back. */
  void end(Frame frame, List<DemoEvents.Event> events) {
    frame(frame, events);
    if (ansi) {
      out.print(ESC + "?25h");
      out.println();
    }
    out.flush();
  }

  /** Shows the cursor again, for a run cut short. */
  void restoreTerminal() {
    if (ansi) {
      out.print(RESET + ESC + "?25h");
      out.flush();
    }
  }

  private void redraw(Frame frame, Map<String, Double> rates) {
    List<String> lines = new ArrayList<>();
    for (String line : intro) {
      lines.add(paint(BOLD, line));
    }
    lines.add("");
    lines.addAll(table(frame, rates));
    lines.add("");
    lines.add(progress(frame));
    lines.add("");
    lines.add(paint(BOLD, "events"));
    lines.addAll(recentEvents);
    StringBuilder screen = new StringBuilder(ESC + "H");
    for (String line : lines) {
      screen.append(line).append(ESC).append("K\n");
    }
    screen.append(ESC).append("J");
    out.print(screen);
    out.flush();
  }

  private List<String> table(Frame frame, Map<String, Double> rates) {
    List<EndpointStats> endpoints = frame.stats.endpoints();
    int idWidth = "endpoint".length();
    for (EndpointStats e : endpoints) {
      idWidth = Math.max(idWidth, e.endpoint().id().length());
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        paint(
            DIM,
            row(
                idWidth,
                "endpoint",
                "backend",
                "state",
                "check",
                "weight",
                "in-flight",
                "requests",
                "errors",
                "lat.EWMA",
                "req/s",
                "")));
    double maxRate = 1;
    for (double r : rates.values()) {
      maxRate = Math.max(maxRate, r);
    }
    for (EndpointStats e : endpoints) {
      String id = e.endpoint().id();
      String activity = frame.backendActivity.getOrDefault(id, "");
      double rate = rates.getOrDefault(id, 0.0);
      int weight = e.effectiveWeightPercent();
      HealthCheckResult check = e.lastCheck();
      lines.add(
          row(
              idWidth,
              id,
              paint(
                  activity.equals("killed") ? RED : activity.startsWith("503") ? YELLOW : "",
                  activity,
                  8),
              paint(stateColor(e.health()), e.health().name(), 9),
              check == null
                  ? "-"
                  : check.isHealthy() ? paint(GREEN, "pass", 5) : paint(RED, "FAIL", 5),
              paint(weight < 100 ? YELLOW : "", weight + "%", -6),
              Integer.toString(e.inFlight()),
              Long.toString(e.picks()),
              Long.toString(e.failures()),
              millis(e.latencyEwmaNanos()),
              String.format(Locale.ROOT, "%.0f", rate),
              bar(rate / maxRate, RATE_BAR_WIDTH, ' ')));
    }
    return lines;
  }

  /**
   * One table row. Cells that {@link #paint(String, String, int)} padded and colored already have
   * their width; the format pads the others, and control codes never count toward a width.
   */
  private String row(
      int idWidth,
      String id,
      String backend,
      String state,
      String check,
      String weight,
      String inFlight,
      String requests,
      String errors,
      String latency,
      String rate,
      String bar) {
    return String.format(
            Locale.ROOT,
            "%-" + idWidth + "s  %s %s %s %s %9s %8s %6s %9s %5s %s",
            id,
            pad(backend, 8),
            pad(state, 9),
            pad(check, 5),
            pad(weight, -6),
            inFlight,
            requests,
            errors,
            latency,
            rate,
            bar)
        .stripTrailing();
  }

  private static String stateColor(HealthStatus h) {
    return switch (h) {
      case HEALTHY -> GREEN;
      case EJECTED, UNHEALTHY -> RED;
      case DRAINING, DISABLED -> YELLOW;
    };
  }

  private String progress(Frame frame) {
    double done = Math.min(1.0, (double) frame.elapsedNanos / durationNanos);
    String errors = frame.clientErrors + " client-visible errors";
    return String.format(
        Locale.ROOT,
        "[%s] %3.0f%%  %5.1f s of %.0f s   %d calls, %s",
        bar(done, BAR_WIDTH, '.'),
        done * 100,
        frame.elapsedNanos / 1e9,
        durationNanos / 1e9,
        frame.calls,
        paint(frame.clientErrors == 0 ? GREEN : RED, errors));
  }

  /** Requests per second per endpoint over about the last second. */
  private Map<String, Double> rates(Frame frame) {
    Map<String, Long> picks = new HashMap<>();
    for (EndpointStats e : frame.stats.endpoints()) {
      picks.put(e.endpoint().id(), e.picks());
    }
    rateSamples.addLast(new RateSample(frame.elapsedNanos, picks));
    // Keep the newest sample at least a window old, and none older.
    while (rateSamples.size() > 2) {
      Iterator<RateSample> it = rateSamples.iterator();
      it.next();
      if (frame.elapsedNanos - it.next().atNanos < RATE_WINDOW_NANOS) {
        break;
      }
      rateSamples.removeFirst();
    }
    RateSample oldest = rateSamples.getFirst();
    long span = frame.elapsedNanos - oldest.atNanos;
    Map<String, Double> rates = new HashMap<>();
    for (Map.Entry<String, Long> e : picks.entrySet()) {
      long before = oldest.picks.getOrDefault(e.getKey(), 0L);
      rates.put(e.getKey(), span <= 0 ? 0.0 : (e.getValue() - before) * 1e9 / span);
    }
    return rates;
  }

  private static String bar(double fraction, int width, char empty) {
    int full = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return "#".repeat(full) + String.valueOf(empty).repeat(width - full);
  }

  private String paint(String code, String text) {
    return color && !code.isEmpty() ? code + text + RESET : text;
  }

  /**
   * Pads {@code text} to {@code width} columns (left-aligned; right-aligned if negative), then
   * colors it, so that the control codes do not upset the table's alignment.
   */
  private String paint(String code, String text, int width) {
    return paint(code, pad(text, width));
  }

  /** Pads to {@code width} (right-aligned if negative); text already wider, or colored, is kept. */
  private static String pad(String text, int width) {
    if (text.indexOf('\033') >= 0) {
      return text;
    }
    int w = Math.abs(width);
    String fill = " ".repeat(Math.max(0, w - text.length()));
    return width < 0 ? fill + text : text + fill;
  }

  private static String millis(double nanos) {
    return Double.isNaN(nanos) ? "-" : String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }
}
