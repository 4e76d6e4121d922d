package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import org.junit.jupiter.api.Test;

/**
 * Vegas's own rules: one update per window of {@code max(10, limit)} reports, the thresholds,
 * drops, the probe's baseline, and a drop lost to a racing update.
 */
class VegasConcurrencyLimitTest {
  private static final long S = 10_000_000L;
  private final FakeTicker ticker = new FakeTicker();

  private VegasConcurrencyLimit vegas(int initial) {
    VegasConcurrencyLimit v =
        (VegasConcurrencyLimit)
            ConcurrencyLimits.vegas().initialLimit(initial).probeSamples(2).build().create(ticker);
    probe(v);
    return v;
  }

  /** The first report starts a probe, pinned to the minimum; two more measure it and end it. */
  private static void probe(VegasConcurrencyLimit v) {
    int before = v.limit();
    v.onSample(S, 1, false);
    assertThat(v.probing()).isTrue();
    assertThat(v.limit()).isEqualTo(4);
    v.onSample(S / 2, 1, false);
    v.onSample(3 * S / 2, 1, false);
    assertThat(v.probing()).isFalse();
    assertThat(v.limit()).isEqualTo(before);
    assertThat(v.noLoadNanos()).isEqualTo((double) S); // the probe's mean, not its minimum
  }

  /** One window of identical reports. */
  private static void window(VegasConcurrencyLimit v, long latency, int inFlight) {
    int n = Math.max(10, v.limit());
    for (int i = 0; i < n; i++) {
      v.onSample(latency, inFlight, false);
    }
  }

  @Test
  void oneUpdatePerWindow() {
    VegasConcurrencyLimit v = vegas(100);
    for (int i = 0; i < 99; i++) {
      v.onSample(S, 100, false);
      assertThat(v.limit()).isEqualTo(100);
    }
    v.onSample(S, 100, false);
    assertThat(v.limit()).isEqualTo(112);
  }

  @Test
  void noQueue_growsByBeta() {
    VegasConcurrencyLimit v = vegas(100);
    window(v, S, 100); // queue 0 <= log10(100) = 2: + 6 x 2
    assertThat(v.limit()).isEqualTo(112);
  }

  @Test
  void windowMeanIsWhatCounts_notSingleSamples() {
    VegasConcurrencyLimit v = vegas(100);
    // Half the calls at a fifth of the baseline, half at 1.8x: the mean is the baseline.
    for (int i = 0; i < 50; i++) {
      v.onSample(S / 5, 100, false);
      v.onSample(9 * S / 5, 100, false);
    }
    assertThat(v.limit()).isEqualTo(112);
  }

  @Test
  void queueAboveBeta_shrinksByLog10() {
    VegasConcurrencyLimit v = vegas(100);
    window(v, 2 * S, 100); // queue = 100 x (1 - 1/2) = 50 > 12
    assertThat(v.limit()).isEqualTo(98);
  }

  @Test
  void queueBetweenAlphaAndBeta_leavesIt() {
    VegasConcurrencyLimit v = vegas(100);
    window(v, (long) (S / 0.92), 100); // queue = ceil(100 x 0.08) = 8, in [6, 12]
    assertThat(v.limit()).isEqualTo(100);
  }

  @Test
  void drop_shrinksEvenWhenAppLimited_andUntimedFailuresAreDrops() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample(S, 1, true);
    window(v, S, 1); // the window closes after 100 reports, the drop among them
    assertThat(v.limit()).isEqualTo(98);
    for (int i = 0; i < 98; i++) {
      v.onSample(-1, 1, i == 0);
    }
    assertThat(v.limit()).isEqualTo(96);
  }

  @Test
  void appLimited_noChange() {
    VegasConcurrencyLimit v = vegas(100);
    window(v, 3 * S, 49);
    window(v, S, 49);
    assertThat(v.limit()).isEqualTo(100);
  }

  @Test
  void dropLostToARacingUpdate_isAppliedByTheNextSample() {
    // A ticker that, when the winning thread reads it, reports a drop as another thread would
    // while the update is under way: that report loses the CAS.
    VegasConcurrencyLimit[] holder = new VegasConcurrencyLimit[1];
    boolean[] raced = {false};
    VegasConcurrencyLimit v =
        (VegasConcurrencyLimit)
            ConcurrencyLimits.vegas()
                .initialLimit(100)
                .probeSamples(2)
                .build()
                .create(
                    () -> {
                      if (raced[0]) {
                        raced[0] = false;
                        holder[0].onSample(S, 100, true);
                      }
                      return ticker.read();
                    });
    holder[0] = v;
    probe(v);
    raced[0] = true;
    window(v, S, 100); // no queue, but the drop that raced the first report is in the window
    assertThat(raced[0]).isFalse();
    assertThat(v.limit()).isEqualTo(98);
  }
}
