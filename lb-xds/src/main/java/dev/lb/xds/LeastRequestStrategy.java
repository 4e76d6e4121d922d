package dev.lb.xds;

import dev.lb.PickContext;
import dev.lb.Ticker;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Envoy's {@code LEAST_REQUEST} with a {@code choice_count} above 2: of {@code N} endpoints drawn
 * at random in proportion to weight (with replacement, as Envoy and gRFC A48 draw), the one with
 * the fewest calls in flight per unit of weight; recent failures count as calls in flight ({@link
 * LiveEndpoint#failurePenalty}), as in lb's {@code p2c}, which serves {@code choice_count} 2.
 *
 * <p>A pick costs {@code N} random draws and {@code N} binary searches over the cumulative weights
 * (skipped when all weights are equal), and allocates nothing. Immutable and thread-safe.
 */
final class LeastRequestStrategy implements Strategy {
  private final int choiceCount;

  LeastRequestStrategy(int choiceCount) {
    if (choiceCount < 2) {
      throw new IllegalArgumentException("choiceCount must be at least 2 but was " + choiceCount);
    }
    this.choiceCount = choiceCount;
  }

  @Override
  public String name() {
    return "least_request_" + choiceCount;
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    Objects.requireNonNull(endpoints, "endpoints must not be null");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException(name() + ": endpoints must not be empty");
    }
    LiveEndpoint[] states = endpoints.toArray(new LiveEndpoint[0]);
    int n = states.length;
    long[] cumulative = new long[n];
    long total = 0;
    boolean equal = true;
    for (int i = 0; i < n; i++) {
      total += states[i].weight();
      cumulative[i] = total;
      equal &= states[i].weight() == states[0].weight();
    }
    return new NChoicePicker(states, equal ? null : cumulative, total, choiceCount, context);
  }

  private static final class NChoicePicker implements Picker {
    private final LiveEndpoint[] states;
    private final long @Nullable [] cumulative;
    private final long total;
    private final int draws;
    private final RandomGenerator random;
    private final Ticker ticker;

    NChoicePicker(
        LiveEndpoint[] states,
        long @Nullable [] cumulative,
        long total,
        int draws,
        StrategyContext context) {
      this.states = states;
      this.cumulative = cumulative;
      this.total = total;
      this.draws = draws;
      this.random = context.random();
      this.ticker = context.ticker();
    }

    @Override
    public @Nullable LiveEndpoint pick(PickContext context) {
      if (states.length == 1) {
        return states[0];
      }
      LiveEndpoint best = null;
      double bestLoad = Double.MAX_VALUE;
      long now = Long.MIN_VALUE;
      for (int i = 0; i < draws; i++) {
        LiveEndpoint e = states[draw()];
        double load = e.inFlight();
        if (e.hasFailurePenalty()) {
          if (now == Long.MIN_VALUE) {
            now = ticker.read();
          }
          load += e.failurePenalty(now);
        }
        load /= e.weight();
        if (load < bestLoad) {
          best = e;
          bestLoad = load;
        }
      }
      return best;
    }

    private int draw() {
      long[] c = cumulative;
      if (c == null) {
        return random.nextInt(states.length);
      }
      long r = random.nextLong(total);
      int lo = 0;
      int hi = c.length - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (c[mid] > r) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo;
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof LeastRequestStrategy l && l.choiceCount == choiceCount;
  }

  @Override
  public int hashCode() {
    return choiceCount;
  }

  @Override
  public String toString() {
    return name();
  }
}
