package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.OutlierDetection;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The hooks metrics adapters bind to: percentiles in stats, call listeners, late listeners. */
class ObservabilityHooksTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  private LoadBalancer.Builder builder() {
    return LoadBalancer.builder()
        .name("svc")
        .ticker(ticker)
        .scheduler(scheduler)
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80)));
  }

  @Test
  void stats_latencyPercentiles_overTheRecentWindow() {
    LoadBalancer lb = builder().latencyWindow(Duration.ofSeconds(40)).build();
    for (int i = 1; i <= 100; i++) {
      Lease lease = lb.pick(PickContext.builder().exclude("10.0.0.2:80").build());
      if (i % 10 == 0) {
        lease.onFailure(i * 1_000_000L, null);
      } else {
        lease.onSuccess(i * 1_000_000L);
      }
    }
    EndpointStats e = lb.stats().endpoints().get(0);
    assertThat(e.latencySamples()).isEqualTo(100);
    assertThat(e.latencyP50Nanos()).isCloseTo(50e6, within(50e6 * 0.0625));
    assertThat(e.latencyP90Nanos()).isCloseTo(90e6, within(90e6 * 0.0625));
    assertThat(e.latencyP99Nanos()).isCloseTo(99e6, within(99e6 * 0.0625));
    assertThat(lb.stats().endpoints().get(1).latencyP50Nanos()).isNaN();
    assertThat(lb.stats().toTable()).contains("p50", "p99");

    ticker.advance(Duration.ofSeconds(40));
    assertThat(lb.stats().endpoints().get(0).latencySamples()).isZero();
    assertThat(lb.stats().endpoints().get(0).latencyP99Nanos()).isNaN();
  }

  @Test
  void latencyWindow_zero_keepsNoPercentiles() {
    LoadBalancer lb = builder().latencyWindow(Duration.ZERO).build();
    lb.pick().onSuccess(5_000_000L);
    EndpointStats e = lb.stats().endpoints().get(0);
    assertThat(e.latencySamples()).isZero();
    assertThat(e.latencyP50Nanos()).isNaN();
  }

  @Test
  void latencyWindow_validated() {
    assertThatThrownBy(() -> LoadBalancer.builder().latencyWindow(Duration.ofNanos(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyWindow must be zero or at least 1 ms but was PT0.000000005S");
    assertThatThrownBy(() -> LoadBalancer.builder().latencyWindow(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("latencyWindow");
  }

  @Test
  void callListener_hearsEveryOutcome_untilRemoved() {
    LoadBalancer lb = builder().build();
    List<String> heard = new ArrayList<>();
    CallListener listener =
        new CallListener() {
          @Override
          public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
            heard.add("success " + endpoint.id() + " " + latencyNanos + " " + responseBytes);
          }

          @Override
          public void onFailure(Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {
            heard.add("failure " + endpoint.id() + " " + latencyNanos + " " + cause);
          }

          @Override
          public void onSuccessUntimed(Endpoint endpoint, long responseBytes) {
            heard.add("untimed success " + endpoint.id() + " " + responseBytes);
          }

          @Override
          public void onFailureUntimed(Endpoint endpoint, @Nullable Throwable cause) {
            heard.add("untimed failure " + endpoint.id() + " " + cause);
          }

          @Override
          public void onCancel(Endpoint endpoint) {
            heard.add("cancel " + endpoint.id());
          }
        };
    Lease taken = lb.pick(); // before the listener: still reports to it
    lb.addCallListener(listener);
    taken.onSuccess(7, 100);
    Lease failing = lb.pick();
    failing.onFailure(9, new java.io.IOException("reset"));
    failing.onSuccess(1); // ignored: the lease was reported
    Lease stream = lb.pick();
    stream.onSuccessUntimed(30);
    Lease brokenStream = lb.pick();
    brokenStream.onFailureUntimed(null);
    Lease cancelled = lb.pick();
    cancelled.onCancel();
    assertThat(lb.removeCallListener(listener)).isTrue();
    assertThat(lb.removeCallListener(listener)).isFalse();
    lb.pick().onSuccess(1);
    assertThat(heard)
        .containsExactly(
            "success " + taken.endpoint().id() + " 7 100",
            "failure " + failing.endpoint().id() + " 9 java.io.IOException: reset",
            "untimed success " + stream.endpoint().id() + " 30",
            "untimed failure " + brokenStream.endpoint().id() + " null",
            "cancel " + cancelled.endpoint().id());
  }

  @Test
  void callListener_thatThrows_doesNotBreakReporting() {
    LoadBalancer lb = builder().build();
    lb.addCallListener(
        new CallListener() {
          @Override
          public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
            throw new IllegalStateException("boom");
          }
        });
    assertThat(lb.pick().onSuccess(1)).isTrue();
    assertThat(lb.stats().inFlight()).isZero();
    assertThat(lb.stats().picks()).isEqualTo(1);
  }

  @Test
  void addListener_afterBuild_hearsLaterChanges_andNoEndpointReasons() {
    LoadBalancer lb = builder().build();
    List<String> heard = new ArrayList<>();
    LoadBalancerListener listener =
        new LoadBalancerListener() {
          @Override
          public void onEndpointRemoved(LoadBalancer balancer, Endpoint endpoint) {
            heard.add("removed " + endpoint.id());
          }

          @Override
          public void onNoEndpointAvailable(
              LoadBalancer balancer, NoEndpointAvailableException.Reason reason) {
            heard.add("none " + reason);
          }
        };
    lb.addListener(listener);
    lb.setEndpoints(List.of());
    assertThatThrownBy(lb::pick).isInstanceOf(NoEndpointAvailableException.class);
    assertThat(lb.tryPick(PickContext.none())).isNull();
    assertThat(lb.removeListener(listener)).isTrue();
    assertThat(lb.removeListener(listener)).isFalse();
    assertThatThrownBy(lb::pick).isInstanceOf(NoEndpointAvailableException.class);
    assertThat(heard)
        .containsExactly(
            "removed 10.0.0.1:80", "removed 10.0.0.2:80", "none NO_ENDPOINTS", "none NO_ENDPOINTS");
    assertThatThrownBy(() -> lb.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
    assertThatThrownBy(() -> lb.addCallListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }
}
