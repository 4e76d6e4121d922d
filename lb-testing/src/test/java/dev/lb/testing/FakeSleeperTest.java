package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FakeSleeperTest {
  private final FakeTicker ticker = new FakeTicker(0);
  private final FakeSleeper sleeper = new FakeSleeper(ticker);

  @Test
  void sleep_advancesTheTicker_andRecordsTheWait() throws InterruptedException {
    sleeper.sleep(5);
    sleeper.sleep(7);
    assertThat(ticker.read()).isEqualTo(12);
    assertThat(sleeper.sleeps()).containsExactly(5L, 7L);
    assertThat(sleeper.ticker()).isSameAs(ticker);
  }

  @Test
  void sleep_zeroOrNegative_isRecorded_butTimeStays() throws InterruptedException {
    sleeper.sleep(0);
    sleeper.sleep(-3);
    assertThat(ticker.read()).isZero();
    assertThat(sleeper.sleeps()).containsExactly(0L, -3L);
  }

  @Test
  void sleep_whenInterrupted_throws_clearsTheFlag_andNeitherMovesNorRecords() {
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> sleeper.sleep(5)).isInstanceOf(InterruptedException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(ticker.read()).isZero();
    assertThat(sleeper.sleeps()).isEmpty();
  }

  @Test
  void nullTicker_namesTheParameter() {
    assertThatThrownBy(() -> new FakeSleeper(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker");
  }
}
