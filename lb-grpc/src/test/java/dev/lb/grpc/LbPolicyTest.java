package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.health.HealthStatus;
import dev.lb.strategy.Strategies;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancer.CreateSubchannelArgs;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The policy's connectivity rules, driven through a fake channel helper: which subchannels it
 * creates, what it asks them to do, and the channel state and picker it publishes.
 */
@SuppressWarnings("AddressSelection") // IP literals only: nothing to resolve
class LbPolicyTest {
  private final FakeHelper helper = new FakeHelper();
  private final LbPolicy policy =
      new LbPolicy(helper, PolicyConfig.defaults(Strategies.roundRobin()), () -> 1_000L);

  private static EquivalentAddressGroup group(int port) {
    return LbAttributes.addressGroup(
        Endpoint.of("127.0.0.1", port), new InetSocketAddress("127.0.0.1", port));
  }

  private Status accept(EquivalentAddressGroup... groups) {
    Status[] status = new Status[1];
    helper.syncContext.execute(
        () ->
            status[0] =
                policy.acceptResolvedAddresses(
                    ResolvedAddresses.newBuilder().setAddresses(List.of(groups)).build()));
    return status[0];
  }

  private void state(FakeSubchannel s, ConnectivityState state) {
    helper.syncContext.execute(
        () -> s.listener.onSubchannelState(ConnectivityStateInfo.forNonError(state)));
  }

  private void fail(FakeSubchannel s, String why) {
    helper.syncContext.execute(
        () ->
            s.listener.onSubchannelState(
                ConnectivityStateInfo.forTransientFailure(
                    Status.UNAVAILABLE.withDescription(why))));
  }

  @AfterEach
  void tearDown() {
    helper.syncContext.execute(policy::shutdown);
    helper.timers.shutdownNow();
  }

  private PickResult pick() {
    return pick(CallOptions.DEFAULT);
  }

  private PickResult pick(CallOptions options) {
    return Objects.requireNonNull(helper.picker).pickSubchannel(new Args(options));
  }

  @Test
  void newAddresses_createOneSubchannelEach_connectAtOnce_andBufferPicks() {
    assertThat(accept(group(1001), group(1002))).isEqualTo(Status.OK);

    assertThat(helper.subchannels).hasSize(2);
    assertThat(helper.subchannels).allSatisfy(s -> assertThat(s.connectionRequests).isEqualTo(1));
    assertThat(helper.state).isEqualTo(ConnectivityState.CONNECTING);
    assertThat(pick().hasResult()).isFalse();
    assertThat(pick().getStatus().isOk()).isTrue();
  }

  @Test
  void oneSubchannelReady_channelReady_picksOnlyIt() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.CONNECTING);
    state(a, ConnectivityState.READY);

    assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    for (int i = 0; i < 5; i++) {
      assertThat(pick().getSubchannel()).isSameAs(a);
    }
  }

  @Test
  void allSubchannelsFailed_channelInTransientFailure_picksFailWithTheLastError() {
    accept(group(1001), group(1002));
    fail(helper.subchannels.get(0), "refused 1");
    assertThat(helper.state).isEqualTo(ConnectivityState.CONNECTING);
    fail(helper.subchannels.get(1), "refused 2");

    assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    PickResult result = pick();
    assertThat(result.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(result.getStatus().getDescription())
        .contains("none of the 2 endpoints")
        .contains("refused 2");
    assertThat(helper.refreshes).isEqualTo(2);
  }

  @Test
  void transientFailure_isSticky_untilTheSubchannelIsReadyAgain() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    fail(a, "refused");
    int updates = helper.updates;

    state(a, ConnectivityState.CONNECTING);
    assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    assertThat(helper.updates).isEqualTo(updates);

    state(a, ConnectivityState.READY);
    assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    assertThat(pick().getSubchannel()).isSameAs(a);
  }

  @Test
  void idleSubchannel_reconnectsAtOnce_andIsMarkedDown() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    FakeSubchannel b = helper.subchannels.get(1);
    state(a, ConnectivityState.READY);
    state(b, ConnectivityState.READY);

    state(a, ConnectivityState.IDLE);

    assertThat(a.connectionRequests).isEqualTo(2);
    assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    for (int i = 0; i < 4; i++) {
      assertThat(pick().getSubchannel()).isSameAs(b);
    }
    assertThat(policy.stats().endpoints())
        .extracting(e -> e.health())
        .containsExactly(HealthStatus.UNHEALTHY, HealthStatus.HEALTHY);
  }

  @Test
  void panicMode_picksStillGoToReadySubchannelsOnly() {
    accept(group(1001), group(1002), group(1003));
    FakeSubchannel c = helper.subchannels.get(2);
    state(c, ConnectivityState.READY);
    // One of three healthy is under lb-core's default panic threshold (50%): the balancer spreads
    // calls over all three, and the picker must skip the two that cannot take them.
    assertThat(policy.stats().healthyPercent()).isEqualTo(33);

    for (int i = 0; i < 30; i++) {
      assertThat(pick().getSubchannel()).isSameAs(c);
    }
    assertThat(policy.stats().endpoints().get(2).inFlight()).isEqualTo(30);
    assertThat(policy.stats().inFlight()).isEqualTo(30);
  }

  @Test
  void removedAddress_shutsItsSubchannelDown_keptOnesSurviveWithNewWeights() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    FakeSubchannel b = helper.subchannels.get(1);
    state(a, ConnectivityState.READY);
    state(b, ConnectivityState.READY);

    Endpoint heavier = Endpoint.builder("127.0.0.1", 1002).weight(5).build();
    accept(LbAttributes.addressGroup(heavier, new InetSocketAddress("127.0.0.1", 1002)));

    assertThat(a.shutdown).isTrue();
    assertThat(b.shutdown).isFalse();
    assertThat(helper.subchannels).hasSize(2);
    assertThat(policy.stats().endpoints())
        .singleElement()
        .satisfies(e -> assertThat(e.endpoint()).isEqualTo(heavier));
    assertThat(pick().getSubchannel()).isSameAs(b);
  }

  @Test
  void changedSocketAddress_sameId_updatesTheSubchannelsAddresses() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    Endpoint moved = Endpoint.builder("127.0.0.2", 1001).id("127.0.0.1:1001").build();
    EquivalentAddressGroup movedGroup =
        LbAttributes.addressGroup(moved, new InetSocketAddress("127.0.0.2", 1001));

    accept(movedGroup);

    assertThat(helper.subchannels).hasSize(1);
    assertThat(a.addresses).containsExactly(movedGroup);
  }

  @Test
  void emptyAddresses_returnUnavailable_andFailPicks() {
    assertThat(accept().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    assertThat(pick().getStatus().getDescription()).contains("returned no usable addresses");
  }

  @Test
  void nameResolutionError_whileReady_keepsServing() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);

    helper.syncContext.execute(
        () -> policy.handleNameResolutionError(Status.UNAVAILABLE.withDescription("dns down")));

    assertThat(helper.state).isEqualTo(ConnectivityState.READY);
    assertThat(pick().getSubchannel()).isSameAs(a);
  }

  @Test
  void nameResolutionError_beforeAnyAddress_failsPicksWithIt() {
    helper.syncContext.execute(
        () -> policy.handleNameResolutionError(Status.UNAVAILABLE.withDescription("dns down")));

    assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    assertThat(pick().getStatus().getDescription()).isEqualTo("dns down");
  }

  @Test
  void requestConnection_connectsIdleSubchannelsOnly() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    FakeSubchannel b = helper.subchannels.get(1);
    state(b, ConnectivityState.READY);

    helper.syncContext.execute(policy::requestConnection);

    assertThat(a.connectionRequests).isEqualTo(2);
    assertThat(b.connectionRequests).isEqualTo(1);
  }

  @Test
  void shutdown_shutsEverySubchannelDown_andIgnoresLaterEvents() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    helper.syncContext.execute(policy::shutdown);
    int updates = helper.updates;

    state(a, ConnectivityState.READY);
    accept(group(1003));

    assertThat(helper.subchannels).allSatisfy(s -> assertThat(s.shutdown).isTrue());
    assertThat(helper.subchannels).hasSize(2);
    assertThat(helper.updates).isEqualTo(updates);
  }

  @Test
  void pick_leaseIsCompletedByTheStreamTracer() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);

    PickResult result = pick();
    assertThat(policy.stats().inFlight()).isEqualTo(1);
    ClientStreamTracer tracer =
        result
            .getStreamTracerFactory()
            .newClientStreamTracer(
                ClientStreamTracer.StreamInfo.newBuilder()
                    .setCallOptions(CallOptions.DEFAULT)
                    .build(),
                new Metadata());
    ClientStreamTracer second =
        result
            .getStreamTracerFactory()
            .newClientStreamTracer(
                ClientStreamTracer.StreamInfo.newBuilder()
                    .setCallOptions(CallOptions.DEFAULT)
                    .build(),
                new Metadata());
    tracer.inboundWireSize(100);
    tracer.streamClosed(Status.DEADLINE_EXCEEDED);
    second.streamClosed(Status.OK);

    assertThat(policy.stats().inFlight()).isZero();
    assertThat(policy.stats().endpoints().get(0).failures()).isEqualTo(1);
    assertThat(policy.stats().endpoints().get(0).successes()).isZero();
  }

  @Test
  void cancelledCall_countsAsCancellation() {
    accept(group(1001));
    state(helper.subchannels.get(0), ConnectivityState.READY);

    ClientStreamTracer tracer =
        pick()
            .getStreamTracerFactory()
            .newClientStreamTracer(
                ClientStreamTracer.StreamInfo.newBuilder()
                    .setCallOptions(CallOptions.DEFAULT)
                    .build(),
                new Metadata());
    tracer.streamClosed(Status.CANCELLED);

    assertThat(policy.stats().endpoints().get(0).cancellations()).isEqualTo(1);
    assertThat(policy.stats().inFlight()).isZero();
  }

  private static ClientStreamTracer startStream(PickResult result) {
    return result
        .getStreamTracerFactory()
        .newClientStreamTracer(
            ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build(),
            new Metadata());
  }

  private EndpointStats endpointStats(int port) {
    for (EndpointStats e : policy.stats().endpoints()) {
      if (e.endpoint().port() == port) {
        return e;
      }
    }
    throw new AssertionError("no endpoint on port " + port);
  }

  @Test
  void pickNeverStarted_subchannelLeavesReady_leaseIsCancelledNotLeaked() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    // gRPC drops this pick: the subchannel lost its transport before the stream was created.
    PickResult dropped = pick();
    assertThat(policy.stats().inFlight()).isEqualTo(1);

    fail(a, "connection reset");

    assertThat(policy.stats().inFlight()).isZero();
    assertThat(endpointStats(1001).cancellations()).isEqualTo(1);
    // Should the stream start after all, its tracer reports nothing: the lease was reported once.
    startStream(dropped).streamClosed(Status.OK);
    assertThat(endpointStats(1001).successes()).isZero();
    assertThat(endpointStats(1001).cancellations()).isEqualTo(1);
    assertThat(policy.stats().inFlight()).isZero();
  }

  @Test
  void pickStarted_subchannelLeavesReady_leaseCompletesOnStreamClosedOnly() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    ClientStreamTracer tracer = startStream(pick());

    state(a, ConnectivityState.IDLE);

    assertThat(endpointStats(1001).cancellations()).isZero();
    assertThat(endpointStats(1001).inFlight()).isEqualTo(1);
    tracer.streamClosed(Status.OK);
    tracer.streamClosed(Status.UNAVAILABLE);
    assertThat(endpointStats(1001).successes()).isEqualTo(1);
    assertThat(endpointStats(1001).failures()).isZero();
    assertThat(endpointStats(1001).cancellations()).isZero();
    assertThat(policy.stats().inFlight()).isZero();
  }

  @Test
  void readyAgain_newPeriod_picksAreTrackedAgain() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    PickResult first = pick();
    state(a, ConnectivityState.IDLE);
    state(a, ConnectivityState.CONNECTING);
    state(a, ConnectivityState.READY);

    PickResult second = pick();
    state(a, ConnectivityState.IDLE);

    assertThat(first.getSubchannel()).isSameAs(a);
    assertThat(second.getSubchannel()).isSameAs(a);
    assertThat(endpointStats(1001).cancellations()).isEqualTo(2);
    assertThat(policy.stats().inFlight()).isZero();
  }

  @Test
  void removedAddress_cancelsItsPicksNotStarted() {
    accept(group(1001), group(1002));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    PickResult result = pick();
    assertThat(result.getSubchannel()).isSameAs(a);

    accept(group(1002));

    assertThat(a.shutdown).isTrue();
    assertThat(policy.stats().inFlight()).isZero();
  }

  @Test
  void shutdown_cancelsPicksNotStarted() {
    accept(group(1001));
    FakeSubchannel a = helper.subchannels.get(0);
    state(a, ConnectivityState.READY);
    PickResult notStarted = pick();
    ClientStreamTracer started = startStream(pick());

    helper.syncContext.execute(policy::shutdown);

    assertThat(notStarted.getSubchannel()).isSameAs(a);
    assertThat(policy.stats().inFlight()).as("only the started stream").isEqualTo(1);
    started.streamClosed(Status.OK);
    assertThat(policy.stats().inFlight()).isZero();
    assertThat(endpointStats(1001).successes()).isEqualTo(1);
    assertThat(endpointStats(1001).cancellations()).isEqualTo(1);
  }

  /** Pick arguments with no headers and the given call options. */
  private static final class Args extends PickSubchannelArgs {
    private final CallOptions options;

    Args(CallOptions options) {
      this.options = options;
    }

    @Override
    public CallOptions getCallOptions() {
      return options;
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

  /** Records what the policy asks of its channel. Used on the test thread only. */
  static final class FakeHelper extends LoadBalancer.Helper {
    final SynchronizationContext syncContext =
        new SynchronizationContext(
            (t, e) -> {
              throw new AssertionError("uncaught in synchronization context", e);
            });
    final List<FakeSubchannel> subchannels = new ArrayList<>();
    // The balancer's timers (outlier detection sweeps) only; nothing here waits for them.
    final ScheduledExecutorService timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-helper-timers");
              t.setDaemon(true);
              return t;
            });
    ConnectivityState state;
    SubchannelPicker picker;
    int updates;
    int refreshes;

    @Override
    public Subchannel createSubchannel(CreateSubchannelArgs args) {
      FakeSubchannel s = new FakeSubchannel(args.getAddresses());
      subchannels.add(s);
      return s;
    }

    @Override
    public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void updateBalancingState(ConnectivityState newState, SubchannelPicker newPicker) {
      state = newState;
      picker = newPicker;
      updates++;
    }

    @Override
    public void refreshNameResolution() {
      refreshes++;
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
      return syncContext;
    }

    @Override
    public ScheduledExecutorService getScheduledExecutorService() {
      return timers;
    }

    @Override
    public String getAuthority() {
      return "fake";
    }

    @Override
    public String getChannelTarget() {
      return "lb:///fake-helper";
    }

    // What the policy logged, as "LEVEL message"; written from any thread.
    final List<String> logs = new CopyOnWriteArrayList<>();

    @Override
    public ChannelLogger getChannelLogger() {
      return new ChannelLogger() {
        @Override
        public void log(ChannelLogLevel level, String message) {
          logs.add(level + " " + message);
        }

        @Override
        public void log(ChannelLogLevel level, String messageFormat, Object... args) {
          logs.add(level + " " + MessageFormat.format(messageFormat, args));
        }
      };
    }
  }

  /** Records what the policy asks of one subchannel. */
  static final class FakeSubchannel extends Subchannel {
    List<EquivalentAddressGroup> addresses;
    SubchannelStateListener listener;
    int connectionRequests;
    boolean shutdown;

    FakeSubchannel(List<EquivalentAddressGroup> addresses) {
      this.addresses = addresses;
    }

    @Override
    public void start(SubchannelStateListener listener) {
      this.listener = listener;
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public void requestConnection() {
      connectionRequests++;
    }

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return addresses;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return new ChannelLogger() {
        @Override
        public void log(ChannelLogLevel level, String message) {}

        @Override
        public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
      };
    }

    @Override
    public void updateAddresses(List<EquivalentAddressGroup> addrs) {
      this.addresses = addrs;
    }

    @Override
    public String toString() {
      return "FakeSubchannel" + addresses;
    }
  }
}
