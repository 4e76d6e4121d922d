package dev.lb;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Splits calls between priority levels, and within a level between the caller's zone and the
 * others, by the shares the balancer computed when it published the snapshot; each part has its own
 * picker built by the strategy. One random draw per pick chooses the part. Used only when there is
 * more than one part: a single part's picker is used directly.
 */
final class RoutingPicker implements Picker {
  private final double[] levelEnd; // cumulative share at the end of each level, last = 1
  private final Picker[] local;
  private final @Nullable Picker[] remote;
  private final double[] localShare;
  private final RandomGenerator random;

  RoutingPicker(
      double[] levelEnd,
      Picker[] local,
      @Nullable Picker[] remote,
      double[] localShare,
      RandomGenerator random) {
    this.levelEnd = levelEnd;
    this.local = local;
    this.remote = remote;
    this.localShare = localShare;
    this.random = random;
  }

  @Override
  public @Nullable LiveEndpoint pick(dev.lb.PickContext context) {
    return pick(context, 0);
  }

  @Override
  public @Nullable LiveEndpoint pick(dev.lb.PickContext context, int attempt) {
    double u = random.nextDouble();
    int i = 0;
    int last = levelEnd.length - 1;
    while (i < last && u >= levelEnd[i]) {
      i++;
    }
    Picker r = remote[i];
    if (r == null) {
      return local[i].pick(context, attempt);
    }
    // Reuse the draw: its position within the level's share is itself uniform.
    double start = i == 0 ? 0 : levelEnd[i - 1];
    double width = levelEnd[i] - start;
    double v = width > 0 ? (u - start) / width : 0;
    return v < localShare[i] ? local[i].pick(context, attempt) : r.pick(context, attempt);
  }

  @Override
  public void refresh(long nowNanos) {
    for (int i = 0; i < local.length; i++) {
      local[i].refresh(nowNanos);
      Picker r = remote[i];
      if (r != null) {
        r.refresh(nowNanos);
      }
    }
  }
}
