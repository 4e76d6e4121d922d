package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.EndpointStats;
import dev.lb.health.HealthStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI smoke test of the demo: a short plain run over real local servers shows the faults handled
 * with no error reaching a caller, the dead backend ejected and re-admitted under slow start.
 */
class DemoTest {
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void plainRun_backendKilledAndRestarted_noClientErrors_ejectedThenReadmittedWithSlowStart()
      throws Exception {
    DemoOptions options = DemoOptions.parse("--plain", "--duration", "6s", "--backends", "4");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    Demo.Report report = Demo.run(options, out, false, false);
    String text = captured.toString(StandardCharsets.UTF_8);

    assertThat(report.clientErrors()).as("%s%n%s", report.errorSamples(), text).isZero();
    assertThat(report.calls()).as(text).isGreaterThan(200);
    assertThat(Demo.exitStatus(report)).isZero();

    List<DemoEvents.Event> dying = eventsOf(report, Demo.DYING_ID);
    int killed = indexOf(dying, DemoEvents.Kind.SCENARIO, 0);
    int out1 = firstStatus(dying, killed, HealthStatus.EJECTED, HealthStatus.UNHEALTHY);
    int restarted = indexOf(dying, DemoEvents.Kind.SCENARIO, killed + 1);
    int back = firstStatus(dying, restarted, HealthStatus.HEALTHY);
    assertThat(killed).as(text).isNotNegative();
    assertThat(out1).as("out of rotation after the kill%n%s", text).isGreaterThan(killed);
    assertThat(restarted).as(text).isGreaterThan(out1);
    assertThat(back).as("healthy again after the restart%n%s", text).isGreaterThan(restarted);
    assertThat(report.lowestRampPercent()).as("slow start after the restart").isLessThan(100);
    assertThat(report.servedAfterRestart()).as("calls after the restart").isPositive();

    assertThat(firstStatus(eventsOf(report, Demo.FLAKY_ID), 0, HealthStatus.EJECTED))
        .as("the flaky backend ejected%n%s", text)
        .isNotNegative();
    assertThat(successes(report, Demo.SLOW_ID))
        .as("peak EWMA sends the slow backend less than a fast one")
        .isLessThan(successes(report, "b1"));

    assertThat(text).doesNotContain("\033").contains("summary: peak_ewma", "PASS:");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void metricsPort_printsTheStatsPageUrl_andMetricsCsvHasARowPerEndpointPerFrame(@TempDir Path dir)
      throws Exception {
    Path csv = dir.resolve("metrics.csv");
    DemoOptions options =
        DemoOptions.parse(
            "--plain",
            "--duration",
            "3s",
            "--backends",
            "4",
            "--metrics-port",
            "0",
            "--metrics-csv",
            csv.toString());
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    Demo.run(options, out, false, false);
    String text = captured.toString(StandardCharsets.UTF_8);

    assertThat(text).containsPattern("stats page: http://127\\.0\\.0\\.1:\\d+/");
    List<String> rows = Files.readAllLines(csv);
    assertThat(rows.get(0)).startsWith("seconds,endpoint,health,");
    assertThat(rows.subList(1, rows.size()))
        .hasSizeGreaterThan(4 * 5)
        .allSatisfy(r -> assertThat(r.split(",", -1)).hasSize(9));
    assertThat(rows).anySatisfy(r -> assertThat(r).contains(",b1,HEALTHY,"));
  }

  @Test
  void options_metricsFlags() {
    assertThat(DemoOptions.parse().metricsPort()).isEqualTo(-1);
    assertThat(DemoOptions.parse().metricsCsv()).isNull();
    assertThat(DemoOptions.parse("--metrics-port", "9464").metricsPort()).isEqualTo(9464);
    assertThatThrownBy(() -> DemoOptions.parse("--metrics-port", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--metrics-port must be a port from 0 to 65535 but was 'x'");
  }

  @Test
  void options_defaultsAndFlags() {
    DemoOptions defaults = DemoOptions.parse();
    assertThat(defaults.strategy()).isEqualTo("peak_ewma");
    assertThat(defaults.duration()).isEqualTo(Duration.ofSeconds(25));
    assertThat(defaults.backends()).isEqualTo(5);
    assertThat(defaults.plain()).isFalse();

    DemoOptions o =
        DemoOptions.parse(
            "--strategy", "round_robin", "--duration", "4500ms", "--backends", "6", "--plain");
    assertThat(o.strategy()).isEqualTo("round_robin");
    assertThat(o.duration()).isEqualTo(Duration.ofMillis(4500));
    assertThat(o.backends()).isEqualTo(6);
    assertThat(o.plain()).isTrue();
    assertThat(DemoOptions.parse("--duration", "2m").duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(DemoOptions.parse("--duration", "7.5").duration())
        .isEqualTo(Duration.ofMillis(7500));
  }

  @Test
  void options_badValues_rejectedNamingTheOptionAndQuotingTheValue() {
    assertThatThrownBy(() -> DemoOptions.parse("--duration", "1s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--duration must be a time from 3s to 1h, such as 25s or 2m, but was '1s'");
    assertThatThrownBy(() -> DemoOptions.parse("--duration", "soon"))
        .hasMessageEndingWith("but was 'soon'");
    assertThatThrownBy(() -> DemoOptions.parse("--backends", "3"))
        .hasMessage("--backends must be an integer from 4 to 16 but was '3'");
    assertThatThrownBy(() -> DemoOptions.parse("--strategy", "fastest"))
        .hasMessageEndingWith("but was 'fastest'");
    assertThatThrownBy(() -> DemoOptions.parse("--seed", "x"))
        .hasMessage("--seed must be an integer but was 'x'");
    assertThatThrownBy(() -> DemoOptions.parse("--bogus")).hasMessage("unknown option '--bogus'");
    assertThatThrownBy(() -> DemoOptions.parse("--backends"))
        .hasMessage("--backends needs a value");
  }

  private static List<DemoEvents.Event> eventsOf(Demo.Report report, String id) {
    return report.events().stream().filter(e -> id.equals(e.endpointId())).toList();
  }

  private static int indexOf(List<DemoEvents.Event> events, DemoEvents.Kind kind, int from) {
    for (int i = Math.max(0, from); i < events.size(); i++) {
      if (events.get(i).kind() == kind) {
        return i;
      }
    }
    return -1;
  }

  private static int firstStatus(List<DemoEvents.Event> events, int from, HealthStatus... any) {
    for (int i = Math.max(0, from); i < events.size(); i++) {
      for (HealthStatus s : any) {
        if (events.get(i).to() == s) {
          return i;
        }
      }
    }
    return -1;
  }

  private static long successes(Demo.Report report, String id) {
    for (EndpointStats e : report.finalStats().endpoints()) {
      if (e.endpoint().id().equals(id)) {
        return e.successes();
      }
    }
    throw new AssertionError("no endpoint " + id);
  }
}
