package dev.lb;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.Fixtures.spread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

  @Test
  void pick_noEndpoints_throwsNamingBalancerAndCount() {
    LoadBalancer lb = LoadBalancer.builder().name("users").build();
    assertThatThrownBy(lb::pick)
        .isInstanceOf(NoEndpointAvailableException.class)
        .hasMessage("no endpoint available in balancer 'users': it has 0 endpoints")
        .satisfies(
            e -> {
              NoEndpointAvailableException n = (NoEndpointAvailableException) e;
              assertThat(n.balancerName()).isEqualTo("users");
              assertThat(n.endpointCount()).isZero();
            });
    assertThat(lb.tryPick(PickContext.none())).isNull();
  }

  @Test
  void pick_strategyChoosesNone_throwsWithEndpointCountsByState() {
    Strategy none = named("nothing", (endpoints, ctx) -> c -> null);
    LoadBalancer lb =
        LoadBalancer.builder().name("b").strategy(none).endpoints(endpoints(3)).build();
    assertThatThrownBy(lb::pick)
        .isInstanceOf(NoEndpointAvailableException.class)
        .hasMessage(
            "no endpoint available in balancer 'b': 3 endpoints (3 healthy); strategy nothing chose"
                + " none of the 3 available");
  }

  @Test
  void lease_firstReportCounts_laterOnesIgnored() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(1), 1);
    Lease lease = lb.pick();
    assertThat(lb.stats().endpoints().get(0).inFlight()).isEqualTo(1);

    assertThat(lease.onSuccess(5_000_000L, 100)).isTrue();
    assertThat(lease.onFailure(1, new RuntimeException())).isFalse();
    assertThat(lease.onCancel()).isFalse();
    assertThat(lease.onSuccess(1)).isFalse();
    assertThat(lease.isReported()).isTrue();

    EndpointStats s = lb.stats().endpoints().get(0);
    assertThat(s.inFlight()).isZero();
    assertThat(s.successes()).isEqualTo(1);
    assertThat(s.failures()).isZero();
    assertThat(s.cancellations()).isZero();
    assertThat(s.picks()).isEqualTo(1);
    assertThat(s.responseBytes()).isEqualTo(100);
    assertThat(s.latencyEwma()).isEqualTo(Duration.ofMillis(5));
  }

  @Test
  void lease_outcomesUpdateTheirCounters() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(1), 1);
    RuntimeException boom = new RuntimeException("boom");
    lb.pick().onFailure(1_000, boom);
    lb.pick().onCancel();
    Lease open = lb.pick();
    EndpointStats s = lb.stats().endpoints().get(0);
    assertThat(s.failures()).isEqualTo(1);
    assertThat(s.cancellations()).isEqualTo(1);
    assertThat(s.inFlight()).isEqualTo(1);
    assertThat(s.picks()).isEqualTo(3);
    assertThat(s.lastFailure()).isSameAs(boom);
    open.onCancel();
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void lease_negativeLatency_recordsOutcomeThenRejects() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(1), 1);
    Lease lease = lb.pick();
    assertThatThrownBy(() -> lease.onSuccess(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("latencyNanos must not be negative but was -1");
    EndpointStats s = lb.stats().endpoints().get(0);
    assertThat(s.inFlight()).isZero();
    assertThat(s.successes()).isEqualTo(1);
    assertThat(s.latencyEwmaNanos()).isNaN();
  }

  @Test
  void failure_neverLowersLatencyEstimate() {
    LoadBalancer lb = balancer(Strategies.leastResponseTime(), endpoints(1), 1);
    lb.pick().onSuccess(100_000_000L);
    for (int i = 0; i < 50; i++) {
      lb.pick().onFailure(1_000L, null);
    }
    assertThat(lb.stats().endpoints().get(0).latencyEwmaNanos()).isEqualTo(100_000_000.0);
  }

  @Test
  void builder_duplicateIds_rejected() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .endpoints(List.of(Endpoint.of("h", 1), Endpoint.of("h", 1)))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endpoints must have distinct ids but 'h:1' repeats");
  }

  @Test
  void builder_invalidOptions_rejectedNamingOption() {
    assertThatThrownBy(() -> LoadBalancer.builder().strategy(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("strategy must not be null");
    assertThatThrownBy(() -> LoadBalancer.builder().name(""))
        .hasMessage("name must not be blank but was ''");
    assertThatThrownBy(() -> LoadBalancer.builder().decayWindow(Duration.ZERO))
        .hasMessage("decayWindow must be positive but was PT0S");
    assertThatThrownBy(() -> LoadBalancer.builder().decayWindow(Duration.ofSeconds(-1)))
        .hasMessage("decayWindow must be positive but was PT-1S");
  }

  @Test
  void strategyByName_unknownOrEmpty_rejectedListingChoices() {
    assertThatThrownBy(() -> StrategyRegistry.byName(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("strategy must be one of [round_robin, weighted_round_robin,")
        .hasMessageEndingWith("but was ''");
    assertThatThrownBy(() -> StrategyRegistry.byName("fastest"))
        .hasMessageEndingWith("but was 'fastest'");
    assertThat(StrategyRegistry.byName("Peak-EWMA")).isSameAs(Strategies.peakEwma());
    assertThat(StrategyRegistry.byName("least_connections"))
        .isSameAs(Strategies.leastConnections());
    for (String name : StrategyRegistry.names()) {
      assertThat(StrategyRegistry.byName(name).name()).isEqualTo(name);
      assertThat(StrategyRegistry.byName(name))
          .isSameAs(StrategyRegistry.byName(name.toUpperCase(java.util.Locale.ROOT)));
    }
    assertThatThrownBy(() -> StrategyRegistry.names().add("mine"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> StrategyRegistry.names().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void addEndpoint_duplicateId_rejectedAndMembershipUnchanged() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(2), 1);
    assertThatThrownBy(() -> lb.addEndpoint(endpoints(1).get(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endpoint id 'e0' is already a member of balancer 'test'");
    assertThat(lb.endpoints()).hasSize(2);
  }

  @Test
  void membership_addRemoveUpdate_takeEffectAtOnce() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(2), 1);
    lb.addEndpoint(Endpoint.builder("10.0.0.9", 8080).id("e9").build());
    assertThat(spread(lb, 300)).containsOnlyKeys("e0", "e1", "e9").containsValues(100, 100, 100);

    assertThat(lb.removeEndpoint("e0")).isTrue();
    assertThat(lb.removeEndpoint("e0")).isFalse();
    assertThat(spread(lb, 200)).containsOnlyKeys("e1", "e9").containsValues(100, 100);
    assertThat(lb.stats().membershipVersion()).isEqualTo(2);
  }

  @Test
  void reweight_keepsLiveStatistics() {
    LoadBalancer lb = balancer(Strategies.weightedRoundRobin(), endpoints(2), 1);
    Lease held = lb.pick();
    String id = held.endpoint().id();
    lb.pick().onSuccess(2_000_000L);

    assertThat(lb.reweight(id, 3)).isTrue();
    assertThat(lb.reweight(id, 3)).isFalse();

    EndpointStats s = statsOf(lb, id);
    assertThat(s.endpoint().weight()).isEqualTo(3);
    assertThat(s.inFlight()).isEqualTo(1);
    held.onSuccess(1);
    assertThat(statsOf(lb, id).inFlight()).isZero();
    assertThat(spread(lb, 400)).containsEntry(id, 300);
  }

  @Test
  void reweight_unknownIdOrBadWeight_rejected() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(1), 1);
    assertThatThrownBy(() -> lb.reweight("nope", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no endpoint with id 'nope' in balancer 'test'");
    assertThatThrownBy(() -> lb.reweight("e0", 0)).hasMessage("weight must be positive but was 0");
    assertThatThrownBy(() -> lb.updateEndpoint(Endpoint.of("x", 1)))
        .hasMessage("no endpoint with id 'x:1' in balancer 'test'");
  }

  @Test
  void setEndpoints_keepsStatsOfKeptIds_andSkipsNoOps() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(3), 1);
    spread(lb, 30);
    long version = lb.stats().membershipVersion();
    assertThat(lb.setEndpoints(endpoints(3))).isFalse();
    assertThat(lb.stats().membershipVersion()).isEqualTo(version);

    List<Endpoint> next = new ArrayList<>(endpoints(3).subList(1, 3));
    next.add(Endpoint.builder("10.0.0.7", 8080).id("e7").build());
    assertThat(lb.setEndpoints(next)).isTrue();
    assertThat(lb.endpoints()).extracting(Endpoint::id).containsExactly("e1", "e2", "e7");
    assertThat(statsOf(lb, "e1").picks()).isEqualTo(10);
    assertThat(statsOf(lb, "e7").picks()).isZero();
  }

  @Test
  void setEndpoints_duplicateIds_rejectedAndMembershipUnchanged() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(2), 1);
    List<Endpoint> dup = List.of(endpoints(1).get(0), endpoints(1).get(0));
    assertThatThrownBy(() -> lb.setEndpoints(dup))
        .hasMessage("endpoints must have distinct ids but 'e0' repeats");
    assertThat(lb.endpoints()).hasSize(2);
  }

  @Test
  void strategyFailure_rollsBackConfigurationAndKeepsSnapshot() {
    AtomicBoolean fail = new AtomicBoolean();
    Strategy flaky =
        named(
            "flaky",
            (endpoints, ctx) -> {
              if (fail.get()) {
                throw new IllegalStateException("cannot build");
              }
              return Strategies.roundRobin().newPicker(endpoints, ctx);
            });
    LoadBalancer lb = LoadBalancer.builder().strategy(flaky).endpoints(endpoints(2)).build();
    fail.set(true);
    assertThatThrownBy(() -> lb.reweight("e0", 5)).hasMessage("cannot build");
    assertThat(lb.endpoints().get(0).weight()).isEqualTo(1);
    assertThat(lb.pick().endpoint().weight()).isEqualTo(1);
  }

  @Test
  void customPicker_returningForeignEndpoint_failsLoudly() {
    LiveEndpoint foreign =
        new LiveEndpoint() {
          @Override
          public Endpoint endpoint() {
            return Endpoint.of("x", 1);
          }

          @Override
          public int weight() {
            return 1;
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
            return 0;
          }
        };
    Strategy bad = named("bad", (endpoints, ctx) -> c -> foreign);
    LoadBalancer lb = LoadBalancer.builder().strategy(bad).endpoints(endpoints(1)).build();
    assertThatThrownBy(lb::pick)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not one of the endpoints it was given");
  }

  @Test
  void stats_rendersReadableTable() {
    LoadBalancer lb = balancer(Strategies.roundRobin(), endpoints(2), 1);
    spread(lb, 4);
    String table = lb.stats().toTable();
    assertThat(table)
        .contains("balancer 'test' | strategy round_robin | 2 endpoints")
        .contains("endpoint", "in-flight", "latency-ewma")
        .contains("e0", "e1", "50.0%", "1.0 ms");
  }

  private static EndpointStats statsOf(LoadBalancer lb, String id) {
    return lb.stats().endpoints().stream()
        .filter(s -> s.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  interface PickerFactory {
    Picker create(List<LiveEndpoint> endpoints, StrategyContext context);
  }

  static Strategy named(String name, PickerFactory factory) {
    return new Strategy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
        return factory.create(endpoints, context);
      }
    };
  }
}
