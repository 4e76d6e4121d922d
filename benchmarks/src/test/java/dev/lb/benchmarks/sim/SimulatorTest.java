package dev.lb.benchmarks.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every scenario against every policy in quick mode (the CI smoke run of the simulator), then
 * checks what the simulation must show. Never a timing threshold.
 */
class SimulatorTest {
  private static Map<String, Scenario> scenarios;
  private static Map<String, List<Result>> results;

  @BeforeAll
  static void runQuick() {
    scenarios = Scenario.all(0.1);
    results = new Simulator(scenarios, Policies.all(), 1, false, System.err).run();
  }

  @Test
  void quickRun_everyScenarioAndPolicy_produceAResult() {
    assertThat(results.keySet()).containsExactlyElementsOf(scenarios.keySet());
    for (List<Result> list : results.values()) {
      assertThat(list)
          .extracting(Result::policy)
          .containsExactlyElementsOf(Policies.all().keySet());
      for (Result r : list) {
        assertThat(r.calls()).as("%s", r).isPositive();
        assertThat(r.successRate()).as("%s", r).isBetween(0.0, 1.0);
        assertThat(r.p50Millis()).as("%s", r).isLessThanOrEqualTo(r.p99Millis());
        assertThat(r.p99Millis()).as("%s", r).isLessThanOrEqualTo(r.p999Millis());
        long dispatched = 0;
        for (long c : r.callsPerBackend()) {
          dispatched += c;
        }
        assertThat(dispatched).as("every call reached a backend: %s", r).isEqualTo(r.calls());
      }
    }
  }

  @Test
  void linkerd_roundRobinWithoutEjection_losesTheSlowBackendsShare() {
    // 1 of 11 backends times out for half the run: about 1/22 of the calls fail.
    Result rr = result("linkerd", "round_robin/no-od");
    assertThat(rr.successRate()).isCloseTo(1 - 1 / 22.0, within(0.01));
    assertThat(rr.share(0)).isCloseTo(1 / 11.0, within(0.01));
  }

  @Test
  void linkerd_peakEwma_routesAroundTheSlowBackend() {
    Result ewma = result("linkerd", "peak_ewma");
    assertThat(ewma.successRate()).isGreaterThan(0.99);
    assertThat(ewma.share(0)).isLessThan(result("linkerd", "round_robin/no-od").share(0) / 2);
  }

  @Test
  void slowBackend_oracleBeatsRoundRobinAndAvoidsTheSlowBackend() {
    Result oracle = result("slow_backend", Policies.ORACLE);
    Result rr = result("slow_backend", "round_robin/no-od");
    assertThat(oracle.p99Millis()).isLessThan(rr.p99Millis());
    assertThat(oracle.successRate()).isEqualTo(1.0);
    assertThat(oracle.share(0)).isLessThan(0.02);
  }

  @Test
  void downAndBack_outlierDetectionEjectsTheRefusingBackend() {
    Result with = result("down_and_back", "least_connections");
    Result without = result("down_and_back", "least_connections/no-od");
    // Refusals are fast; before failure penalties, least connections without ejection sent the
    // dead backend more than 10% of calls. The penalty keeps it well below its fair 20%...
    assertThat(without.share(0)).isLessThan(0.1);
    // ...and ejection does no worse.
    assertThat(with.successRate()).isGreaterThanOrEqualTo(without.successRate() - 0.005);
  }

  @Test
  void run_sameSeed_sameResults() {
    Map<String, Scenario> one = Map.of("gc_pauses", scenarios.get("gc_pauses"));
    Map<String, Policy.Factory> policies =
        Map.of(
            "peak_ewma", Policies.byName("peak_ewma"), Policies.ORACLE, Policies.byName("oracle"));
    Map<String, List<Result>> first = new Simulator(one, policies, 7, false, System.err).run();
    Map<String, List<Result>> second = new Simulator(one, policies, 7, false, System.err).run();
    assertThat(second).isEqualTo(first);
  }

  @Test
  void write_producesMarkdownCsvAndSvgs(@TempDir Path dir) throws Exception {
    Simulator simulator = new Simulator(scenarios, Policies.all(), 1, false, System.err);
    String md = simulator.write(dir, results);

    assertThat(md).contains("### linkerd", "| peak_ewma |", "| oracle |");
    List<String> csv = Files.readAllLines(dir.resolve("simulation.csv"));
    assertThat(csv).hasSize(1 + scenarios.size() * Policies.all().size());
    assertThat(csv.get(0)).startsWith("scenario,policy,calls,success_rate");
    for (String name : scenarios.keySet()) {
      assertThat(Files.readString(dir.resolve("sim-" + name + "-latency.svg")))
          .startsWith("<svg")
          .contains("peak_ewma")
          .endsWith("</svg>\n");
      assertThat(Files.readString(dir.resolve("sim-" + name + "-load.svg"))).contains("backend 0");
    }
  }

  @Test
  void progress_drawsABarEndingAtOneHundredPercent() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    new Simulator(
            Map.of("linkerd", Scenario.linkerd(0.01)),
            Map.of(Policies.ORACLE, Policies.byName("oracle")),
            1,
            true,
            err)
        .run();
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("[##############################] 100%");
  }

  private static Result result(String scenario, String policy) {
    return results.get(scenario).stream()
        .filter(r -> r.policy().equals(policy))
        .findFirst()
        .orElseThrow();
  }
}
