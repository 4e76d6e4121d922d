package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import org.junit.jupiter.api.Test;

/**
 * The coarse clock over a fake source, ticked by hand: what a reader sees between ticks, when the
 * reading is stale, and the idle rule that lets the thread park.
 */
class CoarseClockTest {
  private final FakeTicker source = new FakeTicker(0);
  private final CoarseClock clock = new CoarseClock(source::read, false);

  @Test
  void beforeTheFirstTick_readsTheSourceExactly() {
    source.advanceNanos(7_000);
    assertThat(clock.read()).isEqualTo(7_000);
    source.advanceNanos(1);
    assertThat(clock.read()).isEqualTo(7_001);
  }

  @Test
  void betweenTicks_readsTheLastTick_neverAheadOfTheSource() {
    source.advanceNanos(1_000_000);
    clock.tick();
    source.advanceNanos(CoarseClock.TICK_NANOS - 1);
    assertThat(clock.read()).isEqualTo(1_000_000).isLessThanOrEqualTo(source.read());
    source.advanceNanos(1);
    clock.tick();
    assertThat(clock.read()).isEqualTo(source.read());
  }

  @Test
  void tick_reportsIdleOnlyWhenNobodyReadSinceThePreviousTick() {
    clock.tick();
    assertThat(clock.tick()).as("no read since the first tick").isTrue();
    clock.read();
    assertThat(clock.tick()).as("read once").isFalse();
    assertThat(clock.tick()).as("the mark was cleared").isTrue();
  }

  @Test
  void markStale_makesReadersReadTheSourceAgain_untilTheNextTick() {
    source.advanceNanos(5_000);
    clock.tick();
    source.advanceNanos(3_000);
    clock.markStale();
    assertThat(clock.read()).isEqualTo(8_000);
    // A stale read counts as a use: the thread it would wake must not park again at once.
    assertThat(clock.tick()).isFalse();
    assertThat(clock.read()).isEqualTo(8_000);
  }

  @Test
  void theKeptReadingNeverGoesBackwards_evenIfTheSourceDoes() {
    long[] readings = {10_000, 20_000, 15_000, 30_000};
    int[] next = {0};
    CoarseClock jumpy = new CoarseClock(() -> readings[next[0]++], false);
    long last = Long.MIN_VALUE;
    for (int i = 0; i < readings.length; i++) {
      jumpy.tick();
      long r = jumpy.read();
      assertThat(r).isGreaterThanOrEqualTo(last);
      last = r;
    }
    assertThat(last).isEqualTo(30_000);
  }

  @Test
  void theSystemClock_startsItsThreadOnFirstUse_andTracksNanoTimeWithinBounds() {
    long before = System.nanoTime();
    long first = CoarseClock.SYSTEM.read();
    assertThat(first).isGreaterThanOrEqualTo(before - 5_000_000_000L);
    // Bounded in time, never a sleep: spin until the thread's first tick is visible (or give up).
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (((long) CoarseClock.READING.getAcquire(CoarseClock.SYSTEM)) == CoarseClock.STALE
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    long r = CoarseClock.SYSTEM.read();
    assertThat(r).isLessThanOrEqualTo(System.nanoTime());
    assertThat(Thread.getAllStackTraces().keySet())
        .anySatisfy(t -> assertThat(t.getName()).isEqualTo("lb-clock"));
  }
}
