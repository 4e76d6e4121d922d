package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.PickContext;
import dev.lb.Ticker;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import io.grpc.CallOptions;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks a READY subchannel for each RPC through the policy's lb-core balancer, in which endpoints
 * that are not READY are marked down. Lock-free: one balancer pick (a volatile read of its
 * snapshot), one lookup in an immutable map, and the lease's tracer factory, registered in the
 * subchannel's {@link PendingPicks} until its stream starts (so that a pick gRPC drops is
 * cancelled, not leaked, when the subchannel leaves READY).
 *
 * <p>The balancer can still choose an endpoint that is not READY here: in panic mode (too few
 * healthy endpoints, so lb-core spreads calls over unhealthy ones too), or when this picker is
 * about to be replaced. Such a choice is cancelled on its lease (it shows as a cancellation in the
 * stats) and the balancer is asked again with that endpoint excluded, so a hash key walks on to its
 * next endpoint; up to twice the member count, after which the call goes to a random READY
 * subchannel without a lease. A choice whose READY period has just ended (its registry is closed)
 * is cancelled and asked again, without exclusion: the same endpoint may be READY again.
 *
 * <p>A retry or hedged attempt of a call made with {@link LbCallOptions#avoidPreviousEndpoints()}
 * is picked with the endpoints of the call's earlier attempts excluded; if that leaves nothing to
 * pick, it is picked again without them.
 */
final class LbPicker extends SubchannelPicker {
  private final LoadBalancer balancer;
  private final Map<String, Ready> subchannels;
  private final List<Subchannel> readyList;
  private final int maxAttempts;
  private final PolicyConfig config;
  private final Ticker ticker;
  private final boolean readsReports;

  LbPicker(LoadBalancer balancer, Map<String, Ready> subchannels, PolicyConfig config) {
    this.balancer = balancer;
    this.subchannels = Map.copyOf(subchannels);
    List<Subchannel> list = new ArrayList<>(subchannels.size());
    subchannels.values().forEach(r -> list.add(r.subchannel()));
    this.readyList = List.copyOf(list);
    this.maxAttempts = 2 * Math.max(1, balancer.endpoints().size());
    this.config = config;
    this.ticker = balancer.ticker();
    // Reading a call's ORCA trailer costs a few objects per call: only for strategies that ask,
    // and not when they ask for out-of-band reports instead (A58).
    this.readsReports =
        balancer.strategy().usesLoadReports()
            && !(balancer.strategy() instanceof OrcaWeightedRoundRobin wrr
                && wrr.enableOobLoadReport());
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    PickContext base = pickContext(args);
    CallOptions options = args.getCallOptions();
    AttemptHistory history = options.getOption(LbCallOptions.ATTEMPTS);
    // Earlier attempts of this call (gRPC retries and hedges) used these endpoints: go elsewhere.
    PickContext context = history != null && !history.isEmpty() ? history.exclude(base) : base;
    boolean avoiding = context != base;
    LeaseTracerFactory.Latency latency = latency(args.getMethodDescriptor(), options);
    // The balancer may choose an endpoint whose subchannel is not READY: in panic mode, or in the
    // moment between a state change and the next picker. Ask again a few times, then fall back.
    for (int attempt = 0; attempt < maxAttempts; attempt++) {
      Lease lease;
      try {
        lease = balancer.pick(context);
      } catch (IllegalStateException closed) {
        // This picker's balancer was closed: an option change built a new one, whose picker is
        // published (or about to be). No result makes gRPC pick again with the newest picker,
        // instead of failing a call that the new balancer can serve.
        return PickResult.withNoResult();
      } catch (NoEndpointAvailableException e) {
        if (e.reason() == NoEndpointAvailableException.Reason.DROPPED) {
          // The traffic policy shed this call (xDS drop_overloads): a drop, decided once. Picking
          // again (or letting gRPC retry) would draw again and drop less than the policy says.
          return PickResult.withDrop(
              Status.UNAVAILABLE
                  .withDescription(StatusText.firstLine(String.valueOf(e.getMessage())))
                  .withCause(e));
        }
        if (avoiding) {
          // Only endpoints earlier attempts used could take it: another try there beats failing.
          avoiding = false;
          context = base;
          continue;
        }
        // Rare (every READY endpoint at maxInFlightPerEndpoint, behind an open breaker, ...): the
        // exception's message says how many endpoints there are and in which states.
        Status status =
            Status.UNAVAILABLE
                .withDescription(
                    "strategy "
                        + balancer.strategy().name()
                        + ": "
                        + StatusText.firstLine(String.valueOf(e.getMessage())))
                .withCause(e);
        // Over the concurrency cap or a rate limit the call is shed at once, as gRPC's xDS
        // cluster_impl policy sheds calls over max_requests: a drop fails wait-for-ready calls too
        // and is not retried, where an error would buffer them until the next picker, which a
        // completing call does not publish. Anything else (half-open breakers with all their
        // probes out, nothing available) is an error: wait-for-ready calls wait for the picker the
        // policy publishes when the balancer's routing changes (a breaker closes, say).
        return e.reason() == NoEndpointAvailableException.Reason.AT_CAPACITY
            ? PickResult.withDrop(status)
            : PickResult.withError(status);
      }
      Ready ready = subchannels.get(lease.endpoint().id());
      if (ready == null) {
        // Not READY here (panic mode, or a picker about to be replaced): ask again without it.
        lease.onCancel();
        context = context.toBuilder().exclude(lease.endpoint().id()).build();
        continue;
      }
      LeaseTracerFactory factory =
          new LeaseTracerFactory(
              lease,
              config.classifier,
              ticker,
              ready.pending(),
              latency,
              history,
              options.getOption(LbCallOptions.ATTEMPT_OBSERVER));
      if (ready.pending().register(factory)) {
        return PickResult.withSubchannel(
            ready.subchannel(),
            readsReports ? OrcaSupport.readingReports(factory, lease) : factory);
      }
      // Its READY period ended while we picked: the lease is cancelled; choose again.
    }
    // Uncounted: no lease can be had on a chosen endpoint here. Rare (panic with a hash key).
    return PickResult.withSubchannel(
        readyList.get(ThreadLocalRandom.current().nextInt(readyList.size())));
  }

  /**
   * What the call's latency sample is: none if the call option or the configured methods exclude
   * it, else time to close for unary calls and time to the first response for streams.
   */
  private LeaseTracerFactory.Latency latency(MethodDescriptor<?, ?> method, CallOptions options) {
    Boolean excluded = options.getOption(LbCallOptions.EXCLUDE_FROM_LATENCY);
    if (excluded != null ? excluded : config.latencyExcluded.contains(method.getFullMethodName())) {
      return LeaseTracerFactory.Latency.NONE;
    }
    return method.getType() == MethodDescriptor.MethodType.UNARY
        ? LeaseTracerFactory.Latency.TO_CLOSE
        : LeaseTracerFactory.Latency.TO_FIRST_RESPONSE;
  }

  /** The call's pick context: its call option, else the configured header, else none. */
  private PickContext pickContext(PickSubchannelArgs args) {
    PickContext context = args.getCallOptions().getOption(LbCallOptions.PICK_CONTEXT);
    if (context != null) {
      return context;
    }
    Metadata.Key<String> header = config.hashHeader;
    if (header != null) {
      String key = args.getHeaders().get(header);
      return key == null ? PickContext.none() : PickContext.ofKey(key);
    }
    Metadata.Key<byte[]> binaryHeader = config.hashBinaryHeader;
    if (binaryHeader != null) {
      byte[] key = args.getHeaders().get(binaryHeader);
      return key == null ? PickContext.none() : PickContext.ofKey(key);
    }
    return PickContext.none();
  }

  /** A READY subchannel and the registry of its current READY period; immutable. */
  record Ready(Subchannel subchannel, PendingPicks pending) {}

  @Override
  public String toString() {
    return "LbPicker{" + balancer.name() + ", " + subchannels.keySet() + "}";
  }
}
