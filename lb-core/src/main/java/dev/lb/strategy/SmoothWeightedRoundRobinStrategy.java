package dev.lb.strategy;

import dev.lb.PickContext;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Smooth weighted round robin, as nginx does it: every step adds each endpoint's weight to its
 * current value, picks the endpoint with the highest current value, and subtracts the total weight
 * from it. Weights 5, 1, 1 give {@code a a b a c a a}: the heavy endpoint's turns are spread out,
 * never a burst of five.
 *
 * <h2>Design</h2>
 *
 * <p>nginx runs that loop on every pick, which costs O(n) per pick and needs a lock. Here the whole
 * period of the schedule (the sum of the weights, after dividing by their greatest common divisor)
 * is computed once, on the update path, into a table of endpoint indexes; a pick is one table read
 * at the calling thread's position in a {@link StripedSequence}. Per-pick cost is O(1) and
 * independent of the number of endpoints.
 *
 * <p>The table is built by nginx's algorithm while that takes at most {@value #NGINX_WORK_LIMIT}
 * steps (period x endpoints). Larger groups use an earliest-deadline-first schedule (endpoint
 * {@code i}'s {@code k}-th turn is due at {@code (k + 1/2) / w_i}) built in O(period log n):
 * equally smooth, each endpoint's turns evenly spaced, with the same proportions, though the
 * interleaving of ties may differ from nginx's. Periods longer than {@value #MAX_PERIOD} are scaled
 * down proportionally (every weight stays at least 1), so the table never exceeds about 1 MiB.
 */
final class SmoothWeightedRoundRobinStrategy implements Strategy {
  static final SmoothWeightedRoundRobinStrategy INSTANCE = new SmoothWeightedRoundRobinStrategy();

  static final int MAX_PERIOD = 1 << 18;
  static final long NGINX_WORK_LIMIT = 1L << 24;

  @Override
  public String name() {
    return "weighted_round_robin";
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = StrategyArguments.endpoints(endpoints, context, name());
    int[] weights = new int[array.length];
    for (int i = 0; i < array.length; i++) {
      weights[i] = Math.max(1, array[i].weight());
    }
    int[] schedule = schedule(weights);
    StripedSequence sequence = new StripedSequence(schedule.length, context.random());
    return (PickContext ignored) -> array[schedule[sequence.next()]];
  }

  /** One full period of the smooth schedule for {@code weights}, as indexes into it. */
  static int[] schedule(int[] weights) {
    int[] w = reduce(weights);
    long total = 0;
    for (int x : w) {
      total += x;
    }
    if (total * w.length <= NGINX_WORK_LIMIT) {
      return nginx(w, (int) total);
    }
    return earliestDeadlineFirst(w, (int) total);
  }

  /** Divides by the gcd, then scales down to at most about MAX_PERIOD if needed. */
  static int[] reduce(int[] weights) {
    int gcd = 0;
    long total = 0;
    for (int x : weights) {
      gcd = gcd(gcd, x);
      total += x;
    }
    int[] w = new int[weights.length];
    total /= gcd;
    for (int i = 0; i < w.length; i++) {
      w[i] = weights[i] / gcd;
    }
    if (total > MAX_PERIOD) {
      for (int i = 0; i < w.length; i++) {
        w[i] = (int) Math.max(1L, (long) w[i] * MAX_PERIOD / total);
      }
    }
    return w;
  }

  private static int[] nginx(int[] w, int total) {
    int[] table = new int[total];
    long[] current = new long[w.length];
    for (int step = 0; step < total; step++) {
      int best = 0;
      for (int i = 0; i < w.length; i++) {
        current[i] += w[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      table[step] = best;
    }
    return table;
  }

  private static int[] earliestDeadlineFirst(int[] w, int total) {
    // Deadline of endpoint i's k-th turn: (2k + 1) / (2 w_i); compared exactly by
    // cross-multiplying.
    long[] turns = new long[w.length];
    PriorityQueue<Integer> queue =
        new PriorityQueue<>(
            w.length,
            (a, b) -> {
              int c = Long.compare((2 * turns[a] + 1) * w[b], (2 * turns[b] + 1) * w[a]);
              return c != 0 ? c : Integer.compare(a, b);
            });
    for (int i = 0; i < w.length; i++) {
      queue.add(i);
    }
    int[] table = new int[total];
    for (int step = 0; step < total; step++) {
      int next = queue.remove();
      table[step] = next;
      turns[next]++;
      queue.add(next);
    }
    return table;
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return name();
  }
}
