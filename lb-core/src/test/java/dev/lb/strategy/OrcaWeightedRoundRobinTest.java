package dev.lb.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.Endpoint;
import dev.lb.LoadReport;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** gRFC A58's rules, with fake time and scripted reports. */
class OrcaWeightedRoundRobinTest {
  private final FakeTicker ticker = new FakeTicker();
  private final StrategyContext context = new StrategyContext(new SplittableRandom(7), ticker);

  /** A backend whose reports the test scripts; stamped with the fake clock like a balancer's. */
  static final class Reporting implements LiveEndpoint {
    private final Endpoint endpoint;
    @Nullable LoadReport report;

    Reporting(String id, int weight) {
      this.endpoint = Endpoint.builder("10.0.0.1", 8080).id(id).weight(weight).build();
    }

    LoadReport report(double qps, double cpu, double eps) {
      return LoadReport.builder()
          .requestsPerSecond(qps)
          .cpuUtilization(cpu)
          .errorsPerSecond(eps)
          .build();
    }

    void report(FakeTicker ticker, double qps, double cpu) {
      report =
          LoadReport.builder()
              .requestsPerSecond(qps)
              .cpuUtilization(cpu)
              .build()
              .receivedAt(ticker.read());
    }

    @Override
    public Endpoint endpoint() {
      return endpoint;
    }

    @Override
    public int weight() {
      return endpoint.weight();
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public double latencyEwmaNanos() {
      return Double.NaN;
    }

    @Override
    public double peakEwmaNanos(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public double throughputBytesPerSecond(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public @Nullable LoadReport loadReport() {
      return report;
    }

    @Override
    public String toString() {
      return endpoint.id();
    }
  }

  private static List<Reporting> endpoints(int... weights) {
    List<Reporting> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(new Reporting("e" + i, weights[i]));
    }
    return list;
  }

  private OrcaPicker picker(OrcaWeightedRoundRobin strategy, List<Reporting> endpoints) {
    return (OrcaPicker) strategy.newPicker(List.copyOf(endpoints), context);
  }

  /** Reports every second for {@code seconds}, refreshing the picker after each tick. */
  private void reportFor(int seconds, OrcaPicker picker, Runnable reports) {
    for (int s = 0; s < seconds; s++) {
      reports.run();
      ticker.advance(Duration.ofSeconds(1));
      picker.refresh(ticker.read());
    }
  }

  private static double[] shares(Picker picker, List<? extends LiveEndpoint> endpoints, int n) {
    IdentityHashMap<LiveEndpoint, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < endpoints.size(); i++) {
      index.put(endpoints.get(i), i);
    }
    double[] counts = new double[endpoints.size()];
    for (int i = 0; i < n; i++) {
      counts[index.get(picker.pick(PickContext.none()))]++;
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] /= n;
    }
    return counts;
  }

  @Test
  void blackout_reportedWeightsUnusedUntilTenSecondsAfterTheFirstReport() {
    List<Reporting> e = endpoints(1, 1);
    OrcaPicker picker = picker(Strategies.orcaWeightedRoundRobin(), e);
    Runnable reports =
        () -> {
          e.get(0).report(ticker, 100, 0.2); // weight 500
          e.get(1).report(ticker, 100, 0.8); // weight 125
        };

    reportFor(9, picker, reports); // first report at t0, now t0 + 9 s
    assertThat(picker.usesReportedWeights()).isFalse();
    assertThat(shares(picker, e, 10_000)).containsExactly(new double[] {0.5, 0.5}, within(0.01));

    reportFor(1, picker, reports); // t0 + 10 s
    assertThat(picker.usesReportedWeights()).isTrue();
    assertThat(shares(picker, e, 100_000)).containsExactly(new double[] {0.8, 0.2}, within(0.01));
  }

  @Test
  void blackout_anEndpointThatStartsReportingLaterGetsTheMeanUntilItsOwnBlackoutEnds() {
    List<Reporting> e = endpoints(1, 1, 1);
    OrcaPicker picker = picker(Strategies.orcaWeightedRoundRobin(), e);
    reportFor(
        15,
        picker,
        () -> {
          e.get(0).report(ticker, 100, 0.25); // 400
          e.get(1).report(ticker, 100, 0.5); // 200
        });
    // The silent one gets the mean, 300.
    assertThat(shares(picker, e, 90_000))
        .containsExactly(new double[] {4 / 9.0, 2 / 9.0, 3 / 9.0}, within(0.01));

    Runnable all =
        () -> {
          e.get(0).report(ticker, 100, 0.25);
          e.get(1).report(ticker, 100, 0.5);
          e.get(2).report(ticker, 100, 1.0); // 100
        };
    reportFor(9, picker, all);
    assertThat(shares(picker, e, 90_000))
        .as("still in its blackout: the mean of the others")
        .containsExactly(new double[] {4 / 9.0, 2 / 9.0, 3 / 9.0}, within(0.01));
    reportFor(1, picker, all);
    assertThat(shares(picker, e, 70_000))
        .containsExactly(new double[] {4 / 7.0, 2 / 7.0, 1 / 7.0}, within(0.01));
  }

  @Test
  void expiry_aSilentEndpointLosesItsWeight_andGoesThroughBlackoutAgainWhenItResumes() {
    OrcaWeightedRoundRobin strategy =
        OrcaWeightedRoundRobin.builder()
            .weightExpirationPeriod(Duration.ofSeconds(30))
            .blackoutPeriod(Duration.ofSeconds(5))
            .build();
    List<Reporting> e = endpoints(1, 1, 1);
    OrcaPicker picker = picker(strategy, e);
    Runnable all =
        () -> {
          e.get(0).report(ticker, 100, 0.25); // 400
          e.get(1).report(ticker, 100, 0.5); // 200
          e.get(2).report(ticker, 100, 1.0); // 100
        };
    reportFor(6, picker, all);
    assertThat(shares(picker, e, 70_000))
        .containsExactly(new double[] {4 / 7.0, 2 / 7.0, 1 / 7.0}, within(0.01));

    // e0 goes silent: its weight stands for 30 s after its last report, then it gets the mean.
    Runnable twoOnly =
        () -> {
          e.get(1).report(ticker, 100, 0.5);
          e.get(2).report(ticker, 100, 1.0);
        };
    reportFor(28, picker, twoOnly);
    assertThat(shares(picker, e, 70_000)[0]).isCloseTo(4 / 7.0, within(0.01));
    reportFor(2, picker, twoOnly);
    assertThat(shares(picker, e, 60_000))
        .as("expired: the mean of 200 and 100")
        .containsExactly(new double[] {1.5 / 4.5, 2 / 4.5, 1 / 4.5}, within(0.01));

    // It resumes: a new blackout of 5 s before its weight counts again.
    reportFor(4, picker, all);
    assertThat(shares(picker, e, 60_000)[0]).isCloseTo(1.5 / 4.5, within(0.01));
    reportFor(1, picker, all);
    assertThat(shares(picker, e, 70_000)[0]).isCloseTo(4 / 7.0, within(0.01));
  }

  @Test
  void fallback_fewerThanTwoEndpointsWithWeights_usesTheStaticWeights() {
    List<Reporting> e = endpoints(1, 2, 3);
    OrcaPicker picker = picker(Strategies.orcaWeightedRoundRobin(), e);
    reportFor(20, picker, () -> e.get(2).report(ticker, 100, 0.01)); // a huge weight, alone
    assertThat(picker.usesReportedWeights()).isFalse();
    assertThat(shares(picker, e, 60_000))
        .containsExactly(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, within(0.01));

    // All reports expire: back to the static weights, and no exception on the way.
    ticker.advance(Duration.ofMinutes(3));
    picker.refresh(ticker.read());
    assertThat(shares(picker, e, 60_000))
        .containsExactly(new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0}, within(0.01));
  }

  @Test
  void weight_errorPenaltyAndApplicationUtilization_followA58sFormula() {
    OrcaWeightedRoundRobin wrr = Strategies.orcaWeightedRoundRobin();
    LoadReport errors =
        LoadReport.builder().requestsPerSecond(100).cpuUtilization(0.5).errorsPerSecond(50).build();
    // 100 / (0.5 + 1.0 x 50 / 100)
    assertThat(wrr.weightOf(errors)).isEqualTo(100.0);
    assertThat(wrr.toBuilder().errorUtilizationPenalty(0).build().weightOf(errors))
        .isEqualTo(200.0);
    assertThat(wrr.toBuilder().errorUtilizationPenalty(2).build().weightOf(errors))
        .isCloseTo(100 / 1.5, within(1e-9));
    LoadReport app =
        LoadReport.builder()
            .requestsPerSecond(100)
            .cpuUtilization(0.9)
            .applicationUtilization(0.25)
            .build();
    assertThat(wrr.weightOf(app)).as("application utilization first").isEqualTo(400.0);
    assertThat(wrr.weightOf(LoadReport.builder().cpuUtilization(0.5).build())).isZero();
    assertThat(wrr.weightOf(LoadReport.builder().requestsPerSecond(10).build())).isZero();
  }

  @Test
  void errorPenalty_shiftsTrafficAwayFromAFastFailingEndpoint() {
    List<Reporting> e = endpoints(1, 1);
    OrcaPicker picker = picker(Strategies.orcaWeightedRoundRobin(), e);
    reportFor(
        11,
        picker,
        () -> {
          e.get(0).report(ticker, 100, 0.5);
          // Same qps and CPU, but 3 in 4 answers are errors: 100 / (0.5 + 0.75) = 80 vs 200.
          e.get(1).report = e.get(1).report(100, 0.5, 75).receivedAt(ticker.read());
        });
    assertThat(shares(picker, e, 70_000))
        .containsExactly(new double[] {200 / 280.0, 80 / 280.0}, within(0.01));
  }

  @Test
  void reportWithoutQpsOrUtilization_isIgnored_thePreviousWeightStands() {
    List<Reporting> e = endpoints(1, 1);
    OrcaPicker picker =
        picker(OrcaWeightedRoundRobin.builder().blackoutPeriod(Duration.ZERO).build(), e);
    reportFor(
        2,
        picker,
        () -> {
          e.get(0).report(ticker, 100, 0.2);
          e.get(1).report(ticker, 100, 0.8);
        });
    reportFor(
        5,
        picker,
        () -> {
          e.get(0).report(ticker, 0, 0.2);
          e.get(1).report(ticker, 100, 0.8);
        });
    assertThat(shares(picker, e, 50_000)).containsExactly(new double[] {0.8, 0.2}, within(0.01));
  }

  @Test
  void rebuild_keepsEachEndpointsBlackoutState() {
    OrcaWeightedRoundRobin strategy = OrcaWeightedRoundRobin.builder().build();
    List<Reporting> e = endpoints(1, 1, 1);
    OrcaPicker first = picker(strategy, e.subList(0, 2));
    reportFor(
        12,
        first,
        () -> {
          e.get(0).report(ticker, 100, 0.2);
          e.get(1).report(ticker, 100, 0.8);
        });
    // A membership change builds a new picker over the same instances: no new blackout.
    OrcaPicker second = picker(strategy, e);
    assertThat(second.usesReportedWeights()).isTrue();
    assertThat(shares(second, e, 100_000))
        .containsExactly(new double[] {500 / 937.5, 125 / 937.5, 312.5 / 937.5}, within(0.01));
  }

  @Test
  void proportions_matchReportedWeights_overManySeeds_withWeightsNotAllOne() {
    for (int seed = 0; seed < 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      int n = 2 + random.nextInt(9);
      List<Reporting> e = new ArrayList<>();
      double[] weights = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        e.add(new Reporting("e" + i, 1 + random.nextInt(5)));
        weights[i] = 10 + random.nextInt(90); // within the 10x-mean cap
        sum += weights[i];
      }
      StrategyContext seeded = new StrategyContext(new SplittableRandom(seed), ticker);
      OrcaPicker picker =
          (OrcaPicker)
              OrcaWeightedRoundRobin.builder()
                  .blackoutPeriod(Duration.ZERO)
                  .build()
                  .newPicker(List.copyOf(e), seeded);
      for (int i = 0; i < n; i++) {
        e.get(i).report(ticker, weights[i], 1.0);
      }
      picker.refresh(ticker.read());
      double[] got = shares(picker, e, 200_000);
      for (int i = 0; i < n; i++) {
        assertThat(got[i])
            .as("seed %d endpoint %d", seed, i)
            .isCloseTo(weights[i] / sum, within(0.005));
      }
    }
  }

  @Test
  void thousandEndpoints_everyOnePicked_inProportion() {
    int n = 1000;
    List<Reporting> e = new ArrayList<>();
    double sum = 0;
    double[] weights = new double[n];
    for (int i = 0; i < n; i++) {
      e.add(new Reporting("e" + i, 1));
      weights[i] = 1 + i % 4; // 1, 2, 3, 4
      sum += weights[i];
    }
    OrcaPicker picker =
        picker(OrcaWeightedRoundRobin.builder().blackoutPeriod(Duration.ZERO).build(), e);
    for (int i = 0; i < n; i++) {
      e.get(i).report(ticker, weights[i] * 100, 1.0);
    }
    picker.refresh(ticker.read());
    double[] got = shares(picker, e, 1_000_000);
    double[] byClass = new double[4];
    for (int i = 0; i < n; i++) {
      assertThat(got[i]).as("endpoint %d picked", i).isPositive();
      byClass[i % 4] += got[i];
    }
    for (int c = 0; c < 4; c++) {
      assertThat(byClass[c]).isCloseTo(250 * (c + 1) / sum, within(0.005));
    }
  }

  @Test
  void scheduler_capsWeightsAtTenTimesTheMean() {
    StrideSchedule s = StrideSchedule.of(new double[] {1, 1, 1, 1000}, new SplittableRandom(1));
    int[] w = s.scaledWeights();
    assertThat(w[3]).isEqualTo(StrideSchedule.MAX_SCALE);
    // mean 250.75, cap 2507.5 > 1000: no cap here; a floor of 1% of the mean keeps the small ones.
    assertThat(w[0]).isGreaterThanOrEqualTo(1);
    StrideSchedule capped =
        StrideSchedule.of(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1000}, new SplittableRandom(1));
    // mean 100.9: the cap (1009) does not bind; 1 scales to 65536 / 1000 = 65.5 -> 66, which is
    // also the floor, 1% of the mean's scaled weight.
    assertThat(capped.scaledWeights()[0]).isEqualTo(66);
    StrideSchedule hot =
        StrideSchedule.of(
            new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 100_000}, new SplittableRandom(1));
    // mean 10,000.9: 100,000 is capped at 10x the mean, 100,009, which takes the whole scale.
    assertThat(hot.scaledWeights()[9]).isEqualTo(StrideSchedule.MAX_SCALE);
    assertThat(hot.scaledWeights()[0]).isEqualTo(Math.round(0.01 * 10_000.9 * 65536 / 100_009.0));
  }

  @Test
  void registry_andOptions() {
    assertThat(StrategyRegistry.byName("orca_weighted_round_robin"))
        .isSameAs(Strategies.orcaWeightedRoundRobin());
    assertThat(StrategyRegistry.byName("weighted_round_robin"))
        .isSameAs(Strategies.weightedRoundRobin());
    OrcaWeightedRoundRobin d = Strategies.orcaWeightedRoundRobin();
    assertThat(d.blackoutPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.weightExpirationPeriod()).isEqualTo(Duration.ofMinutes(3));
    assertThat(d.weightUpdatePeriod()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.errorUtilizationPenalty()).isEqualTo(1.0);
    assertThat(d.enableOobLoadReport()).isFalse();
    assertThat(d.oobReportingPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.usesLoadReports()).isTrue();
    assertThat(d.refreshPeriodNanos()).isEqualTo(1_000_000_000L);
    assertThat(d.toBuilder().build()).isEqualTo(d).hasSameHashCodeAs(d);
    assertThat(d.toBuilder().weightUpdatePeriod(Duration.ofMillis(10)).build().weightUpdatePeriod())
        .as("A58: at least 100 ms")
        .isEqualTo(Duration.ofMillis(100));
    assertThat(d.toBuilder().enableOobLoadReport(true).build()).isNotEqualTo(d);
    assertThat(d.toString()).contains("blackoutPeriod=PT10S");

    assertThatThrownBy(
            () -> OrcaWeightedRoundRobin.builder().blackoutPeriod(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blackoutPeriod")
        .hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> OrcaWeightedRoundRobin.builder().weightExpirationPeriod(Duration.ZERO))
        .hasMessageContaining("weightExpirationPeriod");
    assertThatThrownBy(() -> OrcaWeightedRoundRobin.builder().errorUtilizationPenalty(-0.5))
        .hasMessageContaining("errorUtilizationPenalty")
        .hasMessageContaining("-0.5");
    assertThatThrownBy(() -> OrcaWeightedRoundRobin.builder().oobReportingPeriod(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("oobReportingPeriod");
  }
}
