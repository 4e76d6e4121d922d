package dev.lb.benchmarks.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Scheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimClockTest {
  @Test
  void runUntil_eventsRunInTimeOrderAndSameTimeInScheduleOrder() {
    SimClock clock = new SimClock();
    List<String> ran = new ArrayList<>();
    clock.schedule(() -> ran.add("c@30 " + clock.read()), 30);
    clock.schedule(() -> ran.add("a@10 " + clock.read()), 10);
    clock.schedule(() -> ran.add("b@10 " + clock.read()), 10);

    clock.runUntil(100, null);

    assertThat(ran).containsExactly("a@10 10", "b@10 10", "c@30 30");
    assertThat(clock.read()).isEqualTo(100);
  }

  @Test
  void runUntil_leavesLaterEventsForTheNextCall() {
    SimClock clock = new SimClock();
    List<Long> ran = new ArrayList<>();
    clock.schedule(() -> ran.add(clock.read()), 50);
    clock.schedule(() -> ran.add(clock.read()), 150);

    clock.runUntil(100, null);
    assertThat(ran).containsExactly(50L);
    clock.runUntil(200, null);
    assertThat(ran).containsExactly(50L, 150L);
  }

  @Test
  void schedule_fromATask_isRelativeToTheTasksTime() {
    SimClock clock = new SimClock();
    List<Long> ran = new ArrayList<>();
    clock.schedule(() -> clock.schedule(() -> ran.add(clock.read()), 25), 40);

    clock.runUntil(1_000, null);

    assertThat(ran).containsExactly(65L);
  }

  @Test
  void cancel_beforeItRuns_skipsTheTaskOnce() {
    SimClock clock = new SimClock();
    List<Long> ran = new ArrayList<>();
    Scheduler.Cancellable handle = clock.schedule(() -> ran.add(clock.read()), 10);

    assertThat(handle.cancel()).isTrue();
    assertThat(handle.cancel()).isFalse();
    clock.runUntil(100, null);

    assertThat(ran).isEmpty();
  }

  @Test
  void cancel_afterItRan_returnsFalse() {
    SimClock clock = new SimClock();
    Scheduler.Cancellable handle = clock.schedule(() -> {}, 10);
    clock.runUntil(100, null);

    assertThat(handle.cancel()).isFalse();
  }

  @Test
  void schedule_negativeDelay_runsNowNotInThePast() {
    SimClock clock = new SimClock();
    clock.runUntil(500, null);
    List<Long> ran = new ArrayList<>();
    clock.schedule(() -> ran.add(clock.read()), -100);

    clock.runUntil(600, null);

    assertThat(ran).containsExactly(500L);
  }

  @Test
  void schedule_nullTask_isRejected() {
    assertThatThrownBy(() -> new SimClock().schedule(null, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("task");
  }
}
