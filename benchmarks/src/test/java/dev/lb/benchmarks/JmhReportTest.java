package dev.lb.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JmhReportTest {
  private static String run(
      String benchmark, String params, int threads, double score, double alloc) {
    return "{\"jmhVersion\":\"1.37\",\"benchmark\":\"dev.lb.benchmarks."
        + benchmark
        + "\",\"mode\":\"avgt\",\"threads\":"
        + threads
        + ",\"params\":{"
        + params
        + "},\"primaryMetric\":{\"score\":"
        + score
        + ",\"scoreError\":\"NaN\",\"scoreUnit\":\"ns/op\",\"rawData\":[[1.0,2.0]]},"
        + "\"secondaryMetrics\":{\"·gc.alloc.rate.norm\":{\"score\":"
        + alloc
        + ",\"scoreUnit\":\"B/op\"}}}";
  }

  @Test
  void markdown_pickResults_tableByTypeSizeAndThreads() {
    String json =
        "["
            + run(
                "PickBenchmark.pickAndRelease",
                "\"type\":\"LB_ROUND_ROBIN\",\"endpoints\":\"10\"",
                1,
                6.5,
                24)
            + ","
            + run(
                "PickBenchmark.pickAndRelease2Threads",
                "\"type\":\"LB_ROUND_ROBIN\",\"endpoints\":\"10\"",
                2,
                9.25,
                24)
            + ","
            + run(
                "PickBenchmark.pickAndRelease",
                "\"type\":\"GRPC_ROUND_ROBIN\",\"endpoints\":\"10\"",
                1,
                14.0,
                0)
            + ","
            + run(
                "HashBenchmark.lookup",
                "\"type\":\"GUAVA_CONSISTENT_HASH\",\"endpoints\":\"100\"",
                1,
                21.0,
                0)
            + ","
            + run(
                "MembershipBenchmark.replaceOne",
                "\"strategy\":\"p2c\",\"endpoints\":\"1000\"",
                1,
                123.4,
                0)
            + "]";

    JmhReport report = JmhReport.parse(json);
    String md = report.markdown();

    assertThat(md)
        .contains("| 10 × 1 thr | 10 × 2 thr |")
        .contains("| LB_ROUND_ROBIN | 6.50 | 9.25 | 24 |")
        .contains("| GRPC_ROUND_ROBIN | 14.0 | – | 0 |")
        .contains("| GUAVA_CONSISTENT_HASH | 21.0 | 0 |")
        .contains("| p2c | – | 123 | – |");
    assertThat(report.pickSvg(10)).startsWith("<svg").contains("LB_ROUND_ROBIN").contains("6.50");
    assertThat(report.pickSvg(1000)).isNull();
  }

  @Test
  void markdown_pickAlone_isItsOwnTable_andEqualWeightsAreLabelled() {
    String json =
        "["
            + run(
                "PickBenchmark.pick",
                "\"type\":\"LB_P2C\",\"endpoints\":\"100\",\"weights\":\"mixed\"",
                1,
                15.5,
                0)
            + ","
            + run(
                "PickBenchmark.pick",
                "\"type\":\"LB_P2C\",\"endpoints\":\"100\",\"weights\":\"equal\"",
                1,
                7.25,
                0)
            + ","
            + run(
                "PickBenchmark.pickAndRelease",
                "\"type\":\"LB_P2C\",\"endpoints\":\"100\",\"weights\":\"mixed\"",
                1,
                24.5,
                24)
            + "]";

    String md = JmhReport.parse(json).markdown();

    int alone = md.indexOf("### Pick alone");
    int withRelease = md.indexOf("### Pick + release");
    assertThat(alone).isNotNegative().isLessThan(withRelease);
    String aloneTable = md.substring(alone, withRelease);
    assertThat(aloneTable)
        .contains("| LB_P2C | 15.5 | – | 0 |")
        .contains("| LB_P2C (equal weights) | 7.25 | – | 0 |")
        .doesNotContain("24.5");
    assertThat(md.substring(withRelease)).contains("| LB_P2C | 24.5 | – | 24 |");
  }
}
