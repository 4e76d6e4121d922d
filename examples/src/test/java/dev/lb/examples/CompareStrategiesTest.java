package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.StrategyRegistry;
import org.junit.jupiter.api.Test;

/**
 * Smoke test of the strategy comparison: it runs every strategy and tells the story it claims to
 * tell.
 */
class CompareStrategiesTest {
  private static CompareStrategies.Options options(String... args) {
    return CompareStrategies.Options.parse(args);
  }

  @Test
  void everyStrategyRuns_andAccountsForEveryCall() {
    CompareStrategies.Options o = options("--calls", "2000");
    for (String name : StrategyRegistry.names()) {
      CompareStrategies.Result r = CompareStrategies.run(name, o);
      long total = 0;
      for (long p : r.picks) {
        total += p;
      }
      assertThat(total).as(name).isEqualTo(2000);
      assertThat(r.stats).contains("0 in flight");
    }
  }

  @Test
  void peakEwma_keepsTailLatencyFarBelowRoundRobin() {
    CompareStrategies.Options o = options("--calls", "10000");
    CompareStrategies.Result roundRobin = CompareStrategies.run("round_robin", o);
    CompareStrategies.Result peakEwma = CompareStrategies.run("peak_ewma", o);
    assertThat(roundRobin.picks[0]).isEqualTo(2500);
    assertThat(peakEwma.picks[0]).isLessThan(500);
    assertThat(peakEwma.percentile(0.99)).isLessThan(roundRobin.percentile(0.99) / 10);
  }

  @Test
  void everyLoadAwareStrategy_shiftsCallsAwayFromTheSlowEndpoint() {
    CompareStrategies.Options o = options("--calls", "10000");
    for (String name :
        new String[] {
          "least_connections",
          "weighted_least_connections",
          "least_response_time",
          "least_bandwidth",
          "p2c",
          "peak_ewma"
        }) {
      // A fair share would be 25%; the slow endpoint can serve only about 6% of this load.
      assertThat(CompareStrategies.run(name, o).picks[0]).as(name).isLessThan(1_500);
    }
  }

  @Test
  void badOptions_rejectedNamingTheOption() {
    assertThatThrownBy(() -> options("--calls", "0"))
        .hasMessage("--calls must be a positive integer but was '0'");
    assertThatThrownBy(() -> options("--strategy", "fastest"))
        .hasMessageEndingWith("but was 'fastest'");
    assertThatThrownBy(() -> options("--bogus", "1")).hasMessage("unknown option '--bogus'");
    assertThatThrownBy(() -> options("--calls")).hasMessage("--calls needs a value");
  }
}
