package dev.lb.examples;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.StrategyRegistry;
import dev.lb.Ticker;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.micrometer.LoadBalancerMetrics;
import dev.lb.okhttp.HttpHealthChecker;
import dev.lb.okhttp.KeyExtractor;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import dev.lb.statspage.StatsPage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The project's main job: real HTTP backends on 127.0.0.1, real traffic through {@code lb-okhttp},
 * real faults, and the balancer handling them, live in the terminal.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java
 * ./mvnw -q -pl examples -am compile exec:java -Ddemo.args="--strategy round_robin --duration 40s"
 * </pre>
 *
 * <p>It starts {@code --backends} JDK HTTP servers (5 by default) and eight callers that send GETs
 * to {@code http://demo/work} through an OkHttp client with a {@link LoadBalancingInterceptor}.
 * Every backend answers in about 8 ms but three, which misbehave on a timeline scaled to {@code
 * --duration}:
 *
 * <ul>
 *   <li>{@code b2} is slow throughout (about 60 ms): load-aware strategies send it less;
 *   <li>{@code b3} answers 503 to half its calls from 20% to 55% of the run, while its health
 *       endpoint stays fine: passive outlier detection ejects it, again for longer each time it
 *       returns and fails;
 *   <li>{@code b4} is killed at 30% (its server socket and connections really closed) and restarted
 *       on the same port at 60%: refused connections eject it at once, active HTTP health checks
 *       ({@link HttpHealthChecker}) keep it out while it is down and bring it back once it answers
 *       again, and slow start ramps its weight back up.
 * </ul>
 *
 * <p>Failed attempts are retried on another endpoint (all the calls are idempotent GETs), so the
 * callers see no error at all. The table shows each endpoint's backend activity, state, effective
 * weight, calls in flight, requests, errors, latency EWMA and recent requests per second; it
 * redraws in place on a terminal, and prints plain lines when stdout is not one or with {@code
 * --plain}. The run ends with a summary (calls, client-visible errors, latency p50/p99, each
 * endpoint's share) and exits 0 if no call failed, 1 otherwise, 2 for bad options.
 */
public final class Demo {
  /** Callers sending requests concurrently, each waiting 5 to 25 ms between calls. */
  static final int CALLERS = 8;

  static final long FAST_NANOS = TimeUnit.MILLISECONDS.toNanos(8);
  static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(60);

  /** The flaky backend's share of 503s while it fails. */
  static final double FLAKY_FAILURE_RATE = 0.5;

  static final double FLAKY_FROM = 0.20;
  static final double FLAKY_UNTIL = 0.55;
  static final double KILL_AT = 0.30;
  static final double RESTART_AT = 0.60;

  static final String SLOW_ID = "b2";
  static final String FLAKY_ID = "b3";
  static final String DYING_ID = "b4";

  private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final int USERS = 1000;

  private Demo() {}

  /**
   * Runs the demo with the options in {@link DemoOptions#USAGE}, then exits 0 if every call
   * succeeded, 1 if a caller saw an error, 2 if an option is bad.
   *
   * @param args {@code [--strategy NAME] [--duration 25s] [--backends N] [--plain] [--seed N]}
   * @throws IOException if a backend cannot start
   * @throws InterruptedException if interrupted while running
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(DemoOptions.USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(DemoOptions.USAGE);
      return;
    }
    boolean ansi = !options.plain() && isTerminal();
    // Under exec:java, System.out is Maven's, which strips control codes in batch mode (-B); the
    // live table writes to the process's stdout directly.
    PrintStream out =
        ansi
            ? new PrintStream(
                new FileOutputStream(FileDescriptor.out), false, Charset.defaultCharset())
            : System.out;
    Report report = run(options, out, ansi, ansi && System.getenv("NO_COLOR") == null);
    int status = exitStatus(report);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** The process's exit status for a run: 0 if every call succeeded, 1 otherwise. */
  static int exitStatus(Report report) {
    return report.passed() ? 0 : 1;
  }

  /**
   * What a run showed.
   *
   * @param calls calls the callers made
   * @param clientErrors calls whose caller saw an exception or a status other than 200
   * @param errorSamples the first few of those errors
   * @param p50Nanos median call latency as the callers saw it
   * @param p99Nanos 99th percentile call latency
   * @param finalStats the balancer's statistics at the end
   * @param events everything the balancer reported and the demo did, in order
   * @param servedAfterRestart calls the dying backend answered after its restart
   * @param lowestRampPercent the lowest effective weight the dying backend had after its restart,
   *     in percent (100 if it never ramped)
   */
  record Report(
      long calls,
      long clientErrors,
      List<String> errorSamples,
      long p50Nanos,
      long p99Nanos,
      BalancerStats finalStats,
      List<DemoEvents.Event> events,
      long servedAfterRestart,
      int lowestRampPercent) {

    /** True if no caller saw an error. */
    boolean passed() {
      return calls > 0 && clientErrors == 0;
    }
  }

  /**
   * Runs the demo, drawing on {@code out}; returns what it showed.
   *
   * @param ansi true to redraw a live table in place with ANSI control codes, false for plain lines
   * @param color true to color states, with {@code ansi}
   */
  static Report run(DemoOptions options, PrintStream out, boolean ansi, boolean color)
      throws IOException, InterruptedException {
    Ticker ticker = Ticker.systemTicker();
    long duration = options.duration().toNanos();
    SplittableRandom seeds = new SplittableRandom(options.seed());
    ExecutorService serverThreads = Executors.newCachedThreadPool(daemonThreads("demo-backend"));
    List<Backend> backends = new ArrayList<>();
    OkHttpClient base = null;
    LoadBalancer balancer = null;
    DemoScreen screen = null;
    LoadBalancerMetrics metrics = null;
    StatsPage page = null;
    try {
      for (int i = 1; i <= options.backends(); i++) {
        String id = "b" + i;
        long latency = id.equals(SLOW_ID) ? SLOW_NANOS : FAST_NANOS;
        backends.add(Backend.start(id, serverThreads, latency, seeds.nextLong()));
      }
      List<Endpoint> endpoints = new ArrayList<>();
      backends.forEach(b -> endpoints.add(b.endpoint()));

      // Enough pooled connections for every caller to every backend; OkHttp keeps 5 by default.
      base =
          new OkHttpClient.Builder()
              .connectionPool(new ConnectionPool(4 * CALLERS, 1, TimeUnit.MINUTES))
              .build();
      long start = ticker.read();
      DemoEvents events = new DemoEvents(ticker, start);
      balancer = balancer(options, endpoints, base, events);
      OkHttpClient client =
          LoadBalancingInterceptor.builder()
              .service(
                  Service.builder("demo")
                      .defaultTarget(balancer)
                      .keyExtractor(KeyExtractor.header("X-User")) // for the hash strategies
                      .attemptTimeout(Duration.ofSeconds(2))
                      .build())
              .build()
              .newClient(base);

      List<String> intro = new ArrayList<>(intro(options, backends));
      if (options.metricsPort() >= 0) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = LoadBalancerMetrics.builder(balancer).percentiles(0.5, 0.99).build();
        metrics.bindTo(registry);
        page =
            StatsPage.builder()
                .balancer(balancer)
                .port(options.metricsPort())
                .prometheus(registry::scrape)
                .start();
        intro.add(
            "stats page: "
                + page.uri()
                + "  (JSON: "
                + page.uri().resolve("stats.json")
                + ", Prometheus: "
                + page.uri().resolve("metrics")
                + ")");
      }
      StringBuilder csv = new StringBuilder(MetricsCsv.HEADER);
      screen = new DemoScreen(out, ansi, color, duration, intro);
      screen.begin();
      Traffic traffic = new Traffic(client, ticker, start + duration, seeds.nextLong());
      traffic.start();

      Backend flaky = find(backends, FLAKY_ID);
      Backend dying = find(backends, DYING_ID);
      long servedBeforeRestart = 0;
      int lowestRamp = 100;
      boolean flakyStarted = false;
      boolean flakyStopped = false;
      boolean killed = false;
      boolean restarted = false;
      for (long now = ticker.read(); now - start < duration; now = ticker.read()) {
        long elapsed = now - start;
        if (!flakyStarted && elapsed >= FLAKY_FROM * duration) {
          flakyStarted = true;
          flaky.failureRate(FLAKY_FAILURE_RATE);
          events.scenario(FLAKY_ID, FLAKY_ID + " starts answering 503 to half its calls");
        }
        if (!killed && elapsed >= KILL_AT * duration) {
          killed = true;
          dying.kill();
          events.scenario(DYING_ID, DYING_ID + " killed: server socket and connections closed");
        }
        if (!flakyStopped && elapsed >= FLAKY_UNTIL * duration) {
          flakyStopped = true;
          flaky.failureRate(0);
          events.scenario(FLAKY_ID, FLAKY_ID + " stops failing");
        }
        if (!restarted && elapsed >= RESTART_AT * duration) {
          restarted = true;
          servedBeforeRestart = dying.served();
          dying.restart();
          events.scenario(DYING_ID, DYING_ID + " restarted on the same port " + dying.port());
        }
        DemoScreen.Frame frame = frame(elapsed, balancer, backends, traffic);
        MetricsCsv.append(csv, elapsed, frame.stats());
        if (restarted) {
          lowestRamp = Math.min(lowestRamp, weightPercent(frame.stats(), DYING_ID));
        }
        screen.frame(frame, events.drain());
        long sleep = Math.min(FRAME_NANOS, duration - (ticker.read() - start));
        if (sleep > 0) {
          TimeUnit.NANOSECONDS.sleep(sleep); // the demo runs in real time
        }
      }
      traffic.join();
      DemoScreen.Frame last = frame(duration, balancer, backends, traffic);
      screen.end(last, events.drain());
      long[] latencies = traffic.latencies();
      Report report =
          new Report(
              traffic.calls(),
              traffic.errors(),
              traffic.errorSamples(),
              percentile(latencies, 0.50),
              percentile(latencies, 0.99),
              last.stats(),
              events.all(),
              restarted ? dying.served() - servedBeforeRestart : 0,
              lowestRamp);
      summary(out, options, report);
      Path csvFile = options.metricsCsv();
      if (csvFile != null) {
        Files.writeString(csvFile, csv, StandardCharsets.UTF_8);
        out.println("metrics written to " + csvFile);
      }
      return report;
    } finally {
      if (page != null) {
        page.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      if (screen != null) {
        screen.restoreTerminal();
      }
      if (balancer != null) {
        balancer.close();
      }
      if (base != null) {
        base.dispatcher().executorService().shutdown();
        base.connectionPool().evictAll();
      }
      backends.forEach(Backend::kill);
      serverThreads.shutdownNow();
    }
  }

  /** {@code prequal} probes the backends' {@code /lb-probe} path; other strategies as named. */
  private static dev.lb.strategy.Strategy withProber(
      dev.lb.strategy.Strategy strategy, OkHttpClient base) {
    return strategy instanceof dev.lb.strategy.Prequal p && p.prober() == null
        ? p.withProber(dev.lb.okhttp.HttpProber.builder().client(base).build())
        : strategy;
  }

  /**
   * The balancer: active HTTP checks, outlier detection and slow start, with every interval scaled
   * to the run so that a 5-second smoke run shows the same story as a 25-second one.
   */
  private static LoadBalancer balancer(
      DemoOptions options, List<Endpoint> endpoints, OkHttpClient base, DemoEvents events) {
    long duration = options.duration().toNanos();
    Duration checkInterval =
        Duration.ofNanos(
            Math.max(
                TimeUnit.MILLISECONDS.toNanos(100),
                Math.min(TimeUnit.MILLISECONDS.toNanos(500), duration / 50)));
    return LoadBalancer.builder()
        .name("demo")
        .strategy(withProber(StrategyRegistry.byName(options.strategy()), base))
        .endpoints(endpoints)
        .healthCheck(
            HealthCheckConfig.builder(
                    HttpHealthChecker.builder().client(base).path("/health").build())
                .interval(checkInterval)
                .timeout(checkInterval)
                .healthyThreshold(2)
                .unhealthyThreshold(2)
                .build())
        .outlierDetection(
            OutlierDetection.builder()
                .consecutiveFailures(5)
                // Two qualifying endpoints suffice here; Envoy's default of five suits fleets.
                .successRate(false)
                .failurePercentage(30, 2, 10)
                .interval(Duration.ofNanos(duration / 25))
                .baseEjectionTime(Duration.ofNanos(duration / 8))
                .maxEjectionTime(Duration.ofNanos(duration / 3))
                // Both faulty backends may be out at once (the default, 10%, would allow one).
                .maxEjectionPercent(50)
                .build())
        .slowStart(SlowStart.of(Duration.ofNanos(duration / 5)))
        // With two of four endpoints out, the other two still take every call.
        .panicThreshold(25)
        .listener(events)
        .build();
  }

  private static List<String> intro(DemoOptions options, List<Backend> backends) {
    double seconds = options.duration().toMillis() / 1e3;
    return List.of(
        String.format(
            Locale.ROOT,
            "lb demo: %s over %d HTTP backends on 127.0.0.1, %d callers through lb-okhttp, %.0f s",
            options.strategy(),
            backends.size(),
            CALLERS,
            seconds),
        String.format(
            Locale.ROOT,
            "%s is slow (~%d ms); %s answers 503 to half its calls from %.1f s to %.1f s;",
            SLOW_ID,
            TimeUnit.NANOSECONDS.toMillis(SLOW_NANOS),
            FLAKY_ID,
            FLAKY_FROM * seconds,
            FLAKY_UNTIL * seconds),
        String.format(
            Locale.ROOT,
            "%s is killed at %.1f s and restarted at %.1f s. Failed attempts are retried on"
                + " another backend.",
            DYING_ID,
            KILL_AT * seconds,
            RESTART_AT * seconds));
  }

  private static DemoScreen.Frame frame(
      long elapsed, LoadBalancer balancer, List<Backend> backends, Traffic traffic) {
    Map<String, String> activity = new LinkedHashMap<>();
    for (Backend b : backends) {
      activity.put(b.id(), activity(b));
    }
    return new DemoScreen.Frame(
        elapsed, balancer.stats(), activity, traffic.calls(), traffic.errors());
  }

  private static String activity(Backend b) {
    if (!b.isUp()) {
      return "killed";
    }
    if (b.isFailing()) {
      return "503 half";
    }
    return b.id().equals(SLOW_ID) ? "slow" : "ok";
  }

  private static int weightPercent(BalancerStats stats, String id) {
    for (EndpointStats e : stats.endpoints()) {
      if (e.endpoint().id().equals(id)) {
        return e.effectiveWeightPercent();
      }
    }
    return 100;
  }

  private static Backend find(List<Backend> backends, String id) {
    for (Backend b : backends) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    throw new IllegalStateException("no backend " + id);
  }

  private static void summary(PrintStream out, DemoOptions options, Report r) {
    BalancerStats stats = r.finalStats();
    long failedAttempts = 0;
    long answered = 0;
    for (EndpointStats e : stats.endpoints()) {
      failedAttempts += e.failures();
      answered += e.successes();
    }
    double seconds = options.duration().toMillis() / 1e3;
    out.printf(
        Locale.ROOT,
        "summary: %s, %d backends, %.1f s%n",
        options.strategy(),
        stats.endpoints().size(),
        seconds);
    out.printf(
        Locale.ROOT,
        "  calls         %d (%.0f/s), %d client-visible errors%n",
        r.calls(),
        r.calls() / seconds,
        r.clientErrors());
    out.printf(
        Locale.ROOT,
        "  attempts      %d; %d failed (503, refused or reset), each retried on another backend%n",
        stats.picks(),
        failedAttempts);
    out.printf(
        Locale.ROOT,
        "  latency       p50 %.1f ms, p99 %.1f ms, as the callers saw it%n",
        r.p50Nanos() / 1e6,
        r.p99Nanos() / 1e6);
    StringBuilder shares = new StringBuilder("  answered by  ");
    for (EndpointStats e : stats.endpoints()) {
      shares.append(
          String.format(
              Locale.ROOT,
              " %s %.1f%%",
              e.endpoint().id(),
              answered == 0 ? 0.0 : 100.0 * e.successes() / answered));
    }
    out.println(shares);
    recoveryStory(out, r);
    for (String sample : r.errorSamples()) {
      out.println("  client error: " + sample);
    }
    out.println(
        r.passed()
            ? "PASS: every call succeeded through a slow backend, a failing one and one that died."
            : "FAIL: " + r.clientErrors() + " calls failed; see the errors above.");
    out.flush();
  }

  /** When the dying backend went out of rotation, came back, and got its full weight again. */
  private static void recoveryStory(PrintStream out, Report r) {
    Double outAt = null;
    Double backAt = null;
    Double fullAt = null;
    Double killedAt = null;
    for (DemoEvents.Event e : r.events()) {
      if (!DYING_ID.equals(e.endpointId())) {
        continue;
      }
      double at = e.atNanos() / 1e9;
      if (e.kind() == DemoEvents.Kind.SCENARIO && killedAt == null) {
        killedAt = at;
      } else if (killedAt != null
          && outAt == null
          && e.to() != null
          && e.to() != HealthStatus.HEALTHY) {
        outAt = at;
      } else if (outAt != null && backAt == null && e.to() == HealthStatus.HEALTHY) {
        backAt = at;
      } else if (backAt != null && fullAt == null && e.kind() == DemoEvents.Kind.FULL_WEIGHT) {
        fullAt = at;
      }
    }
    if (killedAt == null) {
      out.println("  " + DYING_ID + "            never killed");
      return;
    }
    out.printf(
        Locale.ROOT,
        "  %-13s killed at %.1f s, out of rotation at %s, healthy again at %s,%n",
        DYING_ID,
        killedAt,
        seconds(outAt),
        seconds(backAt));
    out.printf(
        Locale.ROOT,
        "                slow start from %d%% to full weight at %s; %d calls since the restart%n",
        r.lowestRampPercent(),
        seconds(fullAt),
        r.servedAfterRestart());
  }

  private static String seconds(@Nullable Double at) {
    return at == null ? "-" : String.format(Locale.ROOT, "%.1f s", at);
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /**
   * True if stdout is an interactive terminal that understands ANSI control codes: a console is
   * attached (on JDK 22+, {@code Console.isTerminal()}), {@code TERM} is set and not {@code dumb},
   * and {@code CI} is not set.
   */
  // The null check is right on JDK 17 to 21, and isTerminal() below covers JDK 22 and newer.
  @SuppressWarnings("SystemConsoleNull")
  static boolean isTerminal() {
    String term = System.getenv("TERM");
    if (System.getenv("CI") != null || term == null || term.equals("dumb")) {
      return false;
    }
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // JDK 22+ returns a console even when redirected; isTerminal() tells the truth there.
      Method isTerminal = Console.class.getMethod("isTerminal");
      return Boolean.TRUE.equals(isTerminal.invoke(console));
    } catch (NoSuchMethodException e) {
      return true; // JDK 17 to 21: a console means a terminal
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * The callers: {@link #CALLERS} threads, each sending {@code GET http://demo/work} as a random
   * one of {@value #USERS} users until the deadline, pausing 5 to 25 ms between calls, and
   * recording every call's latency and any error it saw.
   */
  private static final class Traffic {
    private final OkHttpClient client;
    private final Ticker ticker;
    private final long deadline;
    private final List<Thread> threads = new ArrayList<>();
    private final List<long[]> latencies = new ArrayList<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final List<String> errorSamples = new ArrayList<>(); // guarded by itself

    Traffic(OkHttpClient client, Ticker ticker, long deadline, long seed) {
      this.client = client;
      this.ticker = ticker;
      this.deadline = deadline;
      SplittableRandom seeds = new SplittableRandom(seed);
      for (int i = 0; i < CALLERS; i++) {
        SplittableRandom random = seeds.split();
        int caller = i;
        Thread t = new Thread(() -> loop(caller, random), "demo-caller-" + (i + 1));
        t.setDaemon(true);
        threads.add(t);
        latencies.add(new long[0]);
      }
    }

    void start() {
      threads.forEach(Thread::start);
    }

    void join() throws InterruptedException {
      for (Thread t : threads) {
        t.join();
      }
    }

    long calls() {
      return calls.get();
    }

    long errors() {
      return errors.get();
    }

    List<String> errorSamples() {
      synchronized (errorSamples) {
        return List.copyOf(errorSamples);
      }
    }

    /** Every call's latency, sorted; call after {@link #join()}. */
    long[] latencies() {
      long[] all = new long[0];
      List<long[]> perCaller;
      synchronized (latencies) {
        perCaller = List.copyOf(latencies);
      }
      for (long[] l : perCaller) {
        long[] merged = Arrays.copyOf(all, all.length + l.length);
        System.arraycopy(l, 0, merged, all.length, l.length);
        all = merged;
      }
      Arrays.sort(all);
      return all;
    }

    private void loop(int caller, SplittableRandom random) {
      long[] mine = new long[1024];
      int count = 0;
      try {
        while (ticker.read() < deadline) {
          Request request =
              new Request.Builder()
                  .url("http://demo/work")
                  .header("X-User", "user-" + random.nextInt(USERS))
                  .build();
          long start = ticker.read();
          String error = null;
          try (Response response = client.newCall(request).execute()) {
            response.body().string();
            if (response.code() != 200) {
              error = "HTTP " + response.code() + " from " + response.request().url();
            }
          } catch (IOException e) {
            error = e.toString();
          }
          if (count == mine.length) {
            mine = Arrays.copyOf(mine, count * 2);
          }
          mine[count++] = ticker.read() - start;
          calls.incrementAndGet();
          if (error != null) {
            errors.incrementAndGet();
            synchronized (errorSamples) {
              if (errorSamples.size() < 5) {
                errorSamples.add(error);
              }
            }
          }
          TimeUnit.MILLISECONDS.sleep(5 + random.nextInt(21)); // think time
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        synchronized (latencies) {
          latencies.set(caller, Arrays.copyOf(mine, count));
        }
      }
    }
  }
}
