package dev.lb.strategy;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * gRFC A58's static stride scheduler over fixed weights: an immutable schedule and the cyclic
 * sequence picks walk. See {@link OrcaWeightedRoundRobin}'s design note.
 *
 * <p>Weights are scaled so that the largest is {@code M}, the scale. Position {@code p} of the
 * sequence is endpoint {@code i = p mod n} in generation {@code g = p / n}; endpoint {@code i} is
 * picked in generation {@code g} iff {@code (w_i x g + offset_i) mod M >= M - w_i}, which holds for
 * exactly {@code w_i} of every {@code M} consecutive generations, spread evenly. So the sequence is
 * periodic with period {@code n x M}, and a {@link StripedSequence} of that bound walks it without
 * a shared counter. The heaviest endpoint has {@code w = M} and is picked in every generation, so a
 * pick skips at most {@code n - 1} positions; capping weights at {@value #MAX_RATIO} times the mean
 * before scaling (see {@link #of}) keeps the mean scaled weight at least {@code M / 10}, so the
 * expected positions per pick are at most about 10.
 */
final class StrideSchedule {
  /**
   * The scale: the largest weight becomes 65,536. A58 scales to 65,535 (a 16-bit weight); a power
   * of two turns the scheduler's {@code mod M} into a mask, which saves a long division per step.
   */
  static final int MAX_SCALE = 1 << 16;

  /** Weights above this many times the mean are capped (as gRPC's implementations do). */
  static final double MAX_RATIO = 10.0;

  /** Weights below this fraction of the mean are raised to it. */
  static final double MIN_RATIO = 0.01;

  private final int[] scaled;
  private final int scale;
  private final StripedSequence sequence;

  private StrideSchedule(int[] scaled, int scale, RandomGenerator random) {
    this.scaled = scaled;
    this.scale = scale;
    this.sequence = new StripedSequence(scaled.length * scale, random);
  }

  /**
   * The schedule for {@code weights}: an endpoint whose weight is 0 (or less, or not finite) gets
   * the mean of the positive ones; with no positive weight, all are equal.
   */
  static StrideSchedule of(double[] weights, RandomGenerator random) {
    int n = weights.length;
    // The sequence's bound, n x scale, must fit an int: past 32,767 endpoints the scale shrinks
    // (to a power of two still).
    int scale = Math.min(MAX_SCALE, Integer.highestOneBit(Integer.MAX_VALUE / Math.max(1, n)));
    double sum = 0;
    int count = 0;
    double max = 0;
    for (double w : weights) {
      if (w > 0 && Double.isFinite(w)) {
        sum += w;
        count++;
        max = Math.max(max, w);
      }
    }
    int[] scaled = new int[n];
    if (count == 0) {
      Arrays.fill(scaled, scale);
      return new StrideSchedule(scaled, scale, random);
    }
    double mean = sum / count;
    max = Math.min(max, mean * MAX_RATIO);
    double factor = scale / max;
    int floor = (int) Math.max(1, Math.round(mean * MIN_RATIO * factor));
    int meanScaled = (int) Math.max(floor, Math.min(scale, Math.round(mean * factor)));
    for (int i = 0; i < n; i++) {
      double w = weights[i];
      scaled[i] =
          w > 0 && Double.isFinite(w)
              ? (int) Math.max(floor, Math.min(scale, Math.round(w * factor)))
              : meanScaled;
    }
    return new StrideSchedule(scaled, scale, random);
  }

  /** The index of the next endpoint to pick. Lock-free, allocation-free. */
  int next() {
    int[] w = scaled;
    int n = w.length;
    long mask = scale - 1L;
    long half = (long) scale >>> 1;
    while (true) {
      int position = sequence.next();
      int generation = position / n;
      int i = position - generation * n;
      long weight = w[i];
      // offset_i = i x M/2 staggers the phases, so endpoints of equal weight are not all picked
      // in the same generations.
      if (((weight * generation + half * i) & mask) >= scale - weight) {
        return i;
      }
    }
  }

  /** The scaled weights, for tests. */
  int[] scaledWeights() {
    return scaled.clone();
  }

  int scale() {
    return scale;
  }

  /**
   * True if this schedule has exactly these scaled weights: a refresh that changes none keeps it.
   */
  boolean sameWeights(StrideSchedule other) {
    return scale == other.scale && Arrays.equals(scaled, other.scaled);
  }
}
