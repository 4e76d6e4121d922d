package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared hedge timer's rules, on fake time and without its thread ({@code runDue} by hand). */
class HedgeTimerTest {
  private static final long DELAY = Duration.ofMillis(100).toNanos();

  private final FakeTicker ticker = new FakeTicker();
  private final HedgeTimer timer = new HedgeTimer(ticker, false);

  /** A target that counts how often it was told. */
  private static final class Counting implements HedgeTimer.Target {
    final AtomicInteger fired = new AtomicInteger();

    @Override
    public void timerFired() {
      fired.incrementAndGet();
    }
  }

  @Test
  void cancelledBeforeTheDelay_neverFires_evenWhenItsDeadlinePasses() {
    Counting call = new Counting();
    HedgeTimer.Timer t = timer.arm(call, DELAY);
    assertThat(t.cancel(call)).isTrue();
    ticker.advanceNanos(2 * DELAY);
    assertThat(timer.runDue()).isEqualTo(Long.MAX_VALUE); // nothing armed
    assertThat(call.fired).hasValue(0);
  }

  @Test
  void dueTimer_firesExactlyOnce_andALateCancelReportsThatItFired() {
    Counting call = new Counting();
    HedgeTimer.Timer t = timer.arm(call, DELAY);
    ticker.advanceNanos(DELAY - 1);
    assertThat(timer.runDue()).isEqualTo(ticker.read() + 1); // one nanosecond early: not yet
    assertThat(call.fired).hasValue(0);
    ticker.advanceNanos(1);
    timer.runDue();
    timer.runDue();
    assertThat(call.fired).hasValue(1);
    assertThat(t.cancel(call)).isFalse();
  }

  @Test
  void aThreadArmsOneCallAfterAnother_reusesOneTimer_andAllocatesNoOther() {
    List<Counting> calls = new ArrayList<>();
    HedgeTimer.Timer first = null;
    for (int i = 0; i < 1_000; i++) {
      Counting call = new Counting();
      calls.add(call);
      HedgeTimer.Timer t = timer.arm(call, DELAY);
      if (first == null) {
        first = t;
      }
      assertThat(t).isSameAs(first);
      ticker.advanceNanos(DELAY / 10); // each call answers in a tenth of the delay
      assertThat(t.cancel(call)).isTrue();
    }
    assertThat(timer.size()).isEqualTo(1);
    ticker.advanceNanos(10 * DELAY);
    timer.runDue();
    assertThat(calls).allSatisfy(c -> assertThat(c.fired).hasValue(0));
  }

  @Test
  void aStaleCancel_ofACallWhoseTimerFired_doesNotDisarmTheThreadsNextCall() {
    Counting old = new Counting();
    HedgeTimer.Timer t = timer.arm(old, DELAY);
    ticker.advanceNanos(DELAY);
    timer.runDue(); // old's hedge is sent
    Counting next = new Counting();
    assertThat(timer.arm(next, DELAY)).isSameAs(t); // the thread's own timer, armed again
    assertThat(t.cancel(old)).isFalse(); // old finishes late and cancels what it armed
    ticker.advanceNanos(DELAY);
    timer.runDue();
    assertThat(old.fired).hasValue(1);
    assertThat(next.fired).hasValue(1); // still armed, so it fired
  }

  @Test
  void ownTimerBusy_aNestedArmGetsAOneOff_thatIsForgottenOnceItEnds() {
    Counting outer = new Counting();
    Counting nested = new Counting();
    HedgeTimer.Timer own = timer.arm(outer, 3 * DELAY);
    HedgeTimer.Timer oneOff = timer.arm(nested, DELAY);
    assertThat(oneOff).isNotSameAs(own);
    assertThat(timer.size()).isEqualTo(2);
    ticker.advanceNanos(DELAY);
    assertThat(timer.runDue()).isEqualTo(ticker.read() + 2 * DELAY); // the outer one is next
    assertThat(nested.fired).hasValue(1);
    assertThat(outer.fired).hasValue(0);
    assertThat(timer.size()).isEqualTo(1); // the one-off is gone
  }

  @Test
  void oneOffTakenThenScannedBeforeItIsArmed_isStillScannedOnceArmed_andFires() {
    // A caller takes its timer, stores it, then arms it; a scan in between must not drop it.
    Counting outer = new Counting();
    Counting nested = new Counting();
    timer.arm(outer, 3 * DELAY);
    HedgeTimer.Timer oneOff = timer.next();
    assertThat(timer.runDue()).isEqualTo(ticker.read() + 3 * DELAY); // the scan in between
    timer.arm(oneOff, nested, DELAY);
    ticker.advanceNanos(DELAY);
    timer.runDue();
    assertThat(nested.fired).hasValue(1);
    assertThat(oneOff.cancel(nested)).isFalse(); // it fired: nothing left to cancel
  }

  @Test
  void timersOfManyThreads_eachFiresAtItsOwnDeadline() throws InterruptedException {
    Counting early = new Counting();
    Counting late = new Counting();
    timer.arm(late, 2 * DELAY);
    Thread other = new Thread(() -> timer.arm(early, DELAY));
    other.start();
    other.join();
    ticker.advanceNanos(DELAY);
    timer.runDue();
    assertThat(early.fired).hasValue(1);
    assertThat(late.fired).hasValue(0);
    ticker.advanceNanos(DELAY);
    timer.runDue();
    assertThat(late.fired).hasValue(1);
  }

  @Test
  void aThreadThatEnded_itsIdleTimerIsPruned() throws InterruptedException {
    Counting call = new Counting();
    Thread worker =
        new Thread(
            () -> {
              HedgeTimer.Timer t = timer.arm(call, DELAY);
              t.cancel(call);
            });
    worker.start();
    worker.join();
    assertThat(timer.size()).isEqualTo(1);
    timer.runDue();
    assertThat(timer.size()).isZero();
  }

  @Test
  void aTargetThatThrows_doesNotStopTheOthers() {
    Counting after = new Counting();
    timer.arm(
        () -> {
          throw new IllegalStateException("boom");
        },
        DELAY);
    timer.arm(after, DELAY); // a one-off: the thread's own timer is busy
    ticker.advanceNanos(DELAY);
    timer.runDue();
    assertThat(after.fired).hasValue(1);
  }
}
