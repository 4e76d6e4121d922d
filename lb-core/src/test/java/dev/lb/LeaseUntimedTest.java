package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Untimed reports count the outcome and leave the latency estimates alone. */
class LeaseUntimedTest {
  private final FakeTicker ticker = new FakeTicker();
  private final LoadBalancer balancer =
      LoadBalancer.builder()
          .name("untimed")
          .ticker(ticker)
          .endpoints(java.util.List.of(Endpoint.of("10.0.0.1", 80)))
          .build();

  private EndpointStats only() {
    return balancer.stats().endpoints().get(0);
  }

  @Test
  void onSuccessUntimed_countsSuccess_keepsLatencyUnmeasured() {
    Lease lease = balancer.pick();
    assertThat(lease.onSuccessUntimed(10)).isTrue();
    assertThat(lease.onSuccess(5)).as("second report ignored").isFalse();

    EndpointStats stats = only();
    assertThat(stats.successes()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.latencyEwmaNanos()).isNaN();
  }

  @Test
  void onSuccessUntimed_afterATimedSample_leavesTheEstimateAsItWas() {
    balancer.pick().onSuccess(Duration.ofMillis(2).toNanos());
    double before = only().latencyEwmaNanos();
    balancer.pick().onSuccessUntimed(0);

    assertThat(only().latencyEwmaNanos()).isEqualTo(before);
    assertThat(only().successes()).isEqualTo(2);
  }

  @Test
  void onFailureUntimed_countsFailure_keepsLatencyAsItWas() {
    balancer.pick().onSuccess(Duration.ofMillis(2).toNanos());
    double before = only().latencyEwmaNanos();
    Lease lease = balancer.pick();
    assertThat(lease.onFailureUntimed(new IOException("reset"))).isTrue();
    assertThat(lease.onFailureUntimed(null)).isFalse();

    EndpointStats stats = only();
    assertThat(stats.failures()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.latencyEwmaNanos()).isEqualTo(before);
  }
}
