package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import org.junit.jupiter.api.Test;

/** The gradient's own rules: latency against the long average, drops unread, the drift bound. */
class GradientConcurrencyLimitTest {
  private static final long S = 10_000_000L;
  private final FakeTicker ticker = new FakeTicker();

  /** A gradient limit past its first probe (measured at S), at {@code initial}. */
  private ConcurrencyLimit gradient(int initial) {
    ConcurrencyLimit g =
        ConcurrencyLimits.gradient()
            .initialLimit(initial)
            .probeSamples(1)
            .smoothing(1.0)
            .build()
            .create(ticker);
    g.onSample(S, 1, false); // starts the probe
    g.onSample(S, 1, false); // measures it
    assertThat(g.limit()).isEqualTo(initial);
    return g;
  }

  @Test
  void noQueueing_growsByQueueSize() {
    ConcurrencyLimit g = gradient(100);
    g.onSample(S, 100, false); // gradient 1: 100 x 1 + 4
    assertThat(g.limit()).isEqualTo(104);
  }

  @Test
  void latencyTwiceTheAverage_halvesAtMost() {
    ConcurrencyLimit g = gradient(100);
    for (int i = 0; i < 10; i++) {
      g.onSample(S, 1, false); // app-limited: the average learns S, the limit stays
    }
    assertThat(g.limit()).isEqualTo(100);
    g.onSample(10 * S, 100, false); // a timeout's latency: gradient clamped to 0.5, + 4
    assertThat(g.limit()).isEqualTo(54);
  }

  @Test
  void dropsAreNotRead_onlyTheirLatency() {
    ConcurrencyLimit g = gradient(100);
    for (int i = 0; i < 50; i++) {
      g.onSample(-1, 100, true); // failures without a latency teach the gradient nothing
    }
    assertThat(g.limit()).isEqualTo(100);
  }

  @Test
  void longAverage_isHeldWithinToleranceOfTheProbedLatency() {
    ConcurrencyLimit g = gradient(100);
    // Latency that creeps up by 0.1% per call, while 100 are in flight: an unbounded average
    // would follow it and keep the gradient at 1. Held at 1.5 x S, the gradient falls below 1
    // once latency passes 1.5 x S, and the limit with it, down to where queueSize balances it.
    double latency = S;
    for (int i = 0; i < 5_000; i++) {
      latency *= 1.001;
      g.onSample((long) latency, g.limit(), false);
    }
    // latency is ~148 S by now; gradient 0.5 each call: L = 0.5 L + 4 settles at 8.
    assertThat(g.limit()).isLessThanOrEqualTo(8);
  }
}
