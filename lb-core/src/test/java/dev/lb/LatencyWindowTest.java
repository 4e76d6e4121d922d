package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.testing.FakeTicker;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {
  private static final long SECOND = 1_000_000_000L;

  private final FakeTicker ticker = new FakeTicker();

  private LatencyWindow window(long windowNanos) {
    return new LatencyWindow(
        MetricsClock.forStrategy(
            ticker, 10 * SECOND, dev.lb.strategy.Strategies.roundRobin(), windowNanos));
  }

  @Test
  void bucketMidpoint_within6Point25PercentOfEveryValue_overSeededValues() {
    for (long seed = 0; seed < 8; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = 0; i < 100_000; i++) {
        // Log-uniform from 8 µs to 30 minutes.
        long v = (long) Math.exp(random.nextDouble(Math.log(8_192), Math.log(1.8e12)));
        double mid = LatencyWindow.midpointNanos(LatencyWindow.bucket(v));
        assertThat(Math.abs(mid - v) / v).as("value %d", v).isLessThanOrEqualTo(0.0625);
      }
    }
  }

  @Test
  void bucket_isMonotonicAndInRange() {
    int last = -1;
    for (long v = 0; v < 1L << 42; v = v * 9 / 8 + 1) {
      int b = LatencyWindow.bucket(v);
      assertThat(b).isBetween(last, LatencyWindow.BUCKETS - 1);
      last = b;
    }
    assertThat(LatencyWindow.bucket(Long.MAX_VALUE)).isEqualTo(LatencyWindow.BUCKETS - 1);
    assertThat(LatencyWindow.bucket(0)).isZero();
  }

  @Test
  void percentiles_ofUniformLatencies_matchTheirRanks() {
    LatencyWindow w = window(60 * SECOND);
    for (int ms = 1; ms <= 1000; ms++) {
      w.record(ms * 1_000_000L, Long.MIN_VALUE);
    }
    double[] p = new double[3];
    assertThat(w.percentiles(p)).isEqualTo(1000);
    assertThat(p[0]).isCloseTo(500e6, within(500e6 * 0.0625));
    assertThat(p[1]).isCloseTo(900e6, within(900e6 * 0.0625));
    assertThat(p[2]).isCloseTo(990e6, within(990e6 * 0.0625));
  }

  @Test
  void percentiles_withoutSamples_areNaN() {
    double[] p = {1, 2, 3};
    assertThat(window(60 * SECOND).percentiles(p)).isZero();
    assertThat(p).containsOnly(Double.NaN);
  }

  @Test
  void samplesLeaveTheWindow_aSliceAtATime() {
    LatencyWindow w = window(60 * SECOND); // slices of 15 s
    double[] p = new double[3];
    for (int i = 0; i < 100; i++) {
      w.record(1_000_000L, Long.MIN_VALUE); // 1 ms, in the first slice
    }
    ticker.advance(java.time.Duration.ofSeconds(15));
    for (int i = 0; i < 100; i++) {
      w.record(100_000_000L, Long.MIN_VALUE); // 100 ms, in the second
    }
    assertThat(w.percentiles(p)).isEqualTo(200);
    assertThat(p[0]).isCloseTo(1e6, within(1e6 * 0.0625));
    assertThat(p[2]).isCloseTo(100e6, within(100e6 * 0.0625));

    ticker.advance(java.time.Duration.ofSeconds(45)); // the first slice is now 60 s old
    assertThat(w.percentiles(p)).isEqualTo(100);
    assertThat(p[0]).isCloseTo(100e6, within(100e6 * 0.0625));

    ticker.advance(java.time.Duration.ofSeconds(15));
    assertThat(w.percentiles(p)).isZero();
    assertThat(p).containsOnly(Double.NaN);
  }

  @Test
  void recording_rotatesWithoutReaders_afterALongSilence() {
    LatencyWindow w = window(60 * SECOND);
    for (int i = 0; i < 50; i++) {
      w.record(2_000_000L, Long.MIN_VALUE);
    }
    // Ten minutes later, with no reader meanwhile: the first new sample's clock check rotates.
    ticker.advance(java.time.Duration.ofMinutes(10));
    w.record(50_000_000L, Long.MIN_VALUE); // a new bucket: its count was 0, so it checks
    double[] p = new double[3];
    assertThat(w.percentiles(p)).isEqualTo(1);
    assertThat(p[0]).isCloseTo(50e6, within(50e6 * 0.0625));
  }

  @Test
  void everyGap_keepsExactlyTheSlicesInsideTheWindow() {
    // Slices of 1 s in a 4 s window: after a gap of g slices, what was recorded g slices ago is
    // kept while g < 4, and nothing older ever shows.
    for (int gap = 0; gap <= 12; gap++) {
      FakeTicker t = new FakeTicker();
      LatencyWindow w =
          new LatencyWindow(
              MetricsClock.forStrategy(
                  t, 10 * SECOND, dev.lb.strategy.Strategies.roundRobin(), 4 * SECOND));
      for (int s = 0; s < 6; s++) { // fill six slices with one sample each
        w.record(1_000_000L * (s + 1), t.read());
        t.advance(java.time.Duration.ofSeconds(1));
      }
      t.advance(java.time.Duration.ofSeconds(gap));
      double[] p = new double[3];
      long samples = w.percentiles(p);
      // Slices 0..5 were written; the current slice number is 6 + gap; slices > 6 + gap - 4 count.
      long expected = 0;
      for (int s = 0; s < 6; s++) {
        if (s > 6 + gap - 4) {
          expected++;
        }
      }
      assertThat(samples).as("gap %d", gap).isEqualTo(expected);
    }
  }
}
