package dev.lb.benchmarks.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackendSpecTest {
  private static final BackendSpec HEALTHY = BackendSpec.healthy(ServiceTime.exponential(10), 4);

  @Test
  void finishTime_noPauses_isStartPlusWork() {
    assertThat(HEALTHY.finishTime(1_000, 500)).isEqualTo(1_500);
  }

  @Test
  void finishTime_workSpanningAPause_isStretchedByThePause() {
    BackendSpec pausing = HEALTHY.pausing(1_000, 100); // paused in [0,100), [1000,1100), ...
    // Starts at 900, works 100 until the pause at 1000, waits to 1100, works 50 more.
    assertThat(pausing.finishTime(900, 150)).isEqualTo(1_150);
  }

  @Test
  void finishTime_startInsideAPause_waitsForItsEnd() {
    BackendSpec pausing = HEALTHY.pausing(1_000, 100);
    assertThat(pausing.finishTime(1_020, 10)).isEqualTo(1_110);
    assertThat(pausing.isPaused(1_020)).isTrue();
    assertThat(pausing.isPaused(1_100)).isFalse();
  }

  @Test
  void finishTime_longWork_skipsEveryPause() {
    BackendSpec pausing = HEALTHY.pausing(1_000, 100);
    // 2,700 units of work from 100: 900 per period, so it ends in the third period.
    assertThat(pausing.finishTime(100, 2_700)).isEqualTo(3_000);
  }

  @Test
  void windows_downAndFixed_areHalfOpen() {
    BackendSpec spec = HEALTHY.down(100, 200).fixedLatency(300, 400, 5);
    assertThat(spec.isDown(99)).isFalse();
    assertThat(spec.isDown(100)).isTrue();
    assertThat(spec.isDown(200)).isFalse();
    assertThat(spec.isFixed(300)).isTrue();
    assertThat(spec.isFixed(400)).isFalse();
  }

  @Test
  void capacity_isWorkersOverMeanServiceTime() {
    assertThat(HEALTHY.capacityPerSecond()).isEqualTo(400.0);
    assertThat(HEALTHY.slower(10).capacityPerSecond()).isEqualTo(40.0);
  }

  @Test
  void serviceTimes_haveTheRequestedMean() {
    SplittableRandom random = new SplittableRandom(3);
    for (ServiceTime st :
        new ServiceTime[] {ServiceTime.exponential(10), ServiceTime.lognormal(10, 1)}) {
      double sum = 0;
      int n = 200_000;
      for (int i = 0; i < n; i++) {
        sum += st.sampleNanos(random);
      }
      assertThat(sum / n / 1e6)
          .as("%s", st)
          .isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.3));
    }
  }

  @Test
  void invalidOptions_failNamingTheOptionAndValue() {
    assertThatThrownBy(() -> BackendSpec.healthy(ServiceTime.exponential(10), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("workers must be at least 1 but was 0");
    assertThatThrownBy(() -> HEALTHY.failing(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failureRate must be in [0, 1] but was 1.5");
    assertThatThrownBy(() -> ServiceTime.exponential(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("meanMillis must be positive but was -1.0");
  }
}
