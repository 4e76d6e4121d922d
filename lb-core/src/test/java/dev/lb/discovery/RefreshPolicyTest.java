package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RefreshPolicyTest {
  @Test
  void defaults_every30sWithJitterAndA1sFloor() {
    RefreshPolicy p = RefreshPolicy.defaults();
    assertThat(p.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.jitter()).isEqualTo(0.2);
    assertThat(p.floor()).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.toString()).contains("PT30S");
  }

  @Test
  void nextDelay_staysWithinJitterBand_andSpreadsAcrossIt() {
    RefreshPolicy p = RefreshPolicy.builder().interval(Duration.ofSeconds(10)).jitter(0.2).build();
    SplittableRandom random = new SplittableRandom(42);
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < 10_000; i++) {
      long d = p.nextDelayNanos(random);
      assertThat(d).as("draw %s (seed 42)", i).isBetween(8_000_000_000L, 12_000_000_000L);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    // A fleet started together spreads over the whole band instead of resolving in lockstep.
    assertThat(min).isLessThan(8_100_000_000L);
    assertThat(max).isGreaterThan(11_900_000_000L);
  }

  @Test
  void nextDelay_neverBelowTheFloor() {
    RefreshPolicy p =
        RefreshPolicy.builder()
            .interval(Duration.ofSeconds(1))
            .floor(Duration.ofMillis(900))
            .jitter(0.5)
            .build();
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 1000; i++) {
      assertThat(p.nextDelayNanos(random))
          .as("draw %s (seed 7)", i)
          .isGreaterThanOrEqualTo(900_000_000L);
    }
  }

  @Test
  void zeroJitter_isExactlyTheInterval() {
    RefreshPolicy p = RefreshPolicy.builder().interval(Duration.ofSeconds(5)).jitter(0).build();
    assertThat(p.nextDelayNanos(new SplittableRandom(1))).isEqualTo(5_000_000_000L);
  }

  @Test
  void invalidOptions_failWithTheOptionAndValue() {
    assertThatThrownBy(() -> RefreshPolicy.builder().jitter(1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jitter must be in [0, 1) but was 1.0");
    assertThatThrownBy(() -> RefreshPolicy.builder().jitter(-0.1))
        .hasMessage("jitter must be in [0, 1) but was -0.1");
    assertThatThrownBy(() -> RefreshPolicy.builder().interval(Duration.ZERO))
        .hasMessage("interval must be positive but was PT0S");
    assertThatThrownBy(() -> RefreshPolicy.builder().floor(Duration.ofSeconds(-1)))
        .hasMessage("floor must be positive but was PT-1S");
    assertThatThrownBy(() -> RefreshPolicy.builder().interval(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("interval must not be null");
    assertThatThrownBy(() -> RefreshPolicy.builder().interval(Duration.ofMillis(100)).build())
        .hasMessage("interval must be at least the floor (PT1S) but was PT0.1S");
  }
}
