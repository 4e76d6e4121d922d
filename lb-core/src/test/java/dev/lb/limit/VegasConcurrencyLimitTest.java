package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import org.junit.jupiter.api.Test;

/** Vegas's own rules: the thresholds, drops, the probe and samples lost to a racing update. */
class VegasConcurrencyLimitTest {
  private static final long S = 10_000_000L;
  private final FakeTicker ticker = new FakeTicker();

  private VegasConcurrencyLimit vegas(int initial) {
    VegasConcurrencyLimit v =
        (VegasConcurrencyLimit)
            ConcurrencyLimits.vegas().initialLimit(initial).probeSamples(1).build().create(ticker);
    // The first sample starts a probe (pinned to the minimum); the second measures it and ends it.
    v.onSample(S, 1, false);
    assertThat(v.probing()).isTrue();
    assertThat(v.limit()).isEqualTo(4);
    v.onSample(S, 1, false);
    assertThat(v.probing()).isFalse();
    assertThat(v.limit()).isEqualTo(initial);
    assertThat(v.noLoadNanos()).isEqualTo((double) S);
    return v;
  }

  @Test
  void noQueue_growsByBeta() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample(S, 100, false); // queue 0 <= log10(100) = 2: + 6 x 2
    assertThat(v.limit()).isEqualTo(112);
  }

  @Test
  void queueAboveBeta_shrinksByLog10() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample(2 * S, 100, false); // queue = 100 x (1 - 1/2) = 50 > 12
    assertThat(v.limit()).isEqualTo(98);
  }

  @Test
  void queueBetweenAlphaAndBeta_leavesIt() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample((long) (S / 0.92), 100, false); // queue = ceil(100 x 0.08) = 8, in [6, 12]
    assertThat(v.limit()).isEqualTo(100);
  }

  @Test
  void drop_shrinksEvenWhenAppLimited() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample(S, 1, true);
    assertThat(v.limit()).isEqualTo(98);
    v.onSample(-1, 1, true); // an untimed failure is a drop too
    assertThat(v.limit()).isEqualTo(96);
  }

  @Test
  void appLimited_noChange() {
    VegasConcurrencyLimit v = vegas(100);
    v.onSample(3 * S, 49, false);
    v.onSample(S, 49, false);
    assertThat(v.limit()).isEqualTo(100);
  }

  @Test
  void dropLostToARacingUpdate_isAppliedByTheNextSample() {
    // A ticker that, when the winning thread reads it, reports a drop as another thread would
    // while the update is under way: that report loses the CAS.
    VegasConcurrencyLimit[] holder = new VegasConcurrencyLimit[1];
    boolean[] raced = {false};
    FakeTicker base = new FakeTicker();
    VegasConcurrencyLimit v =
        (VegasConcurrencyLimit)
            ConcurrencyLimits.vegas()
                .initialLimit(100)
                .probeSamples(1)
                .build()
                .create(
                    () -> {
                      if (raced[0]) {
                        raced[0] = false;
                        holder[0].onSample(S, 100, true);
                      }
                      return base.read();
                    });
    holder[0] = v;
    v.onSample(S, 1, false);
    v.onSample(S, 1, false);
    raced[0] = true;
    v.onSample(S, 100, false); // wins; the drop racing it is remembered, not applied
    assertThat(v.limit()).isEqualTo(112);
    v.onSample(S, 1, false); // app-limited, but carries the remembered drop: 112 - log10(112)
    assertThat(v.limit()).isEqualTo(109);
  }
}
