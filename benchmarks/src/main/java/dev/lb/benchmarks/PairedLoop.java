package dev.lb.benchmarks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A harness for comparing OkHttp clients on a noisy machine: every variant sends one request per
 * step, in a fresh seeded random order each step, so that drifting load hits all of them alike;
 * several rounds, each with its own medians; the report gives each variant's median per call in
 * every round, the median of the round medians, and each variant's difference to the baseline (the
 * first variant) as the median over rounds with its spread (min to max). Because machine load
 * shifts whole rounds, it also gives the median of the per-step differences (each step's time of a
 * variant minus the baseline's in the same step), which cancels load that both saw alike.
 */
final class PairedLoop {
  /** One client and the request it sends. */
  record Variant(String name, OkHttpClient client, Request request) {}

  private final List<Variant> variants = new ArrayList<>();

  PairedLoop add(String name, OkHttpClient client, Request request) {
    variants.add(new Variant(name, client, request));
    return this;
  }

  /**
   * Runs {@code rounds} rounds of {@code warmup} unmeasured and {@code n} measured steps and prints
   * the report.
   */
  void run(int n, int rounds, int warmup) throws IOException {
    int v = variants.size();
    SplittableRandom random = new SplittableRandom(1);
    int[] order = new int[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    long[][] medians = new long[rounds][v];
    long[][] p90 = new long[rounds][v];
    long[][] pairedMedians = new long[rounds][v];
    long[][] times = new long[v][n];
    for (int i = 0; i < warmup; i++) {
      for (Variant x : variants) {
        time(x);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        shuffle(order, random);
        for (int k : order) {
          times[k][i] = time(variants.get(k));
        }
      }
      for (int k = 1; k < v; k++) {
        long[] diff = new long[n];
        for (int i = 0; i < n; i++) {
          diff[i] = times[k][i] - times[0][i];
        }
        Arrays.sort(diff);
        pairedMedians[r][k] = diff[n / 2];
      }
      for (int k = 0; k < v; k++) {
        long[] t = times[k].clone();
        Arrays.sort(t);
        medians[r][k] = t[n / 2];
        p90[r][k] = t[n * 9 / 10];
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%d rounds x %d requests per variant, interleaved in random order (after %d warm-up each)%n",
        rounds,
        n,
        warmup);
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-28s", "median us"));
    for (int r = 0; r < rounds; r++) {
      header.append(String.format(Locale.ROOT, "  r%-5d", r + 1));
    }
    header.append("  median    vs ").append(variants.get(0).name()).append(" (min..max)");
    System.out.println(header);
    for (int k = 0; k < v; k++) {
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "%-28s", variants.get(k).name()));
      double[] m = new double[rounds];
      double[] d = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        m[r] = medians[r][k] / 1e3;
        d[r] = 100.0 * (medians[r][k] - medians[r][0]) / medians[r][0];
        line.append(String.format(Locale.ROOT, "  %6.1f", m[r]));
      }
      line.append(String.format(Locale.ROOT, "  %6.1f", median(m)));
      if (k > 0) {
        line.append(
            String.format(
                Locale.ROOT,
                "    %+5.1f %% (%+.1f..%+.1f)",
                median(d),
                Arrays.stream(d).min().orElse(0),
                Arrays.stream(d).max().orElse(0)));
      }
      System.out.println(line);
    }
    for (int a = 1; a < v; a++) {
      for (int b = a + 1; b < v; b++) {
        double[] d = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          d[r] = 100.0 * (medians[r][b] - medians[r][a]) / medians[r][a];
        }
        System.out.printf(
            Locale.ROOT,
            "%s vs %s: %+.1f %% median over rounds (%+.1f..%+.1f)%n",
            variants.get(b).name(),
            variants.get(a).name(),
            median(d),
            Arrays.stream(d).min().orElse(0),
            Arrays.stream(d).max().orElse(0));
      }
    }
    for (int k = 1; k < v; k++) {
      double[] d = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        d[r] = pairedMedians[r][k] / 1e3;
      }
      System.out.printf(
          Locale.ROOT,
          "%s - %s, median of the per-step differences: %+.2f us (rounds %+.2f..%+.2f)%n",
          variants.get(k).name(),
          variants.get(0).name(),
          median(d),
          Arrays.stream(d).min().orElse(0),
          Arrays.stream(d).max().orElse(0));
    }
    StringBuilder spread = new StringBuilder("p90 us per round of " + variants.get(0).name() + ":");
    for (int r = 0; r < rounds; r++) {
      spread.append(String.format(Locale.ROOT, " %.1f", p90[r][0] / 1e3));
    }
    System.out.println(spread + " (the noise)");
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static void shuffle(int[] a, SplittableRandom random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private static long time(Variant v) throws IOException {
    long start = System.nanoTime();
    try (Response r = v.client().newCall(v.request()).execute()) {
      r.body().bytes();
    }
    return System.nanoTime() - start;
  }

  /** Sends one request per variant and prints the protocol each response came over. */
  void printProtocols() throws IOException {
    StringBuilder line = new StringBuilder("protocols:");
    for (Variant x : variants) {
      try (Response r = x.client().newCall(x.request()).execute()) {
        r.body().bytes();
        line.append(' ').append(x.name()).append('=').append(r.protocol());
      }
    }
    System.out.println(line);
  }

  void shutdown() {
    for (Variant x : variants) {
      x.client().dispatcher().executorService().shutdownNow();
      x.client().connectionPool().evictAll();
    }
  }
}
