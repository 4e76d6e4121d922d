package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Scheduler.Cancellable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FakeSchedulerTest {
  private static final long SECOND = 1_000_000_000L;

  private final FakeTicker ticker = new FakeTicker(0);
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final List<String> ran = new ArrayList<>();

  /** Schedules a task that records its name and the time it ran at. */
  private Cancellable at(String name, long delayNanos) {
    return scheduler.schedule(() -> ran.add(name + "@" + ticker.read()), delayNanos);
  }

  @Test
  void advance_runsTasksInDueOrder_eachAtItsTime_thenEndsAtTheTarget() {
    at("c", 3 * SECOND);
    at("a", SECOND);
    at("b", 2 * SECOND);
    at("later", 5 * SECOND);

    assertThat(scheduler.advance(Duration.ofSeconds(4))).isSameAs(scheduler);

    assertThat(ran).containsExactly("a@" + SECOND, "b@" + 2 * SECOND, "c@" + 3 * SECOND);
    assertThat(ticker.read()).isEqualTo(4 * SECOND);
    assertThat(scheduler.pending()).isEqualTo(1);
  }

  @Test
  void tasksDueAtTheSameTime_runInTheOrderScheduled() {
    at("first", SECOND);
    at("second", SECOND);
    at("third", SECOND);
    scheduler.advanceMillis(1000);
    assertThat(ran).containsExactly("first@" + SECOND, "second@" + SECOND, "third@" + SECOND);
  }

  @Test
  void taskScheduledByATask_runsInTheSameAdvance_ifDueWithinIt() {
    scheduler.schedule(
        () -> {
          ran.add("outer@" + ticker.read());
          at("inner", SECOND);
          at("tooLate", 5 * SECOND);
        },
        SECOND);
    scheduler.advance(Duration.ofSeconds(3));
    assertThat(ran).containsExactly("outer@" + SECOND, "inner@" + 2 * SECOND);
    assertThat(scheduler.pending()).isEqualTo(1);
  }

  @Test
  void zeroOrNegativeDelay_isDueAtOnce_butWaitsForRunDue() {
    at("zero", 0);
    at("negative", -SECOND);
    assertThat(ran).isEmpty();
    assertThat(scheduler.nextDue()).contains(Duration.ZERO);

    scheduler.runDue();

    assertThat(ran).containsExactly("zero@0", "negative@0");
    assertThat(ticker.read()).isZero();
  }

  @Test
  void movingTheTickerAlone_runsNothing_untilRunDue() {
    at("a", SECOND);
    ticker.advance(Duration.ofSeconds(2));
    assertThat(ran).isEmpty();
    scheduler.runDue();
    assertThat(ran).containsExactly("a@" + 2 * SECOND);
  }

  @Test
  void cancel_removesAWaitingTask_once() {
    Cancellable a = at("a", SECOND);
    at("b", SECOND);
    assertThat(a.cancel()).isTrue();
    assertThat(a.cancel()).isFalse();
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(ran).containsExactly("b@" + SECOND);
    Cancellable done = at("c", 0);
    scheduler.runDue();
    assertThat(done.cancel()).isFalse();
  }

  @Test
  void nextDue_isTheDelayToTheEarliestTask() {
    assertThat(scheduler.nextDue()).isEmpty();
    at("a", 3 * SECOND);
    at("b", 2 * SECOND);
    assertThat(scheduler.nextDue()).contains(Duration.ofSeconds(2));
    scheduler.advance(scheduler.nextDue().orElseThrow());
    assertThat(ran).containsExactly("b@" + 2 * SECOND);
    assertThat(scheduler).hasToString("FakeScheduler{1 pending, FakeTicker{2000000000 ns}}");
  }

  @Test
  void throwingTask_failsTheAdvance_atItsTime_andLeavesTheRestQueued() {
    scheduler.schedule(
        () -> {
          throw new IllegalStateException("task bug");
        },
        SECOND);
    at("after", 2 * SECOND);

    assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("task bug");
    assertThat(ticker.read()).isEqualTo(SECOND);
    assertThat(scheduler.pending()).isEqualTo(1);

    scheduler.advance(Duration.ofSeconds(2));
    assertThat(ran).containsExactly("after@" + 2 * SECOND);
  }

  @Test
  void hugeDelay_meansNever_notThePast() {
    FakeScheduler nearTheEnd = new FakeScheduler(new FakeTicker(Long.MAX_VALUE - 10));
    nearTheEnd.schedule(() -> ran.add("never"), Long.MAX_VALUE);
    nearTheEnd.advanceMillis(0);
    nearTheEnd.runDue();
    assertThat(ran).isEmpty();
    assertThat(nearTheEnd.pending()).isEqualTo(1);
  }

  @Test
  void defaultScheduler_hasItsOwnTicker_atTheDefaultStart() {
    FakeScheduler own = new FakeScheduler();
    assertThat(own.ticker().read()).isEqualTo(FakeTicker.DEFAULT_START_NANOS);
    assertThat(scheduler.ticker()).isSameAs(ticker);
  }

  @Test
  void badArguments_areRejected() {
    assertThatThrownBy(() -> new FakeScheduler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker");
    assertThatThrownBy(() -> scheduler.schedule(null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("task");
    assertThatThrownBy(() -> scheduler.advance(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("duration");
    assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duration must not be negative");
    assertThatThrownBy(() -> scheduler.advanceMillis(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("millis must not be negative");
  }
}
