package dev.lb.benchmarks.sim;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.ConcurrencyLimitFactory;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adaptive-concurrency-limit experiment: backends whose capacity halves mid-run, and a client
 * whose per-endpoint concurrency limit is none, fixed, or adaptive (Vegas, gradient).
 *
 * <p>Four backends, each with 16 workers (FIFO queue) and log-normal service times (10 ms mean,
 * sigma 0.5), take an open-loop Poisson load of 70% of their capacity. From 20 s to 40 s of the 60
 * s run every backend has 8 workers: the same load is then 140% of the capacity. Each policy is a
 * real {@link LoadBalancer} (round robin, outlier detection off, so that only the limit differs) on
 * simulated time. A call over the limit fails fast ({@code tryPick} returns null) and counts as
 * shed; a call that waits 1 s times out (reported as a failure with that latency). The figures of
 * merit are the p99 of the calls served while the capacity is halved, against the same policy's p99
 * before the change (its unloaded p99), and the share of calls shed or timed out.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.sim.CapacityHalving [--out DIR]
 * </pre>
 *
 * <p>With {@code --out}, writes {@code sim-capacity_halving-p99.svg} and {@code
 * sim-capacity_halving-limit.svg} and replaces the section between the {@code capacity_halving}
 * markers of {@code simulation.md} (appending it the first time), leaving the rest of the file as
 * it is. Seeded: the same seed gives the same figures. Not thread-safe.
 */
public final class CapacityHalving {
  private static final long MS = 1_000_000L;
  private static final long S = 1_000_000_000L;
  private static final int BACKENDS = 4;
  private static final int WORKERS = 16;
  private static final double UTILIZATION = 0.7;
  private static final long DURATION = 60 * S;
  private static final long HALF_FROM = 20 * S;
  private static final long HALF_UNTIL = 40 * S;
  private static final long WARMUP = 5 * S;
  private static final long TIMEOUT = S;
  private static final String BEGIN = "<!-- capacity_halving: begin -->";
  private static final String END = "<!-- capacity_halving: end -->";

  /** The client configurations compared, in report order. */
  static Map<String, ConcurrencyLimitFactory> policies() {
    Map<String, ConcurrencyLimitFactory> p = new LinkedHashMap<>();
    p.put("no limit", null);
    p.put("fixed 64", ConcurrencyLimits.fixed(64));
    p.put("fixed 32", ConcurrencyLimits.fixed(32));
    p.put("fixed 16", ConcurrencyLimits.fixed(16));
    p.put("vegas", ConcurrencyLimits.vegas().build());
    p.put("gradient", ConcurrencyLimits.gradient().build());
    return p;
  }

  /** One policy's run. */
  @SuppressWarnings("ArrayRecordComponent") // built once, read by the report; equality unused
  record Outcome(
      String policy,
      long calls,
      double unloadedP99,
      double unloadedShed,
      double halvedP99,
      double halvedP50,
      double halvedShed,
      double halvedTimedOut,
      double afterP99,
      double[] p99PerSecond,
      double[] limitPerSecond) {}

  private CapacityHalving() {}

  static Outcome run(String name, ConcurrencyLimitFactory limits, long seed) {
    return new Run(name, limits, seed).run();
  }

  /** One discrete-event run. */
  private static final class Run {
    final String name;
    final SimClock clock = new SimClock();
    final SplittableRandom arrivals;
    final SplittableRandom service;
    final LoadBalancer balancer;
    final List<ConcurrencyLimit> created = new ArrayList<>();
    final int[] busy = new int[BACKENDS];
    final List<ArrayDeque<Call>> queues = new ArrayList<>();
    final Map<String, Integer> index = new LinkedHashMap<>();
    final double rate;
    final double mu;
    final double sigma = 0.5;
    final List<List<Double>> perSecond = new ArrayList<>();
    final double[] limitSum = new double[(int) (DURATION / S)];
    final List<Double> unloaded = new ArrayList<>();
    final List<Double> halved = new ArrayList<>();
    final List<Double> after = new ArrayList<>();
    long calls;
    long halvedCalls;
    long halvedShed;
    long unloadedCalls;
    long unloadedShed;
    long halvedTimedOut;

    Run(String name, ConcurrencyLimitFactory limits, long seed) {
      this.name = name;
      SplittableRandom root = new SplittableRandom(seed);
      this.arrivals = root.split();
      this.service = root.split();
      this.rate = UTILIZATION * BACKENDS * WORKERS * S / (10.0 * MS);
      this.mu = Math.log(10.0 * MS) - sigma * sigma / 2;
      List<Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < BACKENDS; i++) {
        Endpoint e = Endpoint.of("10.0.0." + (i + 1), 8080);
        endpoints.add(e);
        index.put(e.id(), i);
        queues.add(new ArrayDeque<>());
      }
      for (int i = 0; i < DURATION / S; i++) {
        perSecond.add(new ArrayList<>());
      }
      LoadBalancer.Builder b =
          LoadBalancer.builder()
              .name("capacity_halving")
              .strategy(Strategies.roundRobin())
              .endpoints(endpoints)
              .ticker(clock)
              .scheduler(clock)
              .random(new SplittableRandom(root.nextLong()))
              .outlierDetection(OutlierDetection.disabled());
      if (limits != null) {
        b.concurrencyLimitPerEndpoint(
            ticker -> {
              ConcurrencyLimit l = limits.create(ticker);
              created.add(l);
              return l;
            });
      }
      this.balancer = b.build();
    }

    int workers(long now) {
      return now >= HALF_FROM && now < HALF_UNTIL ? WORKERS / 2 : WORKERS;
    }

    Outcome run() {
      clock.schedule(this::arrive, gap());
      for (long t = 0; t < DURATION; t += S / 10) {
        int second = (int) (t / S);
        clock.schedule(() -> sampleLimits(second), t);
      }
      clock.runUntil(DURATION + 2 * TIMEOUT, null);
      double[] p99s = new double[perSecond.size()];
      for (int i = 0; i < p99s.length; i++) {
        p99s[i] = percentile(perSecond.get(i), 0.99);
      }
      double[] limits = new double[limitSum.length];
      for (int i = 0; i < limits.length; i++) {
        limits[i] = created.isEmpty() ? Double.NaN : limitSum[i] / 10 / BACKENDS;
      }
      return new Outcome(
          name,
          calls,
          percentile(unloaded, 0.99),
          unloadedShed / (double) unloadedCalls,
          percentile(halved, 0.99),
          percentile(halved, 0.50),
          halvedShed / (double) halvedCalls,
          halvedTimedOut / (double) halvedCalls,
          percentile(after, 0.99),
          p99s,
          limits);
    }

    void sampleLimits(int second) {
      for (ConcurrencyLimit l : created) {
        limitSum[second] += l.limit();
      }
    }

    long gap() {
      return (long) (-Math.log(1.0 - arrivals.nextDouble()) * S / rate);
    }

    void arrive() {
      long now = clock.read();
      if (now >= DURATION) {
        return;
      }
      clock.schedule(this::arrive, gap());
      calls++;
      boolean inHalf = now >= HALF_FROM && now < HALF_UNTIL;
      boolean unloadedPhase = now >= WARMUP && now < HALF_FROM;
      if (inHalf) {
        halvedCalls++;
      } else if (unloadedPhase) {
        unloadedCalls++;
      }
      Lease lease = balancer.tryPick(PickContext.none());
      if (lease == null) {
        if (inHalf) {
          halvedShed++;
        } else if (unloadedPhase) {
          unloadedShed++;
        }
        return;
      }
      Call call = new Call(lease, now, index.get(lease.endpoint().id()));
      clock.schedule(() -> finish(call, false), TIMEOUT);
      if (busy[call.backend] < workers(now)) {
        start(call);
      } else {
        queues.get(call.backend).add(call);
      }
    }

    void start(Call call) {
      busy[call.backend]++;
      long work = (long) Math.exp(mu + sigma * service.nextGaussian());
      clock.schedule(
          () -> {
            busy[call.backend]--;
            ArrayDeque<Call> q = queues.get(call.backend);
            while (!q.isEmpty() && busy[call.backend] < workers(clock.read())) {
              start(q.poll());
            }
            finish(call, true);
          },
          work);
    }

    void finish(Call call, boolean success) {
      if (call.done) {
        return;
      }
      call.done = true;
      long latency = clock.read() - call.arrival;
      if (success) {
        call.lease.onSuccess(latency);
      } else {
        call.lease.onFailure(latency, null);
        if (call.arrival >= HALF_FROM && call.arrival < HALF_UNTIL) {
          halvedTimedOut++;
        }
      }
      double ms = latency / (double) MS;
      int second = (int) (call.arrival / S);
      if (second < perSecond.size()) {
        perSecond.get(second).add(ms);
      }
      if (call.arrival >= WARMUP && call.arrival < HALF_FROM) {
        unloaded.add(ms);
      } else if (call.arrival >= HALF_FROM && call.arrival < HALF_UNTIL) {
        halved.add(ms);
      } else if (call.arrival >= HALF_UNTIL + WARMUP) {
        after.add(ms);
      }
    }
  }

  private static final class Call {
    final Lease lease;
    final long arrival;
    final int backend;
    boolean done;

    Call(Lease lease, long arrival, int backend) {
      this.lease = lease;
      this.arrival = arrival;
      this.backend = backend;
    }
  }

  static double percentile(List<Double> values, double q) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a[Math.min(a.length - 1, (int) Math.floor(q * a.length))];
  }

  static String markdown(List<Outcome> outcomes) {
    StringBuilder md = new StringBuilder();
    md.append("### capacity_halving\n\n")
        .append(
            String.format(
                Locale.ROOT,
                "4 backends, 16 workers each, lognormal 10 ms (sigma 0.5), round robin, %.0f"
                    + " calls/s (70%% of capacity); from 20 s to 40 s every backend has 8 workers"
                    + " (the load is 140%% of capacity); per-endpoint concurrency limit as named;"
                    + " 1 s timeout. Calls over the limit fail fast (shed). Unloaded p99: calls"
                    + " from 5 s to 20 s; halved: calls arriving from 20 s to 40 s; after: from"
                    + " 45 s. Produced by `CapacityHalving` (seed 1).%n%n",
                UTILIZATION * BACKENDS * WORKERS * 100))
        .append(
            "| limit | unloaded p99 ms | shed (unloaded) | halved p50 ms | halved p99 ms | halved"
                + " p99 / unloaded | shed (halved) | timed out (halved) | after p99 ms |\n")
        .append("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Outcome o : outcomes) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.1f%% | %.1f | %.1f | %.2f× | %.1f%% | %.1f%% | %.1f |%n",
              o.policy(),
              o.unloadedP99(),
              o.unloadedShed() * 100,
              o.halvedP50(),
              o.halvedP99(),
              o.halvedP99() / o.unloadedP99(),
              o.halvedShed() * 100,
              o.halvedTimedOut() * 100,
              o.afterP99()));
    }
    md.append("\n![p99 per second](sim-capacity_halving-p99.svg)\n");
    md.append("![mean per-endpoint limit](sim-capacity_halving-limit.svg)\n");
    return md.toString();
  }

  private static final String[] COLOURS = {
    "#999999", "#fdae6b", "#e6550d", "#a63603", "#3182bd", "#31a354"
  };

  /** A line chart of one series per policy over the run's seconds, on a log-free linear axis. */
  static String lineSvg(String title, String unit, List<Outcome> outcomes, boolean limits) {
    int width = 760;
    int height = 360;
    int left = 60;
    int right = 20;
    int top = 40;
    int bottom = 60;
    double max = 0;
    for (Outcome o : outcomes) {
      for (double v : limits ? o.limitPerSecond() : o.p99PerSecond()) {
        if (!Double.isNaN(v)) {
          max = Math.max(max, v);
        }
      }
    }
    // p99s are clipped at 200 ms: the unlimited client's 1 s timeouts would flatten the rest.
    max = limits ? Math.ceil(max / 10) * 10 : 200;
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
    text(svg, left, 22, 14, title);
    double plotW = width - left - right;
    double plotH = height - top - bottom;
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x='%d' y='%.1f' width='%.1f' height='%.1f' fill='#f0f0f0'/>%n",
            left + (int) (plotW * HALF_FROM / DURATION),
            (double) top,
            plotW * (HALF_UNTIL - HALF_FROM) / DURATION,
            plotH));
    for (int i = 0; i <= 4; i++) {
      double y = top + plotH - plotH * i / 4;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%d' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ccc'/>%n",
              left,
              y,
              left + plotW,
              y));
      text(svg, 8, y + 4, 11, String.format(Locale.ROOT, "%.0f %s", max * i / 4, unit));
    }
    for (int s = 0; s <= 60; s += 10) {
      text(svg, left + plotW * s / 60 - 8, top + plotH + 16, 11, s + " s");
    }
    int legendX = left;
    for (int k = 0; k < outcomes.size(); k++) {
      Outcome o = outcomes.get(k);
      double[] series = limits ? o.limitPerSecond() : o.p99PerSecond();
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < series.length; i++) {
        if (Double.isNaN(series[i])) {
          continue;
        }
        double x = left + plotW * (i + 0.5) / series.length;
        double y = top + plotH - plotH * Math.min(series[i], max) / max;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      if (points.length() == 0) {
        continue;
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
              COLOURS[k % COLOURS.length],
              points.toString().trim()));
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>%n",
              legendX,
              height - 22,
              COLOURS[k % COLOURS.length]));
      text(svg, legendX + 14, height - 13, 11, o.policy());
      legendX += 30 + o.policy().length() * 7;
    }
    text(svg, left + plotW / 2 - 90, top + 14, 11, "capacity halved (20 s to 40 s)");
    return svg.append("</svg>\n").toString();
  }

  private static void text(StringBuilder svg, double x, double y, int size, String s) {
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%.1f' y='%.1f' font-size='%d'>%s</text>%n",
            x,
            y,
            size,
            s.replace("&", "&amp;").replace("<", "&lt;")));
  }

  /**
   * Runs the experiment; see the class comment.
   *
   * @param args {@code --out DIR} and {@code --seed N}, both optional
   * @throws IOException if an output file cannot be written
   */
  public static void main(String[] args) throws IOException {
    Path out = null;
    long seed = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
      }
    }
    List<Outcome> outcomes = new ArrayList<>();
    for (Map.Entry<String, ConcurrencyLimitFactory> p : policies().entrySet()) {
      outcomes.add(run(p.getKey(), p.getValue(), seed));
    }
    String md = markdown(outcomes);
    System.out.print(md);
    if (out == null) {
      return;
    }
    Files.createDirectories(out);
    Files.writeString(
        out.resolve("sim-capacity_halving-p99.svg"),
        lineSvg(
            "p99 latency of the calls arriving in each second (clipped at 200 ms)",
            "ms",
            outcomes,
            false),
        StandardCharsets.UTF_8);
    List<Outcome> limited = new ArrayList<>();
    for (Outcome o : outcomes) {
      limited.add(o);
    }
    Files.writeString(
        out.resolve("sim-capacity_halving-limit.svg"),
        lineSvg("mean per-endpoint concurrency limit", "", limited, true),
        StandardCharsets.UTF_8);
    Path file = out.resolve("simulation.md");
    String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    String section = BEGIN + "\n" + md + END + "\n";
    int b = existing.indexOf(BEGIN);
    int e = existing.indexOf(END);
    String next =
        b >= 0 && e > b
            ? existing.substring(0, b) + section + existing.substring(e + END.length() + 1)
            : existing + (existing.endsWith("\n\n") || existing.isEmpty() ? "" : "\n") + section;
    Files.writeString(file, next, StandardCharsets.UTF_8);
  }
}
