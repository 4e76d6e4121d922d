package dev.lb.benchmarks.sim;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * Subsetting at fleet scale: {@code C} clients, each a real {@link LoadBalancer} with the same
 * {@code N} backends and a subsetting, pick {@code P} calls each; the simulation counts every
 * client's connections (members in its subset), every backend's calls, and how many subset members
 * change for every client when one backend is added, one removed, and one client joins.
 *
 * <p>Clients run one after the other (each balancer is built, measured and closed), so the memory
 * is that of one balancer, not of {@code C}. The strategy is {@code weighted_round_robin}, whose
 * smooth interleaving gives each member exactly its share of a client's picks over a cycle: the
 * load figures are then those of the subsets, without sampling noise. Seeded: the backends' ids,
 * the changes and the random subsetting's seeds come from {@code --seed}.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.sim.FleetSimulation
 * --out benchmarks/results} (options {@code --clients}, {@code --backends}, {@code --size}, {@code
 * --seed}).
 */
public final class FleetSimulation {
  /** Where this section sits in {@code simulation.md}, so reruns replace it and nothing else. */
  static final String BEGIN = "<!-- subsetting:begin -->";

  static final String END = "<!-- subsetting:end -->";

  private final int clients;
  private final int backends;
  private final int size;
  private final long seed;

  FleetSimulation(int clients, int backends, int size, long seed) {
    this.clients = clients;
    this.backends = backends;
    this.size = size;
    this.seed = seed;
  }

  /** One algorithm's figures. */
  @SuppressWarnings("ArrayRecordComponent") // a report's rows, built once and only read
  record Outcome(
      String algorithm,
      long[] callsPerBackend,
      int maxConnections,
      double meanConnections,
      int[] addChurn,
      int[] removeChurn,
      int[] joinChurn,
      int addAffected,
      int removeAffected,
      int joinAffected) {
    double maxOverMean() {
      long max = 0;
      long sum = 0;
      for (long c : callsPerBackend) {
        max = Math.max(max, c);
        sum += c;
      }
      return max / ((double) sum / callsPerBackend.length);
    }

    double minOverMean() {
      long min = Long.MAX_VALUE;
      long sum = 0;
      for (long c : callsPerBackend) {
        min = Math.min(min, c);
        sum += c;
      }
      return min / ((double) sum / callsPerBackend.length);
    }
  }

  Outcome run(String algorithm, IntFunction<Subsetting> subsetting) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Endpoint> fleet = new ArrayList<>(backends);
    Map<String, Integer> index = new HashMap<>();
    for (int b = 0; b < backends; b++) {
      Endpoint e =
          Endpoint.builder("10." + (b >> 16 & 255) + "." + (b >> 8 & 255) + "." + (b & 255), 8080)
              .id("backend-" + Long.toHexString(random.nextLong()))
              .build();
      fleet.add(e);
      index.put(e.id(), b);
    }
    Endpoint added = Endpoint.builder("10.255.0.1", 8080).id("backend-added").build();
    String removed = fleet.get(random.nextInt(backends)).id();
    int joiner = random.nextInt(clients + 1);
    // Two cycles of weighted round robin over a subset of size - 1 full weights (100 each).
    int picks = 2 * 100 * (size - 1);
    long[] calls = new long[backends];
    int maxConnections = 0;
    long connections = 0;
    int[] addChurn = new int[2];
    int[] removeChurn = new int[2];
    int[] joinChurn = new int[2];
    int addAffected = 0;
    int removeAffected = 0;
    int joinAffected = 0;
    for (int c = 0; c < clients; c++) {
      SimClock clock = new SimClock();
      LoadBalancer lb =
          LoadBalancer.builder()
              .name("client-" + c)
              .strategy(Strategies.weightedRoundRobin())
              .endpoints(fleet)
              .subsetting(subsetting.apply(c))
              .clientCoordinate(ClientCoordinate.of(c, clients))
              .ticker(clock)
              .scheduler(clock)
              .random(new SplittableRandom(seed ^ c))
              .outlierDetection(OutlierDetection.disabled())
              .latencyWindow(Duration.ZERO)
              .build();
      Set<String> subset = subset(lb);
      maxConnections = Math.max(maxConnections, subset.size());
      connections += subset.size();
      for (int p = 0; p < picks; p++) {
        Lease lease = lb.pick();
        calls[index.get(lease.endpoint().id())]++;
        lease.onSuccess(1_000L);
      }
      lb.addEndpoint(added);
      addAffected += churn(subset, subset(lb), addChurn);
      lb.removeEndpoint(added.id());
      lb.removeEndpoint(removed);
      removeAffected += churn(subset, subset(lb), removeChurn);
      lb.setEndpoints(fleet);
      lb.updateClientCoordinate(ClientCoordinate.of(c < joiner ? c : c + 1, clients + 1));
      joinAffected += churn(subset, subset(lb), joinChurn);
      lb.close();
    }
    return new Outcome(
        algorithm,
        calls,
        maxConnections,
        (double) connections / clients,
        addChurn,
        removeChurn,
        joinChurn,
        addAffected,
        removeAffected,
        joinAffected);
  }

  private static Set<String> subset(LoadBalancer lb) {
    Set<String> ids = new HashSet<>();
    for (EndpointStats s : lb.stats().endpoints()) {
      if (s.inSubset()) {
        ids.add(s.endpoint().id());
      }
    }
    return ids;
  }

  /** Records the most members that left and entered; returns 1 if anything changed. */
  private static int churn(Set<String> before, Set<String> after, int[] worst) {
    int left = 0;
    for (String id : before) {
      left += after.contains(id) ? 0 : 1;
    }
    int entered = 0;
    for (String id : after) {
      entered += before.contains(id) ? 0 : 1;
    }
    worst[0] = Math.max(worst[0], left);
    worst[1] = Math.max(worst[1], entered);
    return left + entered > 0 ? 1 : 0;
  }

  String markdown(List<Outcome> outcomes) {
    StringBuilder md = new StringBuilder();
    md.append(BEGIN).append("\n### subsetting\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "%,d clients x %,d backends, subset size %d (`FleetSimulation`, seed %d): each client"
                + " is a real balancer (`weighted_round_robin`) that picks %,d calls. Connections"
                + " are the members of a client's subset (a member with a fractional share at an"
                + " aperture's edge counts as one); load is calls per backend over the mean."
                + " Churn is the most members that left / entered any one client's subset, and"
                + " how many clients saw any change.%n%n",
            clients,
            backends,
            size,
            seed,
            2 * 100 * (size - 1)));
    md.append(
        "| algorithm | connections max | mean | load max/mean | min/mean | backend added |"
            + " backend removed | client joined |\n");
    md.append("|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (Outcome o : outcomes) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f | %.3f | %.3f | %d / %d (%d clients) | %d / %d (%d clients) |"
                  + " %d / %d (%d clients) |%n",
              o.algorithm(),
              o.maxConnections(),
              o.meanConnections(),
              o.maxOverMean(),
              o.minOverMean(),
              o.addChurn()[0],
              o.addChurn()[1],
              o.addAffected(),
              o.removeChurn()[0],
              o.removeChurn()[1],
              o.removeAffected(),
              o.joinChurn()[0],
              o.joinChurn()[1],
              o.joinAffected()));
    }
    md.append("\n");
    for (Outcome o : outcomes) {
      md.append("![")
          .append(o.algorithm())
          .append(": calls per backend](sim-subsetting-")
          .append(o.algorithm())
          .append("-load.svg)\n");
    }
    return md.append(END).append('\n').toString();
  }

  /** Per-backend load over the mean, backends in id order, with lines at 1.0 and 1.1. */
  static String loadSvg(Outcome o, int clients, int size) {
    long[] calls = o.callsPerBackend();
    int n = calls.length;
    double sum = 0;
    for (long c : calls) {
      sum += c;
    }
    double mean = sum / n;
    int left = 50;
    int top = 40;
    int width = 800;
    int height = 240;
    double yMax = Math.max(2.0, Math.ceil(o.maxOverMean() * 2) / 2);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'"
                + " font-family='sans-serif'>%n<rect width='100%%' height='100%%' fill='white'/>%n",
            left + width + 20,
            top + height + 40,
            left + width + 20,
            top + height + 40));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='10' y='22' font-size='15' font-weight='bold'>%s: calls per backend / mean"
                + " (%,d clients x %,d backends, size %d; max/mean %.3f)</text>%n",
            o.algorithm(),
            clients,
            n,
            size,
            o.maxOverMean()));
    double barWidth = (double) width / n;
    for (int b = 0; b < n; b++) {
      double v = calls[b] / mean;
      double h = height * v / yMax;
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='#6baed6'/>%n",
              left + b * barWidth,
              top + height - h,
              Math.max(0.5, barWidth),
              h));
    }
    for (double line : new double[] {1.0, 1.1}) {
      double y = top + height - height * line / yMax;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='%s' stroke-width='1'/>%n"
                  + "<text x='%d' y='%.1f' font-size='10'>%.1f</text>%n",
              left,
              y,
              left + width,
              y,
              line == 1.0 ? "#333" : "#d62728",
              left - 28,
              y + 3,
              line));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%d' y='%d' font-size='11'>backends (in id order)</text>%n",
            left + width / 2 - 60,
            top + height + 25));
    return svg.append("</svg>\n").toString();
  }

  /** This section of an existing {@code simulation.md}, or "" if it has none. */
  static String section(String existing) {
    int begin = existing.indexOf(BEGIN);
    int end = existing.indexOf(END);
    return begin >= 0 && end > begin ? existing.substring(begin, end + END.length()) + "\n" : "";
  }

  /** Replaces this section in {@code simulation.md}, or appends it; the rest stays as it is. */
  static String splice(String existing, String section) {
    int begin = existing.indexOf(BEGIN);
    int end = existing.indexOf(END);
    if (begin >= 0 && end > begin) {
      return existing.substring(0, begin) + section + existing.substring(end + END.length() + 1);
    }
    return existing + (existing.isEmpty() || existing.endsWith("\n\n") ? "" : "\n") + section;
  }

  public static void main(String[] args) throws IOException {
    int clients = 1000;
    int backends = 1000;
    int size = 20;
    long seed = 1;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--backends" -> backends = Integer.parseInt(args[++i]);
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
      }
    }
    int s = size;
    long base = seed;
    FleetSimulation sim = new FleetSimulation(clients, backends, size, seed);
    List<Outcome> outcomes = new ArrayList<>();
    outcomes.add(sim.run("deterministic_aperture", c -> Subsetting.deterministicAperture(s)));
    outcomes.add(sim.run("random", c -> Subsetting.random(s, base * 1_000_003L + c)));
    String md = sim.markdown(outcomes);
    if (out != null) {
      Files.createDirectories(out);
      Path file = out.resolve("simulation.md");
      String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      Files.writeString(file, splice(existing, md), StandardCharsets.UTF_8);
      for (Outcome o : outcomes) {
        Files.writeString(
            out.resolve("sim-subsetting-" + o.algorithm() + "-load.svg"),
            loadSvg(o, clients, size),
            StandardCharsets.UTF_8);
      }
    }
    System.out.print(md);
  }
}
