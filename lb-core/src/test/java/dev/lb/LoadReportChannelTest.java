package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Load reports from leases and from {@link LoadBalancer#reportLoad} reach the endpoint's live
 * state, its stats, and {@code orca_weighted_round_robin}'s weights on the balancer's timer.
 */
class LoadReportChannelTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  private LoadBalancer balancer() {
    return LoadBalancer.builder()
        .name("svc")
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(3))
        .strategy(Strategies.orcaWeightedRoundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(
            List.of(
                Endpoint.builder("10.0.0.1", 80).id("cool").build(),
                Endpoint.builder("10.0.0.2", 80).id("hot").build()))
        .build();
  }

  private static LoadReport report(double cpu) {
    return LoadReport.builder().cpuUtilization(cpu).requestsPerSecond(100).build();
  }

  /** Each pick's backend answers with its CPU, as an ORCA trailer would; returns pick shares. */
  private Map<String, Integer> run(LoadBalancer lb, int calls, Duration each) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      Lease lease = lb.pick();
      String id = lease.endpoint().id();
      counts.merge(id, 1, Integer::sum);
      lease.onLoadReport(report(id.equals("hot") ? 0.9 : 0.3)); // before the outcome
      lease.onSuccess(1_000_000L);
      scheduler.advance(each);
    }
    return counts;
  }

  @Test
  void trafficShiftsToTheCoolerEndpoint_afterTheBlackout_onTheBalancersTimer() {
    LoadBalancer lb = balancer();
    Map<String, Integer> early = run(lb, 900, Duration.ofMillis(10)); // 9 s: in blackout
    assertThat(early.get("cool") / 900.0).isCloseTo(0.5, within(0.02));

    run(lb, 200, Duration.ofMillis(10)); // past 10 s, and a weight update
    Map<String, Integer> later = run(lb, 4000, Duration.ofMillis(1));
    // Weights 100 / 0.3 and 100 / 0.9: three to one.
    assertThat(later.get("cool") / 4000.0).isCloseTo(0.75, within(0.02));
    lb.close();
    assertThat(scheduler.pending()).as("the weight timer stops with the balancer").isZero();
  }

  @Test
  void stats_showTheLatestReportAndItsAge() {
    LoadBalancer lb = balancer();
    assertThat(lb.stats().endpoints().get(0).loadReport()).isNull();
    assertThat(lb.stats().endpoints().get(0).loadReportAgeNanos()).isEqualTo(-1);

    LoadReport sent = report(0.4).toBuilder().namedMetric("queue", 3).build();
    assertThat(sent.receivedAtNanos()).isEqualTo(LoadReport.NOT_RECEIVED);
    assertThat(lb.reportLoad("cool", sent)).isTrue();
    long receivedAt = ticker.read();
    ticker.advance(Duration.ofSeconds(2));

    EndpointStats cool = lb.stats().endpoints().get(0);
    assertThat(cool.loadReport()).isNotNull();
    assertThat(cool.loadReport().receivedAtNanos()).isEqualTo(receivedAt);
    assertThat(cool.loadReport().cpuUtilization()).isEqualTo(0.4);
    assertThat(cool.loadReport().namedMetrics()).containsEntry("queue", 3.0);
    assertThat(cool.loadReportAgeNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(cool.toString()).contains("loadReport=LoadReport{cpu=0.4, rps=100.0");
    assertThat(lb.stats().endpoints().get(1).loadReport()).isNull();

    assertThat(lb.reportLoad("nobody", sent)).isFalse();
    assertThatThrownBy(() -> lb.reportLoad("cool", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("report");
  }

  @Test
  void leaseReport_afterTheOutcome_stillCounts_andReplacesThePrevious() {
    LoadBalancer lb = balancer();
    Lease lease = lb.pick(PickContext.builder().exclude("hot").build());
    lease.onSuccess(1_000L);
    lease.onLoadReport(report(0.2));
    lease.onLoadReport(report(0.6));
    assertThat(lb.stats().endpoints().get(0).loadReport().cpuUtilization()).isEqualTo(0.6);
    assertThat(lb.stats().endpoints().get(0).successes()).isEqualTo(1);
    assertThatThrownBy(() -> lease.onLoadReport(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void otherStrategies_setNoTimer() {
    LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(ticker)
            .scheduler(scheduler)
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(List.of(Endpoint.of("10.0.0.1", 80)))
            .build();
    assertThat(scheduler.pending()).isZero();
    lb.close();
  }

  @Test
  void loadReport_validatesEachFieldByItsOrcaName() {
    assertThatThrownBy(() -> LoadReport.builder().cpuUtilization(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cpu_utilization")
        .hasMessageContaining("-0.1");
    assertThatThrownBy(() -> LoadReport.builder().memoryUtilization(1.5))
        .hasMessageContaining("mem_utilization");
    assertThatThrownBy(() -> LoadReport.builder().requestsPerSecond(Double.NaN))
        .hasMessageContaining("rps_fractional");
    assertThatThrownBy(() -> LoadReport.builder().errorsPerSecond(Double.POSITIVE_INFINITY))
        .hasMessageContaining("eps");
    assertThatThrownBy(() -> LoadReport.builder().requestsInFlight(-2))
        .hasMessageContaining("requests_in_flight");
    assertThatThrownBy(() -> LoadReport.builder().namedMetric("", 1))
        .hasMessageContaining("named_metrics");
    assertThatThrownBy(() -> LoadReport.builder().utilization("disk", -1))
        .hasMessageContaining("utilization.disk");
    assertThatThrownBy(() -> LoadReport.builder().requestCost("x", Double.NaN))
        .hasMessageContaining("request_cost.x");

    LoadReport full =
        LoadReport.builder()
            .cpuUtilization(0.5)
            .memoryUtilization(0.25)
            .applicationUtilization(0.7)
            .requestsPerSecond(10)
            .errorsPerSecond(1)
            .requestsInFlight(4)
            .namedMetric("a", 1)
            .requestCost("b", 2)
            .utilization("c", 0.3)
            .build();
    assertThat(full.toBuilder().build()).isEqualTo(full).hasSameHashCodeAs(full);
    assertThat(full.receivedAt(5)).isNotEqualTo(full);
    assertThat(full.receivedAt(5).receivedAtNanos()).isEqualTo(5);
    assertThat(full.isEmpty()).isFalse();
    assertThat(LoadReport.empty().isEmpty()).isTrue();
    assertThat(LoadReport.empty().toString()).isEqualTo("LoadReport{}");
    assertThat(full.toString())
        .isEqualTo(
            "LoadReport{cpu=0.5, mem=0.25, app=0.7, rps=10.0, eps=1.0, inFlight=4, named={a=1.0},"
                + " cost={b=2.0}, utilization={c=0.3}}");
    assertThatThrownBy(() -> full.namedMetrics().put("x", 1.0))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
