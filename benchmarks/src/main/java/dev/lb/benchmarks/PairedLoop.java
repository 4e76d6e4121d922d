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
 * variant minus the baseline's in the same step), which cancels load that both saw alike. For the
 * pairs named with {@link #compare}, it gives the per-step differences between the two, and the
 * caller thread's CPU time per call of each (summed over each round): what a variant costs the
 * calling thread, which a busy machine inflates far less than the time a call waits to be run.
 */
final class PairedLoop {
  /** One client and the request it sends. */
  record Variant(String name, OkHttpClient client, Request request) {}

  private final List<Variant> variants = new ArrayList<>();
  private final List<int[]> pairs = new ArrayList<>();
  private final java.lang.management.ThreadMXBean threads =
      java.lang.management.ManagementFactory.getThreadMXBean();

  PairedLoop add(String name, OkHttpClient client, Request request) {
    variants.add(new Variant(name, client, request));
    return this;
  }

  /** Also reports {@code variant} against {@code baseline}, both added before. */
  PairedLoop compare(String variant, String baseline) {
    pairs.add(new int[] {indexOf(variant), indexOf(baseline)});
    return this;
  }

  private int indexOf(String name) {
    for (int i = 0; i < variants.size(); i++) {
      if (variants.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no variant '" + name + "'");
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
    long[][] cpu = new long[rounds][v]; // caller-thread CPU nanoseconds per round
    long[][] pairSteps = new long[pairs.size()][rounds];
    for (int i = 0; i < warmup; i++) {
      for (Variant x : variants) {
        time(x);
      }
    }
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        shuffle(order, random);
        for (int k : order) {
          long c0 = threads.getCurrentThreadCpuTime();
          times[k][i] = time(variants.get(k));
          cpu[r][k] += threads.getCurrentThreadCpuTime() - c0;
        }
      }
      for (int p = 0; p < pairs.size(); p++) {
        long[] diff = new long[n];
        for (int i = 0; i < n; i++) {
          diff[i] = times[pairs.get(p)[0]][i] - times[pairs.get(p)[1]][i];
        }
        Arrays.sort(diff);
        pairSteps[p][r] = diff[n / 2];
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
    for (int p = 0; p < pairs.size(); p++) {
      int a = pairs.get(p)[0];
      int b = pairs.get(p)[1];
      double[] step = new double[rounds];
      double[] cpuA = new double[rounds];
      double[] cpuB = new double[rounds];
      double[] cpuDiff = new double[rounds];
      double[] cpuPct = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        step[r] = pairSteps[p][r] / 1e3;
        cpuA[r] = cpu[r][a] / 1e3 / n;
        cpuB[r] = cpu[r][b] / 1e3 / n;
        cpuDiff[r] = cpuA[r] - cpuB[r];
        cpuPct[r] = 100.0 * cpuDiff[r] / cpuB[r];
      }
      System.out.printf(
          Locale.ROOT,
          "%s - %s: per-step median %+.2f us (rounds %+.2f..%+.2f); caller CPU per call %.2f vs"
              + " %.2f us, %+.2f us = %+.1f %% (rounds %+.1f..%+.1f %%)%n",
          variants.get(a).name(),
          variants.get(b).name(),
          median(step),
          Arrays.stream(step).min().orElse(0),
          Arrays.stream(step).max().orElse(0),
          median(cpuA),
          median(cpuB),
          median(cpuDiff),
          median(cpuPct),
          Arrays.stream(cpuPct).min().orElse(0),
          Arrays.stream(cpuPct).max().orElse(0));
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
