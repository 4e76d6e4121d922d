package dev.lb;

import dev.lb.health.SlowStart;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Slow-start ramps: when an endpoint joins a running balancer or recovers, its effective weight
 * climbs over the {@link SlowStart} window in {@link #STEPS} steps, each step republishing the
 * routing. Weighted strategies see the ramp in {@link dev.lb.strategy.LiveEndpoint#weight()} (the
 * configured weight times {@link #WEIGHT_SCALE}, times the ramp factor); strategies that ignore
 * weights see it in {@link dev.lb.strategy.LiveEndpoint#rampFactor()}. A member's subset share
 * ({@link SubsetFilter}) multiplies both in the same way. Runs on the serialized path.
 */
final class SlowStartRamps {
  /** Ramps are recomputed this many times over their window. */
  static final int STEPS = 20;

  /**
   * With slow start on, strategies see weights multiplied by this, so that a ramping endpoint of
   * weight 1 can have an effective weight of 10% without rounding to nothing. Only ratios matter to
   * strategies, and the built-in ones reduce weights by their common divisor.
   */
  static final int WEIGHT_SCALE = 100;

  private final LoadBalancer balancer;
  private final @Nullable SlowStart slowStart;
  private final Ticker ticker;
  private final UpdatePath updates;

  // Guarded by the update lock.
  private Scheduler.@Nullable Cancellable step;
  private boolean closed;
  private boolean scaleForShares;

  SlowStartRamps(
      LoadBalancer balancer, @Nullable SlowStart slowStart, Ticker ticker, UpdatePath updates) {
    this.balancer = balancer;
    this.slowStart = slowStart;
    this.ticker = ticker;
    this.updates = updates;
  }

  /** Starts (or restarts) the ramp of {@code m}, if slow start is on. */
  void begin(Member m) {
    if (slowStart != null) {
      m.slowStartBegin = ticker.read();
    }
  }

  /** Stops the ramp of {@code m}: it restarts when {@code m} recovers. */
  void stop(Member m) {
    m.slowStartBegin = -1;
  }

  /**
   * Sets every member's effective weight and ramp factor for the snapshot about to be published,
   * raising {@code onSlowStartFinished} for ramps that just ended and scheduling the next step
   * while any ramp goes on.
   */
  void applyWeights(Collection<Member> members) {
    SlowStart ramp = slowStart;
    long now = ticker.read();
    boolean ramping = false;
    int scale = scale();
    for (Member m : members) {
      long weight = (long) m.endpoint().weight() * scale;
      double factor = 1.0;
      if (ramp != null) {
        if (m.slowStartBegin >= 0) {
          double f = ramp.factor(now - m.slowStartBegin);
          if (f >= 1.0) {
            m.slowStartBegin = -1;
            Endpoint e = m.endpoint();
            updates.emit(l -> l.onSlowStartFinished(balancer, e));
          } else {
            weight = Math.max(1, Math.round(weight * f));
            factor = f;
            ramping = true;
          }
        }
      }
      // A subset member's share (an aperture's edge) scales both, after the ramp: 0 is a member
      // outside the subset, which routing never sees, so its weights stay as they are.
      double share = m.subsetShare;
      if (share > 0 && share < 1.0) {
        weight = Math.max(1, Math.round(weight * share));
        factor *= share;
      }
      m.state.effectiveWeight((int) Math.min(Integer.MAX_VALUE, weight));
      m.state.rampFactor(factor);
    }
    if (ramping && step == null && !closed && ramp != null) {
      UpdatePath u = updates;
      step =
          u.timers()
              .schedule(
                  () ->
                      u.run(
                          () -> {
                            step = null;
                            u.markDirty();
                          }),
                  Math.max(1, ramp.windowNanos() / STEPS));
    }
  }

  /** The effective weight as a percentage of the configured weight (100 when not ramping). */
  int percent(Member m) {
    int scale = scale();
    long full = (long) m.endpoint().weight() * scale;
    return (int) Math.round(100.0 * Math.min(full, m.state.weight()) / full);
  }

  /**
   * Weights are scaled by {@link #WEIGHT_SCALE} from now on, so that subset shares (fractions at an
   * aperture's edge) are resolved to 1% of a weight; called once, before the first publish.
   */
  void scaleForShares() {
    scaleForShares = true;
  }

  private int scale() {
    return slowStart != null || scaleForShares ? WEIGHT_SCALE : 1;
  }

  void close() {
    closed = true;
    UpdatePath.cancel(step);
    step = null;
  }
}
