package dev.lb.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final long MS = 1_000_000L;
  private static final Duration BASE = Duration.ofMillis(25);
  private static final Duration MAX = Duration.ofMillis(250);

  @Test
  void exponential_doublesUpToTheCap() {
    Backoff b = Backoff.exponential(BASE, MAX);
    long[] delays = new long[7];
    for (int retry = 1; retry <= 7; retry++) {
      delays[retry - 1] = b.delayNanos(retry, 0) / MS;
    }
    assertThat(delays).containsExactly(25, 50, 100, 200, 250, 250, 250);
    assertThat(b.delayNanos(Integer.MAX_VALUE, 0)).isEqualTo(250 * MS);
  }

  @Test
  void fullJitter_drawsUniformlyBelowTheExponentialCeiling() {
    for (long seed = 1; seed <= 20; seed++) {
      Backoff b = Backoff.fullJitter(BASE, MAX, new SplittableRandom(seed));
      long sum = 0;
      long min = Long.MAX_VALUE;
      long max = 0;
      int n = 2000;
      for (int i = 0; i < n; i++) {
        long d = b.delayNanos(3, 0); // ceiling 100 ms
        assertThat(d).as("seed %s", seed).isBetween(0L, 100 * MS);
        sum += d;
        min = Math.min(min, d);
        max = Math.max(max, d);
      }
      assertThat((double) sum / n / MS).as("mean, seed %s", seed).isBetween(45.0, 55.0);
      assertThat(min).as("seed %s", seed).isLessThan(5 * MS);
      assertThat(max).as("seed %s", seed).isGreaterThan(95 * MS);
      assertThat(b.delayNanos(10, 0)).isBetween(0L, 250 * MS);
    }
  }

  @Test
  void decorrelatedJitter_staysBetweenBaseAndThreeTimesThePreviousCapped() {
    for (long seed = 1; seed <= 20; seed++) {
      Backoff b = Backoff.decorrelatedJitter(BASE, MAX, new SplittableRandom(seed));
      long previous = 0;
      boolean grew = false;
      for (int retry = 1; retry <= 50; retry++) {
        long d = b.delayNanos(retry, previous);
        long upper = Math.min(250 * MS, 3 * Math.max(25 * MS, previous));
        assertThat(d).as("seed %s retry %s", seed, retry).isBetween(25 * MS, upper);
        grew |= d > 75 * MS;
        previous = d;
      }
      assertThat(grew).as("seed %s", seed).isTrue();
    }
  }

  @Test
  void fixedAndNone_areConstant() {
    assertThat(Backoff.fixed(Duration.ofMillis(7)).delayNanos(9, 123)).isEqualTo(7 * MS);
    assertThat(Backoff.fixed(Duration.ZERO).delayNanos(1, 0)).isZero();
    assertThat(Backoff.none().delayNanos(3, 99)).isZero();
  }

  @Test
  void threadLocalDefaults_stayInRange() {
    assertThat(Backoff.fullJitter(BASE, MAX).delayNanos(1, 0)).isBetween(0L, 25 * MS);
    assertThat(Backoff.decorrelatedJitter(BASE, MAX).delayNanos(1, 0)).isBetween(25 * MS, 75 * MS);
    assertThat(Backoff.decorrelatedJitter(BASE, BASE).delayNanos(1, 0)).isEqualTo(25 * MS);
    assertThat(Backoff.exponential(BASE, MAX).toString())
        .isEqualTo("Backoff{NONE, base=25000000ns, max=250000000ns}");
  }

  @Test
  void invalidArguments_areRejectedNamingTheOption() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, MAX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("base must be positive but was PT0S");
    assertThatThrownBy(() -> Backoff.exponential(BASE, Duration.ofMillis(10)))
        .hasMessage("max must be at least base PT0.025S but was PT0.01S");
    assertThatThrownBy(() -> Backoff.fullJitter(BASE, MAX, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("random must not be null");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ofMillis(-1)))
        .hasMessage("delay must not be negative but was PT-0.001S");
    assertThatThrownBy(() -> Backoff.exponential(null, MAX))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("base must not be null");
  }
}
