package dev.lb.examples;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.StrategyRegistry;
import dev.lb.Ticker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Balances simulated calls over in-process endpoints, one of them five times slower than the rest,
 * and prints how each strategy spread the calls and what latency callers saw.
 *
 * <p>The run is a discrete-event simulation on a virtual clock (the balancer's {@link Ticker}), so
 * it takes well under a second however long the simulated traffic lasts, and the same seed prints
 * the same table. Each endpoint has a few workers; calls that find them busy queue, so an endpoint
 * that gets more than it can serve gets slower, which is what load-aware strategies notice.
 *
 * <p>This is the simulator beside the real-traffic {@link Demo}: where the demo shows faults
 * handled live over real sockets, this compares every strategy on one scenario in a second.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java -Dexec.mainClass=dev.lb.examples.CompareStrategies
 * usage: CompareStrategies [--strategy NAME|all] [--calls N] [--endpoints N] [--rate CALLS_PER_SECOND] [--seed N]
 * </pre>
 *
 * <p>(Pass options with {@code -Ddemo.args="--strategy peak_ewma --calls 50000"}.)
 */
public final class CompareStrategies {
  private static final int WORKERS_PER_ENDPOINT = 4;
  private static final double FAST_MILLIS = 10;
  private static final double SLOW_MILLIS = 50;
  private static final long RESPONSE_BYTES = 4096;

  private CompareStrategies() {}

  /**
   * Runs the comparison and prints one row per strategy (and, for one strategy, its stats table).
   *
   * @param args the options in the usage line; {@code --help} prints it
   */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(Options.USAGE);
      System.exit(2);
      return;
    }
    List<String> strategies =
        options.strategy.equals("all")
            ? new ArrayList<>(StrategyRegistry.names())
            : List.of(StrategyRegistry.byName(options.strategy).name());

    System.out.printf(
        Locale.ROOT,
        "%d calls at %.0f/s over %d endpoints (%d workers each): e0 takes %.0f ms per call, the"
            + " others %.0f ms%n%n",
        options.calls,
        options.rate,
        options.endpoints,
        WORKERS_PER_ENDPOINT,
        SLOW_MILLIS,
        FAST_MILLIS);
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-27s", "strategy"));
    for (int i = 0; i < options.endpoints; i++) {
      header.append(String.format(Locale.ROOT, "%7s", "e" + i));
    }
    header.append(String.format(Locale.ROOT, "%10s %10s %10s", "mean", "p50", "p99"));
    System.out.println(header);

    Result last = null;
    for (String name : strategies) {
      last = run(name, options);
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-27s", name));
      for (long count : last.picks) {
        row.append(String.format(Locale.ROOT, "%6.1f%%", 100.0 * count / options.calls));
      }
      row.append(
          String.format(
              Locale.ROOT,
              "%10s %10s %10s",
              millis(last.mean()),
              millis(last.percentile(0.50)),
              millis(last.percentile(0.99))));
      System.out.println(row);
    }
    if (strategies.size() == 1 && last != null) {
      System.out.println();
      System.out.print(last.stats);
    }
  }

  /** Runs one strategy over the simulated endpoints. */
  static Result run(String strategyName, Options options) {
    VirtualClock clock = new VirtualClock();
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < options.endpoints; i++) {
      endpoints.add(Endpoint.builder("127.0.0." + (i + 1), 8080).id("e" + i).build());
    }
    LoadBalancer balancer =
        LoadBalancer.builder()
            .name("demo")
            .strategy(StrategyRegistry.byName(strategyName))
            .endpoints(endpoints)
            .ticker(clock)
            .random(new SplittableRandom(options.seed))
            .build();
    SplittableRandom random = new SplittableRandom(options.seed);

    // Per endpoint, when each worker is next free.
    long[][] workerFreeAt = new long[options.endpoints][WORKERS_PER_ENDPOINT];
    PriorityQueue<Completion> completions = new PriorityQueue<>();
    long[] latencies = new long[options.calls];
    long[] picks = new long[options.endpoints];
    double meanGapNanos = 1e9 / options.rate;

    long now = 0;
    for (int call = 0; call < options.calls; call++) {
      now += (long) (-Math.log(1.0 - random.nextDouble()) * meanGapNanos); // Poisson arrivals
      // Report every call that finished before this one arrives, in time order.
      while (!completions.isEmpty() && completions.peek().at <= now) {
        Completion c = completions.remove();
        clock.set(c.at);
        c.lease.onSuccess(c.latency, RESPONSE_BYTES);
      }
      clock.set(now);
      Lease lease = balancer.pick();
      int e = Integer.parseInt(lease.endpoint().id().substring(1));
      picks[e]++;
      long[] workers = workerFreeAt[e];
      int worker = 0;
      for (int w = 1; w < workers.length; w++) {
        if (workers[w] < workers[worker]) {
          worker = w;
        }
      }
      double meanMillis = e == 0 ? SLOW_MILLIS : FAST_MILLIS;
      // Log-normal service time with the given mean (sigma 0.5).
      double service = meanMillis * 1e6 * Math.exp(0.5 * random.nextGaussian() - 0.125);
      long start = Math.max(now, workers[worker]);
      long end = start + (long) service;
      workers[worker] = end;
      latencies[call] = end - now;
      completions.add(new Completion(end, lease, end - now));
    }
    while (!completions.isEmpty()) {
      Completion c = completions.remove();
      clock.set(c.at);
      c.lease.onSuccess(c.latency, RESPONSE_BYTES);
    }
    return new Result(picks, latencies, balancer.stats().toTable());
  }

  private static String millis(double nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }

  /** A call's end, ordered by time. */
  private static final class Completion implements Comparable<Completion> {
    final long at;
    final Lease lease;
    final long latency;

    Completion(long at, Lease lease, long latency) {
      this.at = at;
      this.lease = lease;
      this.latency = latency;
    }

    @Override
    public int compareTo(Completion o) {
      return Long.compare(at, o.at);
    }
  }

  /** The simulation's clock, moved forward by the event loop. */
  static final class VirtualClock implements Ticker {
    private long nanos;

    void set(long nanos) {
      this.nanos = nanos;
    }

    @Override
    public long read() {
      return nanos;
    }
  }

  /** What one strategy did. */
  static final class Result {
    final long[] picks;
    final long[] sortedLatencies;
    final String stats;

    Result(long[] picks, long[] latencies, String stats) {
      this.picks = picks;
      this.sortedLatencies = latencies.clone();
      Arrays.sort(sortedLatencies);
      this.stats = stats;
    }

    double mean() {
      double sum = 0;
      for (long l : sortedLatencies) {
        sum += l;
      }
      return sum / sortedLatencies.length;
    }

    double percentile(double p) {
      int index = (int) Math.ceil(p * sortedLatencies.length) - 1;
      return sortedLatencies[Math.max(0, Math.min(sortedLatencies.length - 1, index))];
    }
  }

  /** Command-line options, validated. */
  static final class Options {
    static final String USAGE =
        "usage: CompareStrategies [--strategy NAME|all] [--calls N] [--endpoints N] [--rate CALLS_PER_SECOND]"
            + " [--seed N]\n  strategies: "
            + StrategyRegistry.names();

    String strategy = "all";
    int calls = 20_000;
    int endpoints = 4;
    double rate = 800;
    long seed = 1;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (flag.equals("--help") || flag.equals("-h")) {
          System.out.println(USAGE);
          System.exit(0);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String value = args[++i];
        switch (flag) {
          case "--strategy" ->
              o.strategy = value.equals("all") ? "all" : StrategyRegistry.byName(value).name();
          case "--calls" -> o.calls = positiveInt(flag, value);
          case "--endpoints" -> {
            o.endpoints = positiveInt(flag, value);
            if (o.endpoints < 2) {
              throw new IllegalArgumentException("--endpoints must be at least 2 but was " + value);
            }
          }
          case "--rate" -> o.rate = positiveInt(flag, value);
          case "--seed" -> o.seed = Long.parseLong(value);
          default -> throw new IllegalArgumentException("unknown option '" + flag + "'");
        }
      }
      return o;
    }

    private static int positiveInt(String flag, String value) {
      try {
        int n = Integer.parseInt(value);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new IllegalArgumentException(
          flag + " must be a positive integer but was '" + value + "'");
    }
  }
}
