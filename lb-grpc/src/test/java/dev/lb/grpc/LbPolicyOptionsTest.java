package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.StrategyRegistry;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.grpc.LbPolicyTest.FakeHelper;
import dev.lb.grpc.LbPolicyTest.FakeSubchannel;
import dev.lb.health.HealthStatus;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each lb-core balancer option of the service config takes effect in the channel's balancer: the
 * policy driven through a fake helper, on fake time.
 */
@SuppressWarnings("AddressSelection") // IP literals only: nothing to resolve
class LbPolicyOptionsTest {
  private final FakeHelper helper = new FakeHelper();
  private final FakeScheduler time = new FakeScheduler();
  private final LbPolicy policy =
      new LbPolicy(helper, PolicyConfig.defaults(Strategies.roundRobin()), time.ticker(), time);
  private PolicyConfig config = PolicyConfig.defaults(Strategies.roundRobin());

  @AfterEach
  void tearDown() {
    helper.syncContext.execute(policy::shutdown);
    helper.timers.shutdownNow();
  }

  private void configure(String policyName, Map<String, ?> options) {
    config =
        PolicyConfig.parseOrThrow(
            policyName, StrategyRegistry.byName(policyName.substring("lb_".length())), options);
  }

  private static EquivalentAddressGroup group(int port, String zone) {
    Endpoint e = Endpoint.builder("127.0.0.1", port).zone(zone).build();
    return LbAttributes.addressGroup(e, new InetSocketAddress("127.0.0.1", port));
  }

  private void accept(EquivalentAddressGroup... groups) {
    helper.syncContext.execute(
        () ->
            policy.acceptResolvedAddresses(
                ResolvedAddresses.newBuilder()
                    .setAddresses(List.of(groups))
                    .setLoadBalancingPolicyConfig(config)
                    .build()));
  }

  private void ready(FakeSubchannel... subchannels) {
    for (FakeSubchannel s : subchannels) {
      helper.syncContext.execute(
          () ->
              s.listener.onSubchannelState(
                  ConnectivityStateInfo.forNonError(ConnectivityState.READY)));
    }
  }

  private void fail(FakeSubchannel s) {
    helper.syncContext.execute(
        () ->
            s.listener.onSubchannelState(
                ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE)));
  }

  private PickResult pick() {
    return Objects.requireNonNull(helper.picker).pickSubchannel(new Args());
  }

  /** Picks {@code n} times, completing each call at once; counts the picks per subchannel. */
  private Map<Integer, Integer> spread(int n) {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      PickResult r = pick();
      complete(r, Status.OK);
      counts.merge(helper.subchannels.indexOf((FakeSubchannel) r.getSubchannel()), 1, Integer::sum);
    }
    return counts;
  }

  private static void complete(PickResult result, Status status) {
    ClientStreamTracer.Factory factory = result.getStreamTracerFactory();
    if (factory != null) {
      factory
          .newClientStreamTracer(
              ClientStreamTracer.StreamInfo.newBuilder()
                  .setCallOptions(CallOptions.DEFAULT)
                  .build(),
              new Metadata())
          .streamClosed(status);
    }
  }

  /** Fails {@code n} calls on whichever subchannel {@code target} is, skipping other picks. */
  private void failCallsOn(Subchannel target, int n) {
    int failed = 0;
    for (int i = 0; i < 100 && failed < n; i++) {
      PickResult r = pick();
      if (target.equals(r.getSubchannel())) {
        complete(r, Status.UNAVAILABLE);
        failed++;
      } else {
        complete(r, Status.OK);
      }
    }
    assertThat(failed).isEqualTo(n);
  }

  private EndpointStats stats(int index) {
    return Objects.requireNonNull(policy.stats()).endpoints().get(index);
  }

  @Test
  void slowStart_newEndpointRampsUpOverTheWindow() {
    configure(
        "lb_weighted_round_robin", Map.of("slowStart", Map.of("window", "10s", "aggression", 1.0)));
    accept(group(1001, "z"));
    ready(helper.subchannels.get(0));
    time.advance(Duration.ofSeconds(11));

    accept(group(1001, "z"), group(1002, "z"));
    ready(helper.subchannels.get(1));

    assertThat(stats(1).effectiveWeightPercent()).isEqualTo(10);
    assertThat(spread(110)).isEqualTo(Map.of(0, 100, 1, 10));
    time.advance(Duration.ofSeconds(5));
    assertThat(stats(1).effectiveWeightPercent()).isBetween(45, 55);
    time.advance(Duration.ofSeconds(5));
    assertThat(stats(1).effectiveWeightPercent()).isEqualTo(100);
    assertThat(spread(100)).isEqualTo(Map.of(0, 50, 1, 50));
  }

  @Test
  void slowStart_absent_newEndpointHasItsFullWeightAtOnce() {
    configure("lb_weighted_round_robin", Map.of());
    accept(group(1001, "z"));
    ready(helper.subchannels.get(0));
    accept(group(1001, "z"), group(1002, "z"));
    ready(helper.subchannels.get(1));

    assertThat(stats(1).effectiveWeightPercent()).isEqualTo(100);
  }

  @Test
  void panicThreshold_decidesWhenPanicBegins() {
    // One of three endpoints READY: 33% healthy, under lb-core's default threshold of 50%.
    accept(group(1001, "z"), group(1002, "z"), group(1003, "z"));
    ready(helper.subchannels.get(0));
    assertThat(policy.stats().panic()).isTrue();

    configure("lb_round_robin", Map.of("panicThreshold", 30.0));
    accept(group(1001, "z"), group(1002, "z"), group(1003, "z"));
    assertThat(policy.stats().healthyPercent()).isEqualTo(33);
    assertThat(policy.stats().panic()).isFalse();

    fail(helper.subchannels.get(0));
    ready(helper.subchannels.get(1), helper.subchannels.get(2));
    assertThat(policy.stats().panic()).isFalse();
    fail(helper.subchannels.get(1));
    assertThat(policy.stats().panic()).as("a third healthy is above the threshold").isFalse();
    fail(helper.subchannels.get(2));
    assertThat(policy.stats().panic()).as("none healthy").isTrue();
  }

  @Test
  void outlierDetection_consecutiveFailures_ejectsAfterThatMany() {
    configure(
        "lb_round_robin",
        Map.of("outlierDetection", Map.of("consecutiveFailures", 3.0, "successRate", false)));
    accept(group(1001, "z"), group(1002, "z"));
    FakeSubchannel a = helper.subchannels.get(0);
    ready(a, helper.subchannels.get(1));

    failCallsOn(a, 2);
    assertThat(stats(0).health()).isEqualTo(HealthStatus.HEALTHY);
    failCallsOn(a, 1);

    assertThat(stats(0).health()).isEqualTo(HealthStatus.EJECTED);
    assertThat(spread(10)).isEqualTo(Map.of(1, 10));
  }

  @Test
  void outlierDetection_false_neverEjects() {
    configure("lb_round_robin", Map.of("outlierDetection", false));
    accept(group(1001, "z"), group(1002, "z"));
    FakeSubchannel a = helper.subchannels.get(0);
    ready(a, helper.subchannels.get(1));

    failCallsOn(a, 20);

    assertThat(stats(0).health()).isEqualTo(HealthStatus.HEALTHY);
    assertThat(stats(0).ejections()).isZero();
    assertThat(stats(0).failures()).isEqualTo(20);
  }

  @Test
  void localZone_keepsCallsInTheZone_overprovisioningFactorDecidesTheSpill() {
    configure("lb_round_robin", Map.of("localZone", "z1", "outlierDetection", false));
    accept(group(1001, "z1"), group(1002, "z1"), group(1003, "z2"));
    ready(helper.subchannels.get(0), helper.subchannels.get(1), helper.subchannels.get(2));
    assertThat(spread(100)).isEqualTo(Map.of(0, 50, 1, 50));

    // Half of z1 down: with the default factor 1.4, z1 keeps 70% and spills 30% to z2.
    fail(helper.subchannels.get(1));
    Map<Integer, Integer> spill = spread(1000);
    // The split is drawn at random per call: 300 expected, sigma 14.5; 230..370 is 4.8 sigma.
    assertThat(spill.get(2)).as("%s", spill).isBetween(230, 370);

    configure(
        "lb_round_robin",
        Map.of("localZone", "z1", "overprovisioningFactor", 2.0, "outlierDetection", false));
    accept(group(1001, "z1"), group(1002, "z1"), group(1003, "z2"));
    assertThat(spread(100)).as("twice half healthy is enough").isEqualTo(Map.of(0, 100));
  }

  @Test
  void maxInFlightPerEndpoint_failsPicksBeyondTheCap_untilACallCompletes() {
    configure("lb_round_robin", Map.of("maxInFlightPerEndpoint", 2.0));
    accept(group(1001, "z"));
    ready(helper.subchannels.get(0));
    PickResult first = pick();
    PickResult second = pick();

    PickResult third = pick();

    assertThat(first.getSubchannel()).isNotNull();
    assertThat(second.getSubchannel()).isNotNull();
    assertThat(third.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(third.isDrop()).as("shed at once, even wait-for-ready calls").isTrue();
    assertThat(third.getStatus().getDescription())
        .contains("1 endpoints", "concurrency limit of 2");
    complete(first, Status.OK);
    assertThat(pick().getSubchannel()).isSameAs(helper.subchannels.get(0));
  }

  @Test
  void concurrencyLimit_capsTheChannel_andAnAdaptivePerEndpointLimitIsInTheStats() {
    configure(
        "lb_round_robin",
        Map.of(
            "concurrencyLimit",
            Map.of("algorithm", "fixed", "limit", 2.0),
            "concurrencyLimitPerEndpoint",
            Map.of("algorithm", "vegas", "initialLimit", 5.0)));
    accept(group(1001, "z"), group(1002, "z"));
    ready(helper.subchannels.get(0), helper.subchannels.get(1));
    PickResult first = pick();
    PickResult second = pick();

    PickResult third = pick();

    assertThat(first.getSubchannel()).isNotNull();
    assertThat(second.getSubchannel()).isNotNull();
    assertThat(third.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(third.getStatus().getDescription()).contains("concurrency limit of 2");
    BalancerStats stats = policy.stats();
    assertThat(stats.concurrencyLimit()).isEqualTo(2);
    assertThat(stats.endpoints()).extracting(EndpointStats::concurrencyLimit).containsOnly(5);
    complete(first, Status.OK);
    assertThat(pick().getSubchannel()).isNotNull();
  }

  @Test
  void circuitBreaker_opensPerEndpoint_andTakesItOutOfPicking() {
    configure(
        "lb_round_robin",
        Map.of(
            "outlierDetection",
            false,
            "circuitBreaker",
            Map.of("consecutiveFailureThreshold", 2.0, "waitDurationInOpenState", "30s")));
    accept(group(1001, "z"), group(1002, "z"));
    FakeSubchannel a = helper.subchannels.get(0);
    ready(a, helper.subchannels.get(1));
    assertThat(stats(0).breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);

    failCallsOn(a, 2);

    assertThat(stats(0).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(spread(10)).isEqualTo(Map.of(1, 10));
  }

  @Test
  void breakerHalfOpens_aNewPickerIsPublished_soBufferedWaitForReadyCallsAreRetried() {
    configure(
        "lb_round_robin",
        Map.of(
            "outlierDetection",
            false,
            "circuitBreaker",
            Map.of(
                "consecutiveFailureThreshold",
                2.0,
                "waitDurationInOpenState",
                "30s",
                "permittedNumberOfCallsInHalfOpenState",
                1.0)));
    accept(group(1001, "z"));
    FakeSubchannel only = helper.subchannels.get(0);
    ready(only);
    failCallsOn(only, 2);
    assertThat(stats(0).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
    // Nothing to pick: gRPC fails the call, or buffers it if it is wait-for-ready, until the next
    // picker. No subchannel changes state, so only the balancer's own events can bring one.
    assertThat(pick().getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    SubchannelPicker stuck = helper.picker;
    int updates = helper.updates;

    time.advance(Duration.ofMillis(30_001)); // the breaker's wait ends: it admits probes

    assertThat(helper.updates).isGreaterThan(updates);
    assertThat(helper.picker).isNotSameAs(stuck);
    assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    PickResult probe = pick();
    assertThat(probe.getSubchannel()).isSameAs(only);
    // The one probe is out: the next call is not shed (a drop would fail it even if it is
    // wait-for-ready) but gets an error, so gRPC buffers a wait-for-ready call...
    PickResult second = pick();
    assertThat(second.isDrop()).isFalse();
    assertThat(second.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(second.getStatus().getDescription()).contains("probes in flight");
    SubchannelPicker probing = helper.picker;

    complete(
        probe, Status.OK); // ...until the probe succeeds: the breaker closes, a picker goes out

    assertThat(stats(0).breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(helper.picker).isNotSameAs(probing);
    PickResult retried = pick();
    assertThat(retried.getSubchannel()).isSameAs(only);
    complete(retried, Status.OK);
  }

  @Test
  void switchingToOrcaWeights_keepsTheSubchannels_onlyOutOfBandReportsOnThemReconnectOnce() {
    configure("lb_round_robin", Map.of());
    accept(group(1001, "z"), group(1002, "z"));
    ready(helper.subchannels.get(0), helper.subchannels.get(1));
    assertThat(helper.state).isEqualTo(ConnectivityState.READY);

    // Per-call reports (trailers) need nothing of the subchannel: no reconnect.
    config = PolicyConfig.parseOrThrow("lb", null, Map.of("strategy", "orca_weighted_round_robin"));
    accept(group(1001, "z"), group(1002, "z"));
    assertThat(helper.subchannels).hasSize(2);
    assertThat(helper.subchannels).noneMatch(s -> s.shutdown);
    assertThat(helper.state).isEqualTo(ConnectivityState.READY);

    // Out-of-band reports under the generic policy: its subchannels were made before any
    // strategy wanted them, so each endpoint reconnects once, through ORCA's helper.
    config =
        PolicyConfig.parseOrThrow(
            "lb",
            null,
            Map.of("strategy", "orca_weighted_round_robin", "enableOobLoadReport", true));
    accept(group(1001, "z"), group(1002, "z"));
    assertThat(helper.subchannels).hasSize(4);
    assertThat(helper.subchannels.subList(0, 2)).allMatch(s -> s.shutdown);
    assertThat(helper.subchannels.subList(2, 4)).allMatch(s -> s.connectionRequests == 1);
    // (Their streams open once READY, over a real channel: LbOrcaNettyTest.) And never again:
    // turning it off and on keeps them.
    config = PolicyConfig.parseOrThrow("lb", null, Map.of("strategy", "orca_weighted_round_robin"));
    accept(group(1001, "z"), group(1002, "z"));
    config =
        PolicyConfig.parseOrThrow(
            "lb",
            null,
            Map.of("strategy", "orca_weighted_round_robin", "enableOobLoadReport", true));
    accept(group(1001, "z"), group(1002, "z"));
    assertThat(helper.subchannels).hasSize(4);
  }

  @Test
  void sameOptionsAgain_keepTheBalancer_changedOnesRebuildIt() {
    configure("lb_round_robin", Map.of("panicThreshold", 10.0));
    accept(group(1001, "z"));
    ready(helper.subchannels.get(0));
    complete(pick(), Status.OK);

    LoadBalancer first = policy.balancer();
    configure("lb_round_robin", Map.of("panicThreshold", 10.0));
    accept(group(1001, "z"));
    assertThat(policy.balancer()).isSameAs(first);
    configure("lb_round_robin", Map.of("panicThreshold", 20.0));
    accept(group(1001, "z"));
    assertThat(policy.balancer()).isNotSameAs(first);

    // The rebuilt balancer inherits the endpoint's statistics (LoadBalancer.Builder.inheritFrom),
    // and the subchannel's connectivity is applied to it again: it takes the next call at once.
    BalancerStats rebuilt = policy.stats();
    assertThat(rebuilt.endpoints().get(0).successes()).isEqualTo(1);
    assertThat(rebuilt.endpoints().get(0).health()).isEqualTo(HealthStatus.HEALTHY);
    complete(pick(), Status.OK);
    assertThat(policy.stats().endpoints().get(0).successes()).isEqualTo(2);
  }

  private static final class Args extends PickSubchannelArgs {
    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return new Metadata();
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return TestServer.WHO;
    }
  }
}
