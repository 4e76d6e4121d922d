package dev.lb.benchmarks.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The policy simulator's command line: runs every scenario against every policy and writes the
 * results as markdown, CSV and SVG plots.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.sim.Simulator [options]
 *   --quick            every scenario at a tenth of its simulated duration (seconds of real time)
 *   --out DIR          where to write simulation.md, simulation.csv and the SVGs (default: none)
 *   --seed N           the seed (default 1); the same seed gives the same results
 *   --scenario a,b     only these scenarios (default: all)
 *   --policy x,y       only these policies (default: all)
 *   --progress         draw a progress bar on stderr even when it is not a terminal
 * </pre>
 *
 * <p>A progress bar is drawn on stderr when it is a terminal or when asked. Not thread-safe; one
 * run per instance.
 */
public final class Simulator {
  private final Map<String, Scenario> scenarios;
  private final Map<String, Policy.Factory> policies;
  private final long seed;
  private final boolean progress;
  private final PrintStream err;

  /**
   * Prepares a run of {@code scenarios} × {@code policies}.
   *
   * @param scenarios the scenarios, in report order
   * @param policies the policies, in report order
   * @param seed the seed of every run
   * @param progress whether to draw a progress bar on {@code err}
   * @param err where the progress bar goes
   */
  public Simulator(
      Map<String, Scenario> scenarios,
      Map<String, Policy.Factory> policies,
      long seed,
      boolean progress,
      PrintStream err) {
    this.scenarios = new LinkedHashMap<>(scenarios);
    this.policies = new LinkedHashMap<>(policies);
    this.seed = seed;
    this.progress = progress;
    this.err = err;
  }

  /**
   * Runs every scenario against every policy.
   *
   * @return results per scenario name, each in policy order
   */
  public Map<String, List<Result>> run() {
    Map<String, List<Result>> all = new LinkedHashMap<>();
    int total = scenarios.size() * policies.size();
    int done = 0;
    for (Scenario scenario : scenarios.values()) {
      List<Result> results = new ArrayList<>();
      for (Map.Entry<String, Policy.Factory> p : policies.entrySet()) {
        int finished = done;
        String label = scenario.name() + " " + p.getKey();
        Simulation sim = new Simulation(scenario, p.getKey(), p.getValue(), seed);
        results.add(sim.run(progress ? perMille -> bar(finished, total, perMille, label) : null));
        done++;
      }
      all.put(scenario.name(), results);
    }
    if (progress) {
      bar(total, total, 0, "done");
      err.println();
    }
    return all;
  }

  private void bar(int done, int total, long perMille, String label) {
    double fraction = (done + perMille / 1000.0) / total;
    int width = 30;
    int filled = (int) Math.round(fraction * width);
    err.print(
        String.format(
            Locale.ROOT,
            "\r[%s%s] %3.0f%% %-40s",
            "#".repeat(filled),
            ".".repeat(width - filled),
            fraction * 100,
            label.length() > 40 ? label.substring(0, 40) : label));
    err.flush();
  }

  /**
   * Writes {@code simulation.md}, {@code simulation.csv} and two SVGs per scenario into {@code
   * dir}.
   *
   * @param dir the output directory, created if missing
   * @param results what {@link #run()} returned
   * @return the markdown report
   * @throws IOException if a file cannot be written
   */
  public String write(Path dir, Map<String, List<Result>> results) throws IOException {
    Files.createDirectories(dir);
    String md = markdown(results);
    Path file = dir.resolve("simulation.md");
    // FleetSimulation's section (subsetting) is written by its own run: keep it.
    String fleet =
        Files.exists(file)
            ? FleetSimulation.section(Files.readString(file, StandardCharsets.UTF_8))
            : "";
    Files.writeString(
        file, fleet.isEmpty() ? md : FleetSimulation.splice(md, fleet), StandardCharsets.UTF_8);
    StringBuilder csv = new StringBuilder(Report.csvHeader()).append('\n');
    for (List<Result> list : results.values()) {
      for (Result r : list) {
        csv.append(Report.csvRow(r)).append('\n');
      }
    }
    Files.writeString(dir.resolve("simulation.csv"), csv, StandardCharsets.UTF_8);
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      Scenario s = scenarios.get(e.getKey());
      Files.writeString(
          dir.resolve("sim-" + s.name() + "-latency.svg"),
          Report.latencySvg(s, e.getValue()),
          StandardCharsets.UTF_8);
      Files.writeString(
          dir.resolve("sim-" + s.name() + "-load.svg"),
          Report.loadSvg(s, e.getValue()),
          StandardCharsets.UTF_8);
    }
    return md;
  }

  /**
   * The markdown tables of every scenario.
   *
   * @param results what {@link #run()} returned
   * @return one section per scenario
   */
  public String markdown(Map<String, List<Result>> results) {
    StringBuilder md = new StringBuilder();
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      md.append(Report.markdown(scenarios.get(e.getKey()), e.getValue()));
    }
    return md.toString();
  }

  /**
   * Runs the simulator from the command line; see the class comment for the options.
   *
   * @param args the options
   * @throws IOException if an output file cannot be written
   */
  @SuppressWarnings("SystemConsoleNull") // built for JDK 17, where console() is null off a terminal
  public static void main(String[] args) throws IOException {
    boolean quick = false;
    boolean progress = System.console() != null;
    Path out = null;
    long seed = 1;
    List<String> onlyScenarios = null;
    List<String> onlyPolicies = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--progress" -> progress = true;
        case "--out" -> out = Path.of(value(args, ++i, "--out"));
        case "--seed" -> seed = Long.parseLong(value(args, ++i, "--seed"));
        case "--scenario" -> onlyScenarios = List.of(value(args, ++i, "--scenario").split(","));
        case "--policy" -> onlyPolicies = List.of(value(args, ++i, "--policy").split(","));
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
      }
    }
    Map<String, Scenario> scenarios = Scenario.all(quick ? 0.1 : 1.0);
    if (onlyScenarios != null) {
      Map<String, Scenario> chosen = new LinkedHashMap<>();
      for (String name : onlyScenarios) {
        Scenario s = scenarios.get(name);
        if (s == null) {
          throw new IllegalArgumentException(
              "scenario must be one of " + scenarios.keySet() + " but was '" + name + "'");
        }
        chosen.put(name, s);
      }
      scenarios = chosen;
    }
    Map<String, Policy.Factory> policies = Policies.all();
    if (onlyPolicies != null) {
      Map<String, Policy.Factory> chosen = new LinkedHashMap<>();
      for (String name : onlyPolicies) {
        chosen.put(name, Policies.byName(name));
      }
      policies = chosen;
    }
    Simulator simulator = new Simulator(scenarios, policies, seed, progress, System.err);
    Map<String, List<Result>> results = simulator.run();
    String md = out == null ? simulator.markdown(results) : simulator.write(out, results);
    System.out.print(md);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }
}
