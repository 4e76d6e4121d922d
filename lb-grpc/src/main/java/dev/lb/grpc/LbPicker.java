package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.Ticker;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Map;

/**
 * Picks a READY subchannel for each RPC through the policy's lb-core balancer, whose membership is
 * the READY endpoints. Lock-free: one balancer pick (a volatile read of its snapshot), one lookup
 * in an immutable map, and the lease's tracer factory.
 *
 * <p>The balancer is shared with later pickers, so a picker that is about to be replaced may pick
 * an endpoint that became READY after it was built; that pick is cancelled and the call waits for
 * the next picker, which the policy publishes right after changing the membership.
 */
final class LbPicker extends SubchannelPicker {
  private final LoadBalancer balancer;
  private final Map<String, Subchannel> subchannels;
  private final PolicyConfig config;
  private final Ticker ticker;

  LbPicker(LoadBalancer balancer, Map<String, Subchannel> subchannels, PolicyConfig config) {
    this.balancer = balancer;
    this.subchannels = Map.copyOf(subchannels);
    this.config = config;
    this.ticker = balancer.ticker();
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    Lease lease = balancer.tryPick(pickContext(args));
    if (lease == null) {
      return PickResult.withError(
          Status.UNAVAILABLE.withDescription(
              "strategy "
                  + balancer.strategy().name()
                  + " chose none of the "
                  + subchannels.size()
                  + " READY endpoints of '"
                  + balancer.name()
                  + "'"));
    }
    Subchannel subchannel = subchannels.get(lease.endpoint().id());
    if (subchannel == null) {
      lease.onCancel();
      return PickResult.withNoResult();
    }
    return PickResult.withSubchannel(
        subchannel, new LeaseTracerFactory(lease, config.classifier, ticker));
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

  Map<String, Subchannel> subchannels() {
    return subchannels;
  }

  @Override
  public String toString() {
    return "LbPicker{" + balancer.name() + ", " + subchannels.keySet() + "}";
  }
}
