package dev.lb.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.breaker.CircuitBreakerConfig.SlidingWindowType;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/** Races on the breaker with real threads; time is a frozen or test-driven fake ticker. */
class CircuitBreakerConcurrencyTest {
  private static final int THREADS = 8;

  /** Runs {@code body(threadIndex)} on {@link #THREADS} threads released together. */
  private static void race(IntConsumer body) throws Exception {
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int index = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  body.accept(index);
                } catch (Throwable e) {
                  synchronized (errors) {
                    errors.add(e);
                  }
                }
              });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(errors).isEmpty();
  }

  @Test
  void halfOpen_manyThreadsAsking_admitExactlyThePermittedProbes() throws Exception {
    FakeTicker ticker = new FakeTicker();
    for (int round = 0; round < 50; round++) {
      int permitted = 1 + round % 7;
      CircuitBreaker b =
          CircuitBreaker.of(
              "e0",
              CircuitBreakerConfig.builder()
                  .slidingWindow(SlidingWindowType.COUNT_BASED, 4)
                  .minimumNumberOfCalls(4)
                  .permittedNumberOfCallsInHalfOpenState(permitted)
                  .waitDurationInOpenState(Duration.ofSeconds(1))
                  .build(),
              ticker);
      RecordingListener listener = new RecordingListener();
      b.addListener(listener);
      for (int i = 0; i < 4; i++) {
        b.onFailure(1, null);
      }
      ticker.advance(Duration.ofSeconds(2)); // the wait is over: the first asker moves it
      AtomicInteger admitted = new AtomicInteger();
      race(
          t -> {
            for (int i = 0; i < 1000; i++) {
              if (b.tryAcquirePermission()) {
                admitted.incrementAndGet();
              }
            }
          });
      assertThat(admitted.get()).as("round %s", round).isEqualTo(permitted);
      assertThat(listener.transitions()).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
    }
  }

  @Test
  void closed_manyThreadsFailing_openOnceAndTellListenersOnce() throws Exception {
    for (int round = 0; round < 20; round++) {
      CircuitBreaker b =
          CircuitBreaker.of(
              "e0",
              CircuitBreakerConfig.builder()
                  .slidingWindow(SlidingWindowType.COUNT_BASED, 10)
                  .minimumNumberOfCalls(10)
                  .build(),
              new FakeTicker());
      RecordingListener listener = new RecordingListener();
      b.addListener(listener);
      race(
          t -> {
            for (int i = 0; i < 200; i++) {
              b.onFailure(1, null);
            }
          });
      assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(listener.transitions()).as("round %s", round).containsExactly("CLOSED->OPEN");
    }
  }

  @Test
  void countWindow_racingRecorders_leaveTotalsEqualToTheSlots() throws Exception {
    for (long seed = 1; seed <= 10; seed++) {
      CountWindow w = new CountWindow(64, 64);
      long s = seed;
      race(
          t -> {
            SplittableRandom r = new SplittableRandom(s * 31 + t);
            for (int i = 0; i < 20_000; i++) {
              w.record(OutcomeWindow.outcome(r.nextInt(3) == 0, r.nextInt(5) == 0));
            }
          });
      assertThat(w.calls()).as("seed %s", seed).isEqualTo(64);
      // Overwrite every slot with a known outcome: any drift between totals and slots would remain.
      for (int i = 0; i < 64; i++) {
        w.record(OutcomeWindow.outcome(i % 4 == 0, false));
      }
      assertThat(w.calls()).as("seed %s", seed).isEqualTo(64);
      assertThat(w.failures()).as("seed %s", seed).isEqualTo(16);
      assertThat(w.slowCalls()).as("seed %s", seed).isZero();
    }
  }

  @Test
  void timeWindow_racingRecordersInOneSecond_countEveryOutcome() throws Exception {
    FakeTicker ticker = new FakeTicker();
    TimeWindow w = new TimeWindow(5, 1, ticker);
    race(
        t -> {
          for (int i = 0; i < 10_000; i++) {
            w.record(OutcomeWindow.outcome(i % 2 == 0, i % 5 == 0));
          }
        });
    assertThat(w.calls()).isEqualTo(THREADS * 10_000);
    assertThat(w.failures()).isEqualTo(THREADS * 5_000);
    assertThat(w.slowCalls()).isEqualTo(THREADS * 2_000);
  }

  @Test
  void timeWindow_racingRecordersWhileTimeMoves_totalsEqualTheBuckets() throws Exception {
    FakeTicker ticker = new FakeTicker();
    TimeWindow w = new TimeWindow(3, 1, ticker);
    race(
        t -> {
          for (int i = 0; i < 20_000; i++) {
            if (t == 0 && i % 1000 == 0) {
              ticker.advanceMillis(700);
            }
            w.record(OutcomeWindow.outcome(i % 3 == 0, false));
          }
        });
    // Outcomes racing a step into a new second may be dropped, never double-counted; once the
    // window has slid past everything, the totals must be exactly zero (no drift).
    assertThat(w.calls()).isBetween(0, THREADS * 20_000);
    ticker.advance(Duration.ofSeconds(10));
    w.expire();
    assertThat(w.calls()).isZero();
    assertThat(w.failures()).isZero();
  }
}
