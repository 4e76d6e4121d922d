package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.random.RandomGenerator;

/**
 * The picker of {@link OrcaWeightedRoundRobin}: a {@link StrideSchedule} behind one volatile
 * reference, replaced by {@link #refresh} on the balancer's serialized path. A pick reads the
 * reference once and walks that schedule, so it never sees half an update.
 */
final class OrcaPicker implements Picker {
  private final OrcaWeightedRoundRobin strategy;
  private final LiveEndpoint[] endpoints;
  private final OrcaWeightedRoundRobin.EndpointWeight[] states;
  private final RandomGenerator random;
  private final double[] weights; // scratch for refresh, which is serialized

  private volatile StrideSchedule schedule;
  private volatile boolean fromReports;

  OrcaPicker(
      OrcaWeightedRoundRobin strategy,
      LiveEndpoint[] endpoints,
      OrcaWeightedRoundRobin.EndpointWeight[] states,
      StrategyContext context) {
    this.strategy = strategy;
    this.endpoints = endpoints;
    this.states = states;
    this.random = context.random();
    this.weights = new double[endpoints.length];
    this.schedule = StrideSchedule.of(staticWeights(), random);
  }

  @Override
  public LiveEndpoint pick(PickContext context) {
    return endpoints[schedule.next()];
  }

  /**
   * Takes in each endpoint's latest report, applies A58's blackout and expiry at {@code nowNanos},
   * and publishes the new schedule if any scaled weight changed (an unchanged one keeps its place
   * in the sequence).
   */
  @Override
  public void refresh(long nowNanos) {
    int usable = 0;
    for (int i = 0; i < endpoints.length; i++) {
      OrcaWeightedRoundRobin.EndpointWeight s = states[i];
      s.observe(endpoints[i].loadReport(), strategy);
      double w = s.weightAt(nowNanos, strategy);
      weights[i] = w;
      if (w > 0) {
        usable++;
      }
    }
    // The rule (A58 would use equal weights): fewer than two reported weights say nothing
    // about the endpoints' relative capacity, so the configured weights stand.
    boolean reports = usable >= 2;
    StrideSchedule next = StrideSchedule.of(reports ? weights : staticWeights(), random);
    if (!next.sameWeights(schedule)) {
      schedule = next;
    }
    fromReports = reports;
  }

  private double[] staticWeights() {
    double[] w = new double[endpoints.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.max(1, endpoints[i].weight());
    }
    return w;
  }

  /** True if the schedule now in use comes from reported weights, not the static ones. */
  boolean usesReportedWeights() {
    return fromReports;
  }

  /** The scaled weights now in use, in endpoint order; for tests. */
  int[] scaledWeights() {
    return schedule.scaledWeights();
  }
}
