package dev.lb.benchmarks.sim;

import dev.lb.retry.RetryBudget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The fan-out scenario with stragglers, with and without hedged requests: a discrete-event
 * simulation on a {@link SimClock}, seeded, with no real sleeping.
 *
 * <p>The workload. Each user request fans out to {@value #FAN_OUT} sub-requests on distinct
 * replicas chosen at random and completes when the last one does (Dean and Barroso, "The Tail at
 * Scale", CACM 2013). Each of the {@value #REPLICAS} replicas has {@value #WORKERS} workers and a
 * FIFO queue. A sub-request's service time is lognormal (median 1 ms, sigma 0.25), and with
 * probability 1.5 % it is a straggler, stretched by a factor log-uniform in [3, 60] (a pause, a
 * cold cache, a noisy neighbour): per replica, p99 is about 10x p50, as the scenario asks.
 * Straggling is per request, not per replica, so no balancing choice can avoid it; only a second
 * attempt can.
 *
 * <p>The hedging modelled is lb-okhttp's {@code HedgingPolicy}: the delay is a percentile of the
 * sub-request latencies of the last window (1 s of simulated time; until the first window ends, 2
 * ms), a hedge goes to a replica no sibling attempt used, the first answer wins and the others are
 * cancelled. The budget is the same {@link RetryBudget} (5 % over 10 s, no floor), into which only
 * the sub-requests answered before their hedge delay deposit. A cancelled attempt still in a queue
 * is dropped there; one already being served runs to its end (servers rarely stop work on a
 * cancel), so its work counts in the load.
 *
 * <p>Run it with {@code java -cp benchmarks/target/benchmarks.jar
 * dev.lb.benchmarks.sim.HedgingSimulation [--out DIR] [--seed N] [--quick]}; it prints a markdown
 * section and, with {@code --out}, writes {@code simulation-hedging.csv} and {@code
 * sim-hedging-tail.svg}. Not thread-safe; one run per instance.
 */
public final class HedgingSimulation {
  static final int REPLICAS = 20;
  static final int WORKERS = 4;
  static final int FAN_OUT = 10;
  private static final long MS = 1_000_000L;
  private static final double STRAGGLER_P = 0.015;
  private static final double STRAGGLER_MIN = 3;
  private static final double STRAGGLER_MAX = 60;
  private static final long WINDOW = 1_000 * MS;

  /**
   * One configuration of the client.
   *
   * @param name the row's label
   * @param percentile the hedge delay's percentile; 0 for no hedging
   * @param maxAttempts attempts per sub-request, the original included
   * @param budgetPercent the budget's share (1 or more for no budget)
   */
  public record Config(String name, double percentile, int maxAttempts, double budgetPercent) {}

  /**
   * The outcome of one run.
   *
   * @param config the configuration
   * @param userP50 user-request p50, ms
   * @param userP99 user-request p99, ms
   * @param userP999 user-request p99.9, ms
   * @param subP50 sub-request p50 as the client saw it, ms
   * @param subP99 sub-request p99, ms
   * @param subP999 sub-request p99.9, ms
   * @param replicaP50 one attempt's service-plus-queue time p50 (no hedging effect), ms
   * @param replicaP99 the same, p99, ms
   * @param hedgesSent hedged attempts sent per original attempt
   * @param hedgeWork hedged attempts that were served (not dropped from a queue) per original
   * @param meanDelayMs the mean hedge delay in force
   * @param utilization busy workers over all workers, mean
   */
  public record Outcome(
      Config config,
      double userP50,
      double userP99,
      double userP999,
      double subP50,
      double subP99,
      double subP999,
      double replicaP50,
      double replicaP99,
      double hedgesSent,
      double hedgeWork,
      double meanDelayMs,
      double utilization) {}

  private final Config config;
  private final double arrivalsPerSecond;
  private final long durationNanos;
  private final SimClock clock = new SimClock();
  private final SplittableRandom arrivals;
  private final SplittableRandom service;
  private final SplittableRandom choice;
  private final int[] busy = new int[REPLICAS];
  private final List<ArrayDeque<Attempt>> queues = new ArrayList<>();
  private final LongList user = new LongList();
  private final LongList sub = new LongList();
  private final LongList replica = new LongList();
  private LongList window = new LongList();
  private long delayNanos = 2 * MS;
  private long windowEnd = WINDOW;
  private final RetryBudget budget;
  private long originals;
  private long hedges;
  private long hedgesServed;
  private double delaySum;
  private long delayCount;
  private double busyNanos;
  private long lastBusyChange;
  private int busyWorkers;

  HedgingSimulation(Config config, double arrivalsPerSecond, long durationNanos, long seed) {
    this.config = config;
    this.arrivalsPerSecond = arrivalsPerSecond;
    this.durationNanos = durationNanos;
    SplittableRandom root = new SplittableRandom(seed);
    this.arrivals = root.split();
    this.service = root.split();
    this.choice = root.split();
    for (int i = 0; i < REPLICAS; i++) {
      queues.add(new ArrayDeque<>());
    }
    this.budget =
        config.budgetPercent() >= 1
            ? RetryBudget.unlimited()
            : RetryBudget.builder()
                .percentCanRetry(config.budgetPercent())
                .minRetriesPerSecond(0)
                .ttl(java.time.Duration.ofSeconds(10))
                .ticker(clock)
                .build();
  }

  private static final class UserRequest {
    final long arrival;
    int left = FAN_OUT;

    UserRequest(long arrival) {
      this.arrival = arrival;
    }
  }

  private static final class SubRequest {
    final UserRequest parent;
    final long start;
    final List<Attempt> attempts = new ArrayList<>(2);
    final boolean[] used = new boolean[REPLICAS];
    boolean done;
    boolean hedged;

    SubRequest(UserRequest parent, long start) {
      this.parent = parent;
      this.start = start;
    }
  }

  private static final class Attempt {
    final SubRequest sub;
    final int replica;
    final boolean hedge;
    final long sent;
    boolean cancelled;

    Attempt(SubRequest sub, int replica, boolean hedge, long sent) {
      this.sub = sub;
      this.replica = replica;
      this.hedge = hedge;
      this.sent = sent;
    }
  }

  Outcome run() {
    clock.schedule(this::arrive, gap());
    clock.runUntil(durationNanos + 10_000 * MS, null);
    accountBusy();
    long[] u = user.sorted();
    long[] s = sub.sorted();
    long[] r = replica.sorted();
    return new Outcome(
        config,
        ms(u, 0.5),
        ms(u, 0.99),
        ms(u, 0.999),
        ms(s, 0.5),
        ms(s, 0.99),
        ms(s, 0.999),
        ms(r, 0.5),
        ms(r, 0.99),
        hedges / (double) originals,
        hedgesServed / (double) originals,
        delayCount == 0 ? 0 : delaySum / delayCount / MS,
        busyNanos / ((double) durationNanos * REPLICAS * WORKERS));
  }

  private long gap() {
    return (long) (-Math.log(1.0 - arrivals.nextDouble()) * 1e9 / arrivalsPerSecond);
  }

  private void arrive() {
    long now = clock.read();
    if (now >= durationNanos) {
      return;
    }
    clock.schedule(this::arrive, gap());
    UserRequest u = new UserRequest(now);
    boolean[] taken = new boolean[REPLICAS];
    for (int i = 0; i < FAN_OUT; i++) {
      int r;
      do {
        r = choice.nextInt(REPLICAS);
      } while (taken[r]);
      taken[r] = true;
      SubRequest s = new SubRequest(u, now);
      originals++;
      send(s, r, false);
      if (config.percentile() > 0) {
        delaySum += delayNanos;
        delayCount++;
        clock.schedule(() -> hedge(s), delayNanos);
      }
    }
  }

  private void hedge(SubRequest s) {
    if (s.done || s.attempts.size() >= config.maxAttempts()) {
      return;
    }
    s.hedged = true;
    int free = 0;
    for (boolean b : s.used) {
      free += b ? 0 : 1;
    }
    if (free == 0) {
      return;
    }
    if (!budget.tryWithdraw()) {
      return;
    }
    int r;
    do {
      r = choice.nextInt(REPLICAS);
    } while (s.used[r]);
    hedges++;
    send(s, r, true);
    if (s.attempts.size() < config.maxAttempts()) {
      clock.schedule(() -> hedge(s), delayNanos);
    }
  }

  private void send(SubRequest s, int r, boolean hedge) {
    Attempt a = new Attempt(s, r, hedge, clock.read());
    s.used[r] = true;
    s.attempts.add(a);
    if (busy[r] < WORKERS) {
      start(a);
    } else {
      queues.get(r).add(a);
    }
  }

  private void start(Attempt a) {
    accountBusy();
    busy[a.replica]++;
    busyWorkers++;
    if (a.hedge) {
      hedgesServed++;
    }
    double work = Math.exp(0.25 * service.nextGaussian()) * MS;
    if (service.nextDouble() < STRAGGLER_P) {
      double lo = Math.log(STRAGGLER_MIN);
      double hi = Math.log(STRAGGLER_MAX);
      work *= Math.exp(lo + (hi - lo) * service.nextDouble());
    }
    clock.schedule(() -> finish(a), (long) work);
  }

  private void finish(Attempt a) {
    accountBusy();
    busy[a.replica]--;
    busyWorkers--;
    ArrayDeque<Attempt> q = queues.get(a.replica);
    while (!q.isEmpty()) {
      Attempt next = q.poll();
      if (!next.cancelled) {
        start(next);
        break;
      }
    }
    long now = clock.read();
    if (!a.cancelled) {
      replica.add(now - a.sent);
    }
    SubRequest s = a.sub;
    if (s.done) {
      return;
    }
    s.done = true;
    for (Attempt other : s.attempts) {
      if (other != a) {
        other.cancelled = true;
      }
    }
    long latency = now - s.start;
    sub.add(latency);
    observe(latency);
    if (!s.hedged) {
      budget.deposit();
    }
    if (--s.parent.left == 0) {
      user.add(now - s.parent.arrival);
    }
  }

  /** The adaptive delay: the percentile of the last window's sub-request latencies. */
  private void observe(long latency) {
    long now = clock.read();
    if (now >= windowEnd) {
      if (window.size() >= 100 && config.percentile() > 0) {
        delayNanos =
            window
                .sorted()[
                (int)
                    Math.min(
                        window.size() - 1, Math.ceil(config.percentile() * window.size()) - 1)];
      }
      window = new LongList();
      windowEnd = (now / WINDOW + 1) * WINDOW;
    }
    window.add(latency);
  }

  private void accountBusy() {
    long now = clock.read();
    busyNanos += (double) busyWorkers * (now - lastBusyChange);
    lastBusyChange = now;
  }

  private static double ms(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  /** A growable array of longs, to keep millions of latencies unboxed. */
  private static final class LongList {
    private long[] values = new long[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int size() {
      return size;
    }

    long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }
  }

  /** The configurations the report compares. */
  static List<Config> configs() {
    return List.of(
        new Config("no hedging", 0, 1, 0),
        new Config("hedge at p95, 2 attempts, budget 5%", 0.95, 2, 0.05),
        new Config("hedge at p97, 2 attempts, budget 5%", 0.97, 2, 0.05),
        new Config("hedge at p98, 2 attempts, budget 5%", 0.98, 2, 0.05),
        new Config("hedge at p98, 3 attempts, budget 5%", 0.98, 3, 0.05),
        new Config("hedge at p95, 2 attempts, no budget", 0.95, 2, 1.0),
        new Config("hedge at p95, 3 attempts, no budget", 0.95, 3, 1.0));
  }

  /**
   * Runs every configuration and prints (and with {@code --out}, writes) the report.
   *
   * @param args {@code --out DIR}, {@code --seed N}, {@code --quick}
   * @throws IOException if an output file cannot be written
   */
  public static void main(String[] args) throws IOException {
    Path out = null;
    long seed = 1;
    double scale = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--quick" -> scale = 0.1;
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
      }
    }
    double rate = 2500; // user requests per second: about 45 % of the workers busy without hedges
    long duration = (long) (60_000 * MS * scale);
    List<Outcome> outcomes = new ArrayList<>();
    for (Config c : configs()) {
      outcomes.add(new HedgingSimulation(c, rate, duration, seed).run());
    }
    String md = markdown(outcomes, rate, duration, seed);
    System.out.print(md);
    if (out != null) {
      Files.createDirectories(out);
      StringBuilder csv =
          new StringBuilder(
              "config,user_p50_ms,user_p99_ms,user_p999_ms,sub_p50_ms,sub_p99_ms,sub_p999_ms,"
                  + "replica_p50_ms,replica_p99_ms,hedges_sent,hedge_work,mean_delay_ms,"
                  + "utilization\n");
      for (Outcome o : outcomes) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.3f,%.3f%n",
                o.config().name(),
                o.userP50(),
                o.userP99(),
                o.userP999(),
                o.subP50(),
                o.subP99(),
                o.subP999(),
                o.replicaP50(),
                o.replicaP99(),
                o.hedgesSent(),
                o.hedgeWork(),
                o.meanDelayMs(),
                o.utilization()));
      }
      Files.writeString(out.resolve("simulation-hedging.csv"), csv, StandardCharsets.UTF_8);
      Files.writeString(out.resolve("sim-hedging-tail.svg"), svg(outcomes), StandardCharsets.UTF_8);
    }
  }

  static String markdown(List<Outcome> outcomes, double rate, long duration, long seed) {
    StringBuilder md = new StringBuilder();
    md.append("### hedging_fan_out\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "%d replicas, %d workers, fan-out %d; lognormal 1 ms (sigma 0.25), 1.5%% stragglers"
                + " x[3, 60]; %.0f user requests/s for %.0f s, seed %d.%n%n",
            REPLICAS,
            WORKERS,
            FAN_OUT,
            rate,
            duration / 1e9,
            seed));
    md.append(
        "| client | user p50 ms | user p99 ms | user p99.9 ms | sub p99.9 ms | hedges sent |"
            + " hedges served | mean delay ms | utilization |\n");
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Outcome o : outcomes) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.1f | %.1f | %.1f | %.2f%% | %.2f%% | %.2f | %.1f%% |%n",
              o.config().name(),
              o.userP50(),
              o.userP99(),
              o.userP999(),
              o.subP999(),
              o.hedgesSent() * 100,
              o.hedgeWork() * 100,
              o.meanDelayMs(),
              o.utilization() * 100));
    }
    Outcome base = outcomes.get(0);
    md.append(
        String.format(
            Locale.ROOT,
            "%nPer replica (one attempt, queueing included, no hedging): p50 %.2f ms, p99 %.2f ms"
                + " (%.1fx p50).%n",
            base.replicaP50(),
            base.replicaP99(),
            base.replicaP99() / base.replicaP50()));
    for (Outcome o : outcomes.subList(1, outcomes.size())) {
      md.append(
          String.format(
              Locale.ROOT,
              "- %s: user p99.9 %.1fx lower, %.2f%% extra attempts sent.%n",
              o.config().name(),
              base.userP999() / o.userP999(),
              o.hedgesSent() * 100));
    }
    return md.append('\n').toString();
  }

  /** Bars of user-request p99 and p99.9 per configuration, on a log scale. */
  static String svg(List<Outcome> outcomes) {
    int width = 720;
    int rowH = 44;
    int left = 260;
    int height = 40 + rowH * outcomes.size() + 30;
    double max = 0;
    for (Outcome o : outcomes) {
      max = Math.max(max, o.userP999());
    }
    double logMax = Math.log10(max * 1.5);
    double logMin = Math.log10(1);
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            width,
            height));
    s.append(
        "<text x=\"10\" y=\"20\" font-size=\"14\">hedging_fan_out: user-request tail latency"
            + " (ms, log scale)</text>\n");
    int y = 40;
    for (Outcome o : outcomes) {
      double w99 = (Math.log10(Math.max(1, o.userP99())) - logMin) / (logMax - logMin);
      double w999 = (Math.log10(Math.max(1, o.userP999())) - logMin) / (logMax - logMin);
      int span = width - left - 60;
      s.append(
          String.format(
              Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 18, o.config().name()));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"14\" fill=\"#4c78a8\"/>"
                  + "<text x=\"%.0f\" y=\"%d\">p99 %.1f</text>%n",
              left,
              y + 4,
              w99 * span,
              left + w99 * span + 4,
              y + 15,
              o.userP99()));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"14\" fill=\"#e45756\"/>"
                  + "<text x=\"%.0f\" y=\"%d\">p99.9 %.1f</text>%n",
              left,
              y + 20,
              w999 * span,
              left + w999 * span + 4,
              y + 31,
              o.userP999()));
      y += rowH;
    }
    s.append("</svg>\n");
    return s.toString();
  }
}
