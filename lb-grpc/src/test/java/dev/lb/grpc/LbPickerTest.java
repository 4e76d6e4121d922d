package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.strategy.Strategies;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The picker's side of the pending-picks registry: a choice whose READY period has ended is
 * cancelled and replaced, never handed to gRPC.
 */
class LbPickerTest {
  private final Endpoint a = Endpoint.of("127.0.0.1", 1001);
  private final Endpoint b = Endpoint.of("127.0.0.1", 1002);
  private final LoadBalancer balancer =
      LoadBalancer.builder()
          .strategy(Strategies.roundRobin())
          .outlierDetection(OutlierDetection.disabled())
          .endpoints(List.of(a, b))
          .build();
  private final Subchannel subchannelA = new NamedSubchannel("a");
  private final Subchannel subchannelB = new NamedSubchannel("b");

  private LbPicker picker(PendingPicks pendingA, PendingPicks pendingB) {
    Map<String, LbPicker.Ready> ready = new LinkedHashMap<>();
    ready.put(a.id(), new LbPicker.Ready(subchannelA, pendingA));
    ready.put(b.id(), new LbPicker.Ready(subchannelB, pendingB));
    return new LbPicker(balancer, ready, PolicyConfig.defaults(Strategies.roundRobin()));
  }

  private EndpointStats stats(Endpoint e) {
    return balancer.stats().endpoints().stream()
        .filter(s -> s.endpoint().equals(e))
        .findFirst()
        .orElseThrow();
  }

  private static ClientStreamTracer start(PickResult result) {
    return result
        .getStreamTracerFactory()
        .newClientStreamTracer(
            ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build(),
            new Metadata());
  }

  @Test
  void pick_balancerClosedByAnOptionChange_isNoResult_soGrpcPicksAgainWithTheNewPicker() {
    // The race: an option change closes the old balancer before the policy publishes the new
    // picker; a call that picks with the old picker in between must wait for the new one, not fail.
    LbPicker picker = picker(new PendingPicks(), new PendingPicks());
    balancer.close();

    PickResult result = picker.pickSubchannel(new Args());

    assertThat(result.getSubchannel()).isNull();
    assertThat(result.getStatus().isOk()).isTrue();
    assertThat(result.isDrop()).isFalse();
  }

  @Test
  void pick_choiceWhoseReadyPeriodEnded_isCancelledAndAnotherReadyOneIsPicked() {
    // The race: a left READY (its registry is closed) but the balancer has not marked it down yet,
    // so round robin still offers it every other pick.
    PendingPicks pendingA = new PendingPicks();
    PendingPicks pendingB = new PendingPicks();
    pendingA.closeAndCancel();
    LbPicker picker = picker(pendingA, pendingB);

    List<PickResult> results = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      results.add(picker.pickSubchannel(new Args()));
    }

    assertThat(results).allSatisfy(r -> assertThat(r.getSubchannel()).isSameAs(subchannelB));
    assertThat(stats(a).inFlight()).isZero();
    // Round robin alternates, from a random start: it offered a before b in 9 or all 10 picks.
    assertThat(stats(a).cancellations()).as("every time round robin chose a").isBetween(9L, 10L);
    assertThat(stats(b).inFlight()).isEqualTo(10);
    assertThat(pendingB.size()).isEqualTo(10);
    results.forEach(r -> start(r).streamClosed(Status.OK));
    assertThat(pendingB.size()).isZero();
    assertThat(stats(b).successes()).isEqualTo(10);
    assertThat(balancer.stats().inFlight()).isZero();
  }

  @Test
  void pick_registersUntilTheStreamStarts_thenCloseLeavesItAlone() {
    PendingPicks pendingA = new PendingPicks();
    PendingPicks pendingB = new PendingPicks();
    LbPicker picker = picker(pendingA, pendingB);
    PickResult one = picker.pickSubchannel(new Args());
    PickResult other = picker.pickSubchannel(new Args());
    assertThat(List.of(one.getSubchannel(), other.getSubchannel()))
        .containsExactlyInAnyOrder(subchannelA, subchannelB); // round robin's start is random
    PickResult onA = subchannelA.equals(one.getSubchannel()) ? one : other;
    assertThat(pendingA.size()).isEqualTo(1);

    ClientStreamTracer tracer = start(onA);
    assertThat(pendingA.size()).isZero();
    assertThat(pendingA.closeAndCancel()).isZero();
    assertThat(pendingB.closeAndCancel()).isEqualTo(1);

    tracer.streamClosed(Status.UNAVAILABLE);
    assertThat(stats(a).failures()).isEqualTo(1);
    assertThat(stats(a).cancellations()).isZero();
    assertThat(stats(b).cancellations()).isEqualTo(1);
    assertThat(balancer.stats().inFlight()).isZero();
  }

  @Test
  void pick_everyChoiceClosed_fallsBackToAReadySubchannelWithoutALease() {
    PendingPicks pendingA = new PendingPicks();
    PendingPicks pendingB = new PendingPicks();
    pendingA.closeAndCancel();
    pendingB.closeAndCancel();

    PickResult result = picker(pendingA, pendingB).pickSubchannel(new Args());

    assertThat(result.getSubchannel()).isIn(subchannelA, subchannelB);
    assertThat(result.getStreamTracerFactory()).isNull();
    assertThat(balancer.stats().inFlight()).isZero();
  }

  @Test
  void pick_balancerWideConcurrencyLimitReached_dropsTheCallAsUnavailableNamingTheLimit() {
    LoadBalancer capped =
        LoadBalancer.builder()
            .strategy(Strategies.roundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(List.of(a, b))
            .concurrencyLimit(ConcurrencyLimits.fixed(1))
            .build();
    Map<String, LbPicker.Ready> ready = new LinkedHashMap<>();
    ready.put(a.id(), new LbPicker.Ready(subchannelA, new PendingPicks()));
    ready.put(b.id(), new LbPicker.Ready(subchannelB, new PendingPicks()));
    LbPicker picker = new LbPicker(capped, ready, PolicyConfig.defaults(Strategies.roundRobin()));

    PickResult first = picker.pickSubchannel(new Args());
    assertThat(first.getSubchannel()).isNotNull();
    PickResult second = picker.pickSubchannel(new Args());
    // Shed at once, as over max_requests: a drop, which wait-for-ready calls do not wait out.
    assertThat(second.isDrop()).isTrue();
    assertThat(second.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(second.getStatus().getDescription())
        .contains("the balancer-wide concurrency limit of 1 calls in flight is reached");

    start(first).streamClosed(Status.OK);
    assertThat(picker.pickSubchannel(new Args()).getSubchannel()).isNotNull();
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

  private static final class NamedSubchannel extends Subchannel {
    private final String name;

    NamedSubchannel(String name) {
      this.name = name;
    }

    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return List.of();
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
