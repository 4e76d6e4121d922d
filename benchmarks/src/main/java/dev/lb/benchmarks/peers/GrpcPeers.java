package dev.lb.benchmarks.peers;

import dev.lb.benchmarks.Backends;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.xds.RingHashKeys;
import io.grpc.xds.RingHashOptions;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * grpc-java's load-balancing policies, built through the public {@link LoadBalancerRegistry} the
 * way a channel builds them, over fake subchannels that report READY at once. What is measured is
 * the policy's {@link LoadBalancer.SubchannelPicker}: the object a real channel calls for every
 * RPC.
 *
 * <p>Release means what a real channel does when an RPC ends: if the pick result carries a stream
 * tracer factory (least_request counts outstanding calls with one), a tracer is created and closed
 * with OK.
 */
final class GrpcPeers {
  private static final ClientStreamTracer.StreamInfo STREAM_INFO =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();
  private static final MethodDescriptor.Marshaller<Void> VOID =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(Void value) {
          return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public Void parse(InputStream stream) {
          throw new UnsupportedOperationException("benchmarks never parse");
        }
      };
  private static final MethodDescriptor<Void, Void> METHOD =
      MethodDescriptor.<Void, Void>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Service/Call")
          .setRequestMarshaller(VOID)
          .setResponseMarshaller(VOID)
          .build();
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "grpc-bench-timer");
            t.setDaemon(true);
            return t;
          });

  private GrpcPeers() {}

  /**
   * A pick-and-release target over {@code n} endpoints for the named policy.
   *
   * @param policy a registered policy name, such as {@code round_robin}
   * @param config the policy's JSON config as parsed maps
   * @param n the number of endpoints
   */
  static PickTarget pickTarget(String policy, Map<String, ?> config, int n) {
    LoadBalancer.SubchannelPicker picker = build(policy, config, n);
    Args args = new Args(CallOptions.DEFAULT);
    Metadata headers = args.getHeaders();
    return PickTarget.of(
        () -> picker.pickSubchannel(args),
        latencyNanos -> {
          LoadBalancer.PickResult result = picker.pickSubchannel(args);
          ClientStreamTracer.Factory factory = result.getStreamTracerFactory();
          if (factory != null) {
            // What a transport does with a stream's tracer: created when the stream starts, closed
            // when it ends. least_request counts a call in flight in streamCreated and releases it
            // in streamClosed; without the first, its counters only fell (one atomic per call).
            ClientStreamTracer tracer = factory.newClientStreamTracer(STREAM_INFO, headers);
            tracer.streamCreated(Attributes.EMPTY, headers);
            tracer.streamClosed(Status.OK);
          }
          return result;
        });
  }

  /**
   * A ring-hash lookup target: the request hash travels in the call options, as xDS routing puts it
   * there; one precomputed {@link LoadBalancer.PickSubchannelArgs} per key.
   *
   * @param n the number of endpoints
   * @param keyCount how many precomputed keys
   * @param ringSize 0 for grpc-java's defaults (minRingSize 1,024, maxRingSize 4,096, under its
   *     4,096 cap); otherwise the exact ring size, with the cap raised to allow it
   */
  static KeyedTarget ringHash(int n, int keyCount, long ringSize) {
    Map<String, ?> config;
    if (ringSize == 0) {
      RingHashOptions.setRingSizeCap(4096);
      config = Map.of();
    } else {
      // The cap is global: each JMH fork builds one target, so it holds for this one only.
      RingHashOptions.setRingSizeCap(ringSize);
      config = Map.of("minRingSize", (double) ringSize, "maxRingSize", (double) ringSize);
    }
    LoadBalancer.SubchannelPicker picker = build("ring_hash_experimental", config, n);
    long[] keys = Backends.longKeys(keyCount);
    Args[] args = new Args[keys.length];
    for (int i = 0; i < keys.length; i++) {
      args[i] = new Args(RingHashKeys.withHash(keys[i]));
    }
    return keyIndex -> picker.pickSubchannel(args[keyIndex]);
  }

  private static LoadBalancer.SubchannelPicker build(
      String policy, Map<String, ?> rawConfig, int n) {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    if (provider == null) {
      throw new IllegalStateException("grpc-java has no load-balancing policy named " + policy);
    }
    NameResolver.ConfigOrError config = provider.parseLoadBalancingPolicyConfig(rawConfig);
    if (config.getError() != null) {
      throw new IllegalStateException(policy + " config rejected: " + config.getError());
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      groups.add(new EquivalentAddressGroup(address(i)));
    }
    FakeHelper helper = new FakeHelper();
    LoadBalancer balancer = provider.newLoadBalancer(helper);
    helper.sync.execute(
        () -> {
          Status status =
              balancer.acceptResolvedAddresses(
                  LoadBalancer.ResolvedAddresses.newBuilder()
                      .setAddresses(groups)
                      .setLoadBalancingPolicyConfig(config.getConfig())
                      .build());
          if (!status.isOk()) {
            throw new IllegalStateException(policy + " rejected the addresses: " + status);
          }
        });
    // Children may create subchannels lazily: report READY until no new one appears.
    for (int i = 0; i < helper.subchannels.size(); i++) {
      helper.sync.execute(helper.subchannels.get(i)::ready);
    }
    // ring_hash connects an endpoint only when a pick lands on it: pick over many hashes until
    // every endpoint has a READY subchannel, so that lookups never wait for a connection.
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 64 && helper.subchannels.size() < n; round++) {
      LoadBalancer.SubchannelPicker current = helper.picker;
      if (current != null) {
        for (int k = 0; k < 4 * 1024; k++) {
          current.pickSubchannel(new Args(RingHashKeys.withHash(random.nextLong())));
        }
      }
      for (int i = 0; i < helper.subchannels.size(); i++) {
        helper.sync.execute(helper.subchannels.get(i)::ready);
      }
    }
    if (helper.subchannels.size() != n) {
      throw new IllegalStateException(
          policy + " connected " + helper.subchannels.size() + " of " + n + " endpoints");
    }
    LoadBalancer.SubchannelPicker picker = helper.picker;
    if (helper.state != ConnectivityState.READY || picker == null) {
      throw new IllegalStateException(policy + " did not become READY but " + helper.state);
    }
    return picker;
  }

  private static InetSocketAddress address(int i) {
    byte[] ip = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
    try {
      return new InetSocketAddress(InetAddress.getByAddress(Backends.host(i), ip), 8080);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The call's arguments, fixed per target so that picking allocates nothing of ours. */
  private static final class Args extends LoadBalancer.PickSubchannelArgs {
    private final CallOptions callOptions;
    private final Metadata headers = new Metadata();

    Args(CallOptions callOptions) {
      this.callOptions = callOptions;
    }

    @Override
    public CallOptions getCallOptions() {
      return callOptions;
    }

    @Override
    public Metadata getHeaders() {
      return headers;
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return METHOD;
    }
  }

  private static final class FakeHelper extends LoadBalancer.Helper {
    final SynchronizationContext sync =
        new SynchronizationContext(
            (thread, e) -> {
              throw new IllegalStateException("grpc policy failed", e);
            });
    final List<FakeSubchannel> subchannels = new ArrayList<>();
    volatile LoadBalancer.SubchannelPicker picker;
    volatile ConnectivityState state = ConnectivityState.IDLE;

    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      FakeSubchannel s = new FakeSubchannel(args);
      subchannels.add(s);
      return s;
    }

    @Override
    public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
      throw new UnsupportedOperationException("no out-of-band channels in benchmarks");
    }

    @Override
    public void updateBalancingState(
        ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
      state = newState;
      picker = newPicker;
    }

    @Override
    public String getAuthority() {
      return "bench";
    }

    @Override
    public String getChannelTarget() {
      return "bench:///service";
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
      return sync;
    }

    @Override
    public ScheduledExecutorService getScheduledExecutorService() {
      return TIMER;
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return SilentLogger.INSTANCE;
    }
  }

  private static final class FakeSubchannel extends LoadBalancer.Subchannel {
    private final LoadBalancer.CreateSubchannelArgs args;
    private LoadBalancer.SubchannelStateListener listener;
    boolean readyReported;

    FakeSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      this.args = args;
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      this.listener = listener;
    }

    void ready() {
      if (listener != null && !readyReported) {
        readyReported = true;
        listener.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.READY));
      }
    }

    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return args.getAddresses();
    }

    @Override
    public Attributes getAttributes() {
      return args.getAttributes();
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return SilentLogger.INSTANCE;
    }
  }

  private static final class SilentLogger extends ChannelLogger {
    static final SilentLogger INSTANCE = new SilentLogger();

    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  }
}
