package dev.lb.examples;

import dev.lb.StrategyRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The demo's command-line options, validated: each bad value is an {@link IllegalArgumentException}
 * that names the option and quotes the value.
 *
 * @param strategy the strategy's name, one of {@link StrategyRegistry#names()}
 * @param duration how long traffic runs
 * @param backends how many backends, at least {@value #MIN_BACKENDS}
 * @param plain true for plain lines without terminal control codes, whatever stdout is
 * @param seed seeds the backends' latency and failure draws and the callers' user keys
 * @param help true if {@code --help} was given
 * @param metricsPort the port of the stats page on 127.0.0.1 (0 for an ephemeral one), or -1 for
 *     none
 * @param metricsCsv a file to write the balancer's metrics to, sampled every frame, or null
 */
record DemoOptions(
    String strategy,
    Duration duration,
    int backends,
    boolean plain,
    long seed,
    boolean help,
    int metricsPort,
    @Nullable Path metricsCsv) {

  /** One backend per role (steady, slow, flaky, dying); more backends are steady. */
  static final int MIN_BACKENDS = 4;

  static final int MAX_BACKENDS = 16;
  static final Duration MIN_DURATION = Duration.ofSeconds(3);
  static final Duration MAX_DURATION = Duration.ofHours(1);

  static final String USAGE =
      "usage: Demo [--strategy NAME] [--duration 25s] [--backends N] [--plain] [--seed N]"
          + " [--metrics-port N] [--metrics-csv FILE]\n"
          + "  --strategy  how to pick (default peak_ewma): "
          + String.join(", ", StrategyRegistry.names())
          + "\n"
          + "  --duration  how long traffic runs, such as 25s, 90s, 2m or 4500ms (default 25s;"
          + " 3s to 1h)\n"
          + "  --backends  how many local HTTP backends (default 5; "
          + MIN_BACKENDS
          + " to "
          + MAX_BACKENDS
          + ")\n"
          + "  --plain     plain lines, no terminal control codes (the default when stdout is not"
          + " a terminal)\n"
          + "  --seed      seeds latencies, injected failures and user keys (default 1)\n"
          + "  --metrics-port  serve the stats page (HTML, JSON, Prometheus) on 127.0.0.1:N"
          + " (0: any free port; default none)\n"
          + "  --metrics-csv   write the balancer's metrics, sampled every 200 ms, to FILE";

  /** The defaults: peak EWMA, 25 seconds, 5 backends, seed 1. */
  static DemoOptions defaults() {
    return new DemoOptions("peak_ewma", Duration.ofSeconds(25), 5, false, 1, false, -1, null);
  }

  /**
   * Parses {@code args} over the defaults.
   *
   * @throws IllegalArgumentException naming the option and quoting the value if one is bad
   */
  static DemoOptions parse(String... args) {
    DemoOptions o = defaults();
    String strategy = o.strategy;
    Duration duration = o.duration;
    int backends = o.backends;
    boolean plain = false;
    long seed = o.seed;
    boolean help = false;
    int metricsPort = -1;
    Path metricsCsv = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--plain")) {
        plain = true;
        continue;
      }
      if (flag.equals("--help") || flag.equals("-h")) {
        help = true;
        continue;
      }
      if (!flag.equals("--strategy")
          && !flag.equals("--duration")
          && !flag.equals("--backends")
          && !flag.equals("--seed")
          && !flag.equals("--metrics-port")
          && !flag.equals("--metrics-csv")) {
        throw new IllegalArgumentException("unknown option '" + flag + "'");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--strategy" -> strategy = StrategyRegistry.byName(value).name();
        case "--duration" -> duration = duration(value);
        case "--backends" -> backends = backends(value);
        case "--metrics-port" -> metricsPort = port(value);
        case "--metrics-csv" -> metricsCsv = Path.of(value);
        default -> seed = seed(value);
      }
    }
    return new DemoOptions(
        strategy, duration, backends, plain, seed, help, metricsPort, metricsCsv);
  }

  private static Duration duration(String value) {
    @Nullable Duration d = null;
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.endsWith("s")) {
        d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1e3));
      } else if (v.endsWith("m")) {
        d = Duration.ofSeconds(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60));
      } else {
        d = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1e3));
      }
    } catch (NumberFormatException e) {
      d = null;
    }
    if (d == null || d.compareTo(MIN_DURATION) < 0 || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(
          "--duration must be a time from 3s to 1h, such as 25s or 2m, but was '" + value + "'");
    }
    return d;
  }

  private static int backends(String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= MIN_BACKENDS && n <= MAX_BACKENDS) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--backends must be an integer from "
            + MIN_BACKENDS
            + " to "
            + MAX_BACKENDS
            + " but was '"
            + value
            + "'");
  }

  private static int port(String value) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--metrics-port must be a port from 0 to 65535 but was '" + value + "'");
  }

  private static long seed(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--seed must be an integer but was '" + value + "'", e);
    }
  }
}
