package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FakeTickerTest {
  @Test
  void newTicker_readsOneSecond_untilAdvanced() {
    FakeTicker ticker = new FakeTicker();
    assertThat(ticker.read()).isEqualTo(FakeTicker.DEFAULT_START_NANOS).isEqualTo(1_000_000_000L);
    assertThat(ticker.read()).isEqualTo(ticker.read());
  }

  @Test
  void startingReading_isTheOneGiven() {
    assertThat(new FakeTicker(-5).read()).isEqualTo(-5);
    assertThat(new FakeTicker(Long.MAX_VALUE).read()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void advance_addsUp_inEveryUnit() {
    FakeTicker ticker = new FakeTicker(0);
    assertThat(ticker.advance(Duration.ofSeconds(2))).isSameAs(ticker);
    assertThat(ticker.advanceMillis(3)).isSameAs(ticker);
    assertThat(ticker.advanceNanos(4)).isSameAs(ticker);
    ticker.advance(Duration.ZERO);
    assertThat(ticker.read()).isEqualTo(2_003_000_004L);
    assertThat(ticker).hasToString("FakeTicker{2003000004 ns}");
  }

  @Test
  void advance_backwards_isRejected_andTimeStays() {
    FakeTicker ticker = new FakeTicker(0);
    assertThatThrownBy(() -> ticker.advance(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duration must not be negative (time never goes backwards) but was PT-0.001S");
    assertThatThrownBy(() -> ticker.advanceMillis(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("millis must not be negative (time never goes backwards) but was -2");
    assertThatThrownBy(() -> ticker.advanceNanos(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nanos must not be negative (time never goes backwards) but was -3");
    assertThat(ticker.read()).isZero();
  }

  @Test
  void advance_null_namesTheParameter() {
    assertThatThrownBy(() -> new FakeTicker().advance(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("duration");
  }
}
