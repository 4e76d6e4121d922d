package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscoveryBindingTest {
  private final FakeTicker ticker = new FakeTicker();
  private final LoadBalancer balancer =
      Fixtures.balancer(Strategies.roundRobin(), List.of(), 1, ticker);
  private final ManualSource source = new ManualSource();
  private final RecordingListener listener = new RecordingListener();

  private DiscoveryBinding bind() {
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  @Test
  void update_appliesTheSetToTheBalancer_andRecordsSuccess() {
    DiscoveryBinding binding = bind();
    source.push(Fixtures.endpoints(3));

    assertThat(balancer.endpoints()).isEqualTo(Fixtures.endpoints(3));
    assertThat(binding.endpoints()).isEqualTo(Fixtures.endpoints(3));
    DiscoveryStatus status = binding.status();
    assertThat(status.isHealthy()).isTrue();
    assertThat(status.updates()).isEqualTo(1);
    assertThat(status.endpointCount()).isEqualTo(3);
    assertThat(status.lastSuccessNanos()).hasValue(ticker.read());
    assertThat(status.lastFailureNanos()).isEmpty();
    assertThat(status.lastError()).isNull();
    assertThat(listener.events).containsExactly("updated 3 changed");
  }

  @Test
  void update_sameSetAgain_reportedAsUnchanged() {
    bind();
    source.push(Fixtures.endpoints(2));
    source.push(Fixtures.endpoints(2));
    assertThat(listener.events).containsExactly("updated 2 changed", "updated 2 same");
  }

  @Test
  void fail_keepsLastGoodSet_countsStreak_thenRecovers() {
    DiscoveryBinding binding = bind();
    source.push(Fixtures.endpoints(2));
    long goodAt = ticker.read();
    ticker.advanceMillis(1000);
    IOException boom = new IOException("dns down");
    source.fail(boom);
    ticker.advanceMillis(1000);
    source.fail(boom);

    assertThat(balancer.endpoints()).isEqualTo(Fixtures.endpoints(2));
    DiscoveryStatus failing = binding.status();
    assertThat(failing.isHealthy()).isFalse();
    assertThat(failing.consecutiveFailures()).isEqualTo(2);
    assertThat(failing.failures()).isEqualTo(2);
    assertThat(failing.lastError()).isSameAs(boom);
    assertThat(failing.lastSuccessNanos()).hasValue(goodAt);
    assertThat(failing.lastFailureNanos()).hasValue(ticker.read());
    assertThat(failing.endpointCount()).isEqualTo(2);
    assertThat(failing.toString()).contains("failing", "dns down");

    source.push(Fixtures.endpoints(3));
    assertThat(balancer.endpoints()).hasSize(3);
    assertThat(binding.status().consecutiveFailures()).isZero();
    assertThat(binding.status().lastError()).isSameAs(boom); // kept for diagnosis
    assertThat(listener.events)
        .containsExactly(
            "updated 2 changed",
            "failed#1 kept 2",
            "failed#2 kept 2",
            "recovered after 2",
            "updated 3 changed");
  }

  @Test
  void update_emptySet_rejectedByDefault_keepsLastGoodSet() {
    DiscoveryBinding binding = bind();
    source.push(Fixtures.endpoints(2));
    source.push(List.of());

    assertThat(balancer.endpoints()).hasSize(2);
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
    assertThat(binding.status().lastError())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found no endpoints");
  }

  @Test
  void update_emptySet_appliedWhenAllowed() {
    DiscoveryBinding binding =
        DiscoveryBinding.builder(source).allowEmpty(true).listener(listener).bind(balancer);
    source.push(Fixtures.endpoints(2));
    source.push(List.of());

    assertThat(balancer.endpoints()).isEmpty();
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void update_duplicateIds_isAFailure_notAnException() {
    DiscoveryBinding binding = bind();
    source.push(Fixtures.endpoints(1));
    Endpoint e = Endpoint.builder("10.9.9.9", 1).id("x").build();
    source.push(List.of(e, e));

    assertThat(balancer.endpoints()).isEqualTo(Fixtures.endpoints(1));
    assertThat(binding.status().lastError()).hasMessageContaining("'x' twice");
  }

  @Test
  void update_consumerThrows_isAFailure() {
    DiscoveryBinding binding =
        DiscoveryBinding.builder(source)
            .listener(listener)
            .bind(
                set -> {
                  throw new IllegalStateException("group closed");
                });
    source.push(Fixtures.endpoints(1));
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
    assertThat(binding.endpoints()).isEmpty();
    assertThat(listener.events).containsExactly("failed#1 kept 0");
  }

  @Test
  void bindToConsumer_receivesEverySet_andDetectsChanges() {
    List<List<Endpoint>> received = new ArrayList<>();
    DiscoveryBinding.builder(source).listener(listener).ticker(ticker).bind(received::add);
    source.push(Fixtures.endpoints(1));
    source.push(Fixtures.endpoints(1));
    source.push(Fixtures.endpoints(2));
    assertThat(received).hasSize(3);
    assertThat(listener.events)
        .containsExactly("updated 1 changed", "updated 1 same", "updated 2 changed");
  }

  @Test
  void listenerThatThrows_doesNotBreakTheBinding() {
    DiscoveryBinding binding =
        DiscoveryBinding.builder(source)
            .listener(
                new DiscoveryListener() {
                  @Override
                  public void onUpdated(
                      DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {
                    throw new IllegalStateException("listener bug");
                  }
                })
            .bind(balancer);
    source.push(Fixtures.endpoints(2));
    assertThat(balancer.endpoints()).hasSize(2);
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void close_closesTheSource_andIgnoresLateResults() {
    DiscoveryBinding binding = bind();
    source.push(Fixtures.endpoints(1));
    binding.close();
    source.push(Fixtures.endpoints(3));
    source.fail(new IOException("late"));

    assertThat(source.closed).isTrue();
    assertThat(balancer.endpoints()).hasSize(1);
    assertThat(binding.status().updates()).isEqualTo(1);
    assertThat(binding.status().failures()).isZero();
  }

  @Test
  void status_beforeAnyResult_isNotHealthy() {
    DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer);
    assertThat(binding.status().isHealthy()).isFalse();
    assertThat(binding.status().lastSuccessNanos()).isEmpty();
    assertThat(binding.status().source()).isEqualTo("manual");
    assertThat(binding.source()).isSameAs(source);
    assertThat(binding.toString()).contains("no data");
  }

  @Test
  void builder_rejectsNulls() {
    assertThatThrownBy(() -> DiscoveryBinding.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("source must not be null");
    DiscoveryBinding.Builder b = DiscoveryBinding.builder(source);
    assertThatThrownBy(() -> b.listener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
    assertThatThrownBy(() -> b.ticker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
    assertThatThrownBy(() -> b.bind((LoadBalancer) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("balancer must not be null");
    assertThatThrownBy(() -> b.bind((java.util.function.Consumer<List<Endpoint>>) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target must not be null");
  }
}
