package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.grpc.LbPolicyTest.FakeHelper;
import dev.lb.grpc.LbPolicyTest.FakeSubchannel;
import dev.lb.health.HealthStatus;
import dev.lb.strategy.Strategies;
import dev.lb.testing.RecordingListener;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A channel's balancer events: logged on the channel's logger at a level that says how much they
 * matter, and handed to the listeners registered for the channel's target.
 */
@SuppressWarnings("AddressSelection") // IP literals only: nothing to resolve
class ChannelEventsTest {
  private static final String TARGET = "lb:///fake-helper";

  private final FakeHelper helper = new FakeHelper();
  private final LbPolicy policy =
      new LbPolicy(helper, PolicyConfig.defaults(Strategies.roundRobin()), () -> 1_000L);
  private final List<LoadBalancerListener> registered = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    registered.forEach(l -> LbChannels.removeListener(TARGET, l));
    helper.syncContext.execute(policy::shutdown);
    helper.timers.shutdownNow();
  }

  private void listen(LoadBalancerListener listener) {
    LbChannels.addListener(TARGET, listener);
    registered.add(listener);
  }

  private static EquivalentAddressGroup group(int port) {
    return LbAttributes.addressGroup(
        Endpoint.of("127.0.0.1", port), new InetSocketAddress("127.0.0.1", port));
  }

  private void accept(EquivalentAddressGroup... groups) {
    helper.syncContext.execute(
        () ->
            policy.acceptResolvedAddresses(
                ResolvedAddresses.newBuilder().setAddresses(List.of(groups)).build()));
  }

  private void state(FakeSubchannel s, ConnectivityState state) {
    helper.syncContext.execute(
        () -> s.listener.onSubchannelState(ConnectivityStateInfo.forNonError(state)));
  }

  /** Fails calls until {@code n} failed on {@code target}; other picks succeed. */
  private void failCallsOn(FakeSubchannel target, int n) {
    int failed = 0;
    for (int i = 0; i < 100 && failed < n; i++) {
      PickResult r = Objects.requireNonNull(helper.picker).pickSubchannel(new Args());
      boolean fail = target.equals(r.getSubchannel());
      r.getStreamTracerFactory()
          .newClientStreamTracer(
              ClientStreamTracer.StreamInfo.newBuilder()
                  .setCallOptions(CallOptions.DEFAULT)
                  .build(),
              new Metadata())
          .streamClosed(fail ? Status.UNAVAILABLE : Status.OK);
      failed += fail ? 1 : 0;
    }
    assertThat(failed).isEqualTo(n);
  }

  private List<String> logsAt(String level) {
    return helper.logs.stream().filter(l -> l.startsWith(level + " ")).toList();
  }

  @Test
  void ejection_isLoggedAsWarning_membershipAsDebug() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    state(helper.subchannels.get(1), ConnectivityState.READY);

    failCallsOn(a, 5); // lb-core's default: 5 consecutive failures eject

    assertThat(policy.stats().endpoints().get(0).health()).isEqualTo(HealthStatus.EJECTED);
    assertThat(logsAt("WARNING"))
        .anySatisfy(l -> assertThat(l).startsWith("WARNING lb: 127.0.0.1:1001 ejected for PT30S"));
    assertThat(logsAt("DEBUG")).contains("DEBUG lb: 127.0.0.1:1001 added");
    assertThat(logsAt("INFO")).contains("INFO lb: 127.0.0.1:1001 UNHEALTHY -> HEALTHY: marked up");
  }

  @Test
  void startUp_subchannelsStillConnecting_isNoPanicWarning() {
    accept(group(1001), group(1002), group(1003));
    state(helper.subchannels.get(0), ConnectivityState.READY); // 1 of 3 ready: normal at start
    state(helper.subchannels.get(1), ConnectivityState.READY);
    assertThat(logsAt("WARNING")).noneSatisfy(l -> assertThat(l).contains("panic"));
  }

  @Test
  void panic_isLoggedAsWarningWhenEntered_andInfoWhenLeft() {
    accept(group(1001), group(1002), group(1003));
    for (int i = 0; i < 3; i++) {
      state(helper.subchannels.get(i), ConnectivityState.READY);
    }
    state(helper.subchannels.get(1), ConnectivityState.IDLE);
    state(helper.subchannels.get(2), ConnectivityState.IDLE);
    assertThat(logsAt("WARNING"))
        .anySatisfy(l -> assertThat(l).startsWith("WARNING lb: panic mode entered: 33%"));

    state(helper.subchannels.get(1), ConnectivityState.READY);

    assertThat(logsAt("INFO")).contains("INFO lb: panic mode left: 66% of endpoints healthy");
  }

  @Test
  void connectivityLoss_isInfo_notWarning() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    state(helper.subchannels.get(1), ConnectivityState.READY);
    helper.logs.clear();

    state(a, ConnectivityState.IDLE);

    assertThat(helper.logs)
        .contains("INFO lb: 127.0.0.1:1001 HEALTHY -> UNHEALTHY: subchannel IDLE")
        .noneSatisfy(l -> assertThat(l).startsWith("WARNING"));
  }

  @Test
  void registeredListener_receivesTheChannelsEvents_untilRemoved() {
    RecordingListener listener = new RecordingListener();
    listen(listener);
    List<String> balancerNames = new CopyOnWriteArrayList<>();
    listen(
        new LoadBalancerListener() {
          @Override
          public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {
            balancerNames.add(balancer.name());
          }
        });

    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    state(helper.subchannels.get(1), ConnectivityState.READY);
    failCallsOn(a, 5);

    assertThat(listener.events())
        .contains(
            "added 127.0.0.1:1001",
            "added 127.0.0.1:1002",
            "127.0.0.1:1001 UNHEALTHY->HEALTHY",
            "ejected 127.0.0.1:1001 30s")
        .allSatisfy(e -> assertThat(e).doesNotContain("balancer"));
    assertThat(balancerNames).containsOnly("fake");

    assertThat(LbChannels.removeListener(TARGET, listener)).isTrue();
    assertThat(LbChannels.removeListener(TARGET, listener)).isFalse();
    int seen = listener.events().size();
    accept(group(1001), group(1002), group(1003));
    assertThat(listener.events()).hasSize(seen);
  }

  @Test
  void registeredListener_followsANewBalancer_afterAConfigChange() {
    RecordingListener listener = new RecordingListener();
    listen(listener);
    accept(group(1001));
    PolicyConfig p2c = PolicyConfig.parseOrThrow("lb", null, Map.of("strategy", "p2c"));

    helper.syncContext.execute(
        () ->
            policy.acceptResolvedAddresses(
                ResolvedAddresses.newBuilder()
                    .setAddresses(List.of(group(1001)))
                    .setLoadBalancingPolicyConfig(p2c)
                    .build()));

    // The new balancer starts with the member (inheriting its history), so it tells no "added";
    // it does tell the mark-down of the still-connecting subchannel, applied to it again.
    assertThat(listener.events())
        .containsSubsequence(
            "added 127.0.0.1:1001",
            "127.0.0.1:1001 HEALTHY->UNHEALTHY",
            "127.0.0.1:1001 HEALTHY->UNHEALTHY");
  }

  @Test
  void throwingListener_isLogged_andTheOthersAreStillTold() {
    listen(
        new LoadBalancerListener() {
          @Override
          public void onEndpointAdded(LoadBalancer balancer, Endpoint endpoint) {
            throw new IllegalStateException("boom");
          }

          @Override
          public String toString() {
            return "thrower";
          }
        });
    RecordingListener after = new RecordingListener();
    listen(after);

    accept(group(1001));

    assertThat(after.events()).contains("added 127.0.0.1:1001");
    assertThat(logsAt("WARNING"))
        .anySatisfy(l -> assertThat(l).contains("listener thrower threw", "boom"));
  }

  @Test
  void otherTargetsListener_hearsNothing() {
    RecordingListener other = new RecordingListener();
    LbChannels.addListener("lb:///another", other);
    try {
      accept(group(1001));
      assertThat(other.events()).isEmpty();
    } finally {
      LbChannels.removeListener("lb:///another", other);
    }
  }

  @Test
  void addListener_rejectsBadArguments() {
    assertThatThrownBy(() -> LbChannels.addListener(" ", new RecordingListener()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target must not be blank but was ' '");
    assertThatThrownBy(() -> LbChannels.addListener(null, new RecordingListener()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target must not be null");
    assertThatThrownBy(() -> LbChannels.addListener(TARGET, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
    assertThatThrownBy(() -> LbChannels.removeListener(TARGET, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
    assertThatThrownBy(() -> LbChannels.stats(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target must not be null");
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
