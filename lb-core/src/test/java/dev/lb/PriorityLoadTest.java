package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Envoy's priority load and per-level panic, including the worked examples of Envoy's docs. */
class PriorityLoadTest {
  private static PriorityLoad twoLevels(int p0HealthyPercent, int p1HealthyPercent) {
    return PriorityLoad.compute(
        new int[] {p0HealthyPercent, p1HealthyPercent}, new int[] {100, 100}, 1.4, 50);
  }

  /** Envoy docs, "Panic threshold": the table of two levels with panic threshold 50%. */
  @ParameterizedTest(name = "P0 {0}% P1 {1}% healthy -> {2}% / {4}%")
  @CsvSource({
    "72, 72, 100, false, 0, false",
    "71, 71, 99, false, 1, false",
    "50, 60, 70, false, 30, false",
    "25, 100, 35, false, 65, false",
    "25, 25, 50, true, 50, true",
    "5, 65, 7, true, 93, false",
  })
  void envoyPanicTable(int p0, int p1, int load0, boolean panic0, int load1, boolean panic1) {
    PriorityLoad load = twoLevels(p0, p1);
    assertThat(100 * load.share(0)).isCloseTo(load0, within(1.0));
    assertThat(100 * load.share(1)).isCloseTo(load1, within(1.0));
    assertThat(load.panic(0)).isEqualTo(panic0);
    assertThat(load.panic(1)).isEqualTo(panic1);
  }

  /** Envoy docs, "Priority levels": the spill-over of two levels with no panic. */
  @ParameterizedTest(name = "P0 {0}% P1 {1}% healthy -> {2}% / {3}%")
  @CsvSource({
    "100, 100, 100, 0",
    "72, 72, 100, 0",
    "71, 71, 99, 1",
    "50, 50, 70, 30",
    "25, 100, 35, 65",
    "25, 25, 50, 50",
  })
  void envoyPriorityTable(int p0, int p1, int load0, int load1) {
    PriorityLoad load = twoLevels(p0, p1);
    assertThat(100 * load.share(0)).isCloseTo(load0, within(1.0));
    assertThat(100 * load.share(1)).isCloseTo(load1, within(1.0));
  }

  @Test
  void levelFullyDown_otherLevelHealthyEnough_noPanicAndEverythingToTheHealthyLevel() {
    // The reported bug: P0 down, one of five P1 endpoints down: no panic, 100% to P1.
    PriorityLoad load = PriorityLoad.compute(new int[] {0, 4}, new int[] {3, 5}, 1.4, 50);
    assertThat(load.share(0)).isZero();
    assertThat(load.share(1)).isEqualTo(1.0);
    assertThat(load.anyPanic()).isFalse();
  }

  @Test
  void threeLevels_spillInOrder() {
    // P0 at 50% (70% available), P1 at 10% (14%), P2 at 100%: 70 / 14 / 16.
    PriorityLoad load = PriorityLoad.compute(new int[] {5, 1, 10}, new int[] {10, 10, 10}, 1.4, 50);
    assertThat(load.share(0)).isCloseTo(0.70, within(1e-9));
    assertThat(load.share(1)).isCloseTo(0.14, within(1e-9));
    assertThat(load.share(2)).isCloseTo(0.16, within(1e-9));
    assertThat(load.anyPanic()).isFalse();
  }

  @Test
  void noHealthyEndpointAnywhere_firstLevelInPanic_orNothingWithPanicOff() {
    PriorityLoad load = PriorityLoad.compute(new int[] {0, 0}, new int[] {2, 3}, 1.4, 50);
    assertThat(load.share(0)).isEqualTo(1.0);
    assertThat(load.panic(0)).isTrue();
    assertThat(PriorityLoad.compute(new int[] {0, 0}, new int[] {2, 3}, 1.4, 0).anyPanic())
        .isFalse();
  }

  /** Every mix of healthy shares over two and three levels: the invariants Envoy's rules give. */
  @Test
  void everyMix_sharesAddUp_panicOnlyWhenTotalAvailabilityIsShort() {
    SplittableRandom random = new SplittableRandom(42);
    for (int levels = 2; levels <= 3; levels++) {
      for (int round = 0; round < 20_000; round++) {
        int[] total = new int[levels];
        int[] healthy = new int[levels];
        for (int i = 0; i < levels; i++) {
          total[i] = 1 + random.nextInt(10);
          healthy[i] = random.nextInt(total[i] + 1);
        }
        int threshold = random.nextInt(101);
        PriorityLoad load = PriorityLoad.compute(healthy, total, 1.4, threshold);
        double sum = 0;
        double available = 0;
        for (int i = 0; i < levels; i++) {
          assertThat(load.share(i)).isBetween(0.0, 1.0);
          sum += load.share(i);
          available += Math.min(1.0, 1.4 * healthy[i] / total[i]);
          if (load.panic(i)) {
            assertThat(100L * healthy[i]).isLessThan((long) threshold * total[i]);
          }
        }
        assertThat(sum).isCloseTo(1.0, within(1e-9));
        if (available >= 1.0) {
          assertThat(load.anyPanic()).as("enough healthy endpoints over the levels").isFalse();
        }
        if (available > 0) {
          for (int i = 0; i < levels; i++) {
            if (healthy[i] == 0) {
              assertThat(load.share(i)).as("a level with no healthy endpoint").isZero();
            }
          }
        }
      }
    }
  }
}
