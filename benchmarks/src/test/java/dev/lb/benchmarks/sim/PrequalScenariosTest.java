package dev.lb.benchmarks.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The Prequal scenarios' building blocks: background load, several clients, probes on sim time. */
class PrequalScenariosTest {
  private static final long S = 1_000_000_000L;

  @Test
  void background_shareCyclesWithinAmplitude_andSlowsCallsAccordingly() {
    BackendSpec b = BackendSpec.healthy(ServiceTime.exponential(10), 4).background(0.5, 10 * S, 0);
    double min = 1;
    double max = 0;
    for (long t = 0; t < 20 * S; t += S / 10) {
      double share = b.backgroundShare(t);
      min = Math.min(min, share);
      max = Math.max(max, share);
      assertThat(b.backgroundFactor(t)).isEqualTo(1 / (1 - share));
    }
    assertThat(min).isBetween(0.0, 0.01);
    assertThat(max).isBetween(0.49, 0.5);
    // Capacity is averaged over the cycle: other tenants take a quarter on average.
    assertThat(b.capacityPerSecond()).isEqualTo(400 * 0.75);
    assertThat(BackendSpec.healthy(ServiceTime.exponential(10), 4).backgroundFactor(5 * S))
        .isEqualTo(1.0);
    assertThatThrownBy(() -> b.background(0.95, S, 0)).hasMessageContaining("backgroundAmplitude");
    assertThatThrownBy(() -> b.background(0.5, 0, 0)).hasMessageContaining("backgroundPeriodNanos");
  }

  @Test
  void scenarios_oldConstructorsKeepOneClient_newOnesAsSpecified() {
    Scenario old =
        new Scenario(
            "x", "y", List.of(BackendSpec.healthy(ServiceTime.exponential(10), 1)), 10, S, S);
    assertThat(old.clients()).isEqualTo(1);
    assertThat(old.oddBackends()).isEqualTo(1);
    Scenario regime = Scenario.prequalRegime(1.0);
    assertThat(regime.backends()).hasSize(100);
    assertThat(regime.clients()).isEqualTo(50);
    double slowest = Double.MAX_VALUE;
    double fastest = 0;
    for (BackendSpec b : regime.backends()) {
      slowest = Math.min(slowest, 1 / b.slowFactor());
      fastest = Math.max(fastest, 1 / b.slowFactor());
    }
    assertThat(slowest).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(fastest).isEqualTo(4.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(Scenario.fastFailing(0.1).warmupNanos()).isEqualTo(S);
    assertThatThrownBy(
            () ->
                new Scenario(
                    "x",
                    "y",
                    List.of(BackendSpec.healthy(ServiceTime.exponential(10), 1)),
                    10,
                    S,
                    S,
                    0,
                    0,
                    1))
        .hasMessageContaining("clients");
  }

  @Test
  void prequalRegime_short_prequalBeatsPeakEwmaAtP99_andProbesAnswerFromTheBackends() {
    Scenario s = Scenario.prequalRegime(0.1);
    Result prequal = new Simulation(s, "prequal", Policies.byName("prequal"), 3).run(null);
    Result peak = new Simulation(s, "peak_ewma", Policies.byName("peak_ewma"), 3).run(null);
    assertThat(prequal.successRate()).isEqualTo(1.0);
    assertThat(prequal.p99Millis()).isLessThan(peak.p99Millis());
  }
}
