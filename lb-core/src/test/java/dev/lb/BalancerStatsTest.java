package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancerStatsTest {
  private static EndpointStats stats(
      String id, int inFlight, long ok, double latency, double rate) {
    return EndpointStats.builder(Endpoint.builder("h", 1).id(id).build())
        .inFlight(inFlight)
        .successes(ok)
        .failures(1)
        .cancellations(2)
        .latencyEwmaNanos(latency)
        .throughputBytesPerSecond(rate)
        .build();
  }

  @Test
  void totalsAddUpOverEndpoints() {
    BalancerStats s =
        BalancerStats.of(
            "b",
            "p2c",
            3,
            false,
            100,
            -1,
            List.of(stats("a", 1, 10, 1e6, 0), stats("b", 2, 20, 1e6, 0)));
    assertThat(s.inFlight()).isEqualTo(3);
    assertThat(s.picks()).isEqualTo(1 + 10 + 3 + 2 + 20 + 3);
    assertThat(s.endpoints().get(0).picks()).isEqualTo(14);
  }

  @Test
  void table_formatsLatencyAndThroughputInReadableUnits() {
    BalancerStats s =
        BalancerStats.of(
            "b",
            "p2c",
            0,
            false,
            100,
            -1,
            List.of(
                stats("ns", 0, 1, 500, 100),
                stats("us", 0, 1, 2_500, 2048),
                stats("ms", 0, 1, 12_300_000, 3 * 1024 * 1024),
                stats("s", 0, 1, 2.5e9, Double.NaN),
                stats("none", 0, 1, Double.NaN, 0)));
    String table = s.toTable();
    assertThat(table)
        .contains("500 ns", "100 B/s")
        .contains("2.5 us", "2.0 KiB/s")
        .contains("12.3 ms", "3.0 MiB/s")
        .contains("2.50 s");
    assertThat(table.lines().filter(l -> l.startsWith("none")).findFirst().orElseThrow())
        .endsWith("-            -     0 -         -");
    assertThat(s).hasToString(table);
  }

  @Test
  void latencyEwma_asDuration_nullBeforeFirstReport() {
    assertThat(stats("a", 0, 0, Double.NaN, 0).latencyEwma()).isNull();
    assertThat(stats("a", 0, 0, 1.5e6, 0).latencyEwma()).isEqualTo(Duration.ofNanos(1_500_000));
  }
}
