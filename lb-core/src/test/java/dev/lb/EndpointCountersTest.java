package dev.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Calls in flight and successes share one word (a success is one atomic add); these are the cases
 * that sharing exists to survive: the high half reaching its fold point, racing successes across
 * the fold, and failures and cancellations, which release without counting a success.
 */
class EndpointCountersTest {
  private static EndpointState state() {
    MetricsClock clock = new MetricsClock(new FakeTicker(), 10_000_000_000L, false, false);
    return new EndpointState(Endpoint.builder("10.0.3.1", 8080).build(), clock, States.IGNORE);
  }

  /** Puts {@code successes} in the word's high half, as if that many had been reported. */
  private static void presetSuccesses(EndpointState state, long successes, int inFlight) {
    state.inFlightAndSuccesses = (successes << 32) | (inFlight & 0xFFFF_FFFFL);
  }

  @Test
  void successes_crossTheFoldPoint_exactlyAndWithoutTouchingInFlight() {
    EndpointState state = state();
    long start = (1L << 31) - 5; // five below the fold
    presetSuccesses(state, start, 3);
    for (int i = 0; i < 12; i++) {
      state.acquire();
      state.onSuccess(1_000, 0);
      assertThat(state.successes()).isEqualTo(start + i + 1);
      assertThat(state.inFlight()).isEqualTo(3);
    }
    assertThat(state.successesFolded).isEqualTo(1L << 31);
    assertThat(state.inFlightAndSuccesses >>> 32).isEqualTo(start + 12 - (1L << 31));
  }

  @Test
  void successes_foldAgainAndAgain_withoutLosingACall() {
    EndpointState state = state();
    presetSuccesses(state, (1L << 31) - 1, 0);
    for (int fold = 0; fold < 3; fold++) {
      state.acquire();
      state.onSuccess(1_000, 0); // sets the top bit: folds
      presetSuccesses(
          state, (state.inFlightAndSuccesses >>> 32) + (1L << 31) - 2, 0); // skip to the next fold
      state.acquire();
      state.onSuccess(1_000, 0);
    }
    assertThat(state.inFlight()).isZero();
    assertThat(state.successesFolded).isEqualTo(3L << 31);
  }

  @Test
  void failuresAndCancels_releaseWithoutCountingASuccess() {
    EndpointState state = state();
    presetSuccesses(state, (1L << 31) - 1, 0); // one success short of the fold
    state.acquire();
    state.acquire();
    state.acquire();
    state.onFailure(1_000, null);
    state.onCancel();
    assertThat(state.successes()).isEqualTo((1L << 31) - 1);
    assertThat(state.inFlight()).isEqualTo(1);
    assertThat(state.failures()).isEqualTo(1);
    assertThat(state.cancels()).isEqualTo(1);
    assertThat(state.successesFolded).isZero();
  }

  @Test
  void inheritFrom_carriesSuccessesPastAFold_withNoCallInFlight() {
    EndpointState old = state();
    presetSuccesses(old, (1L << 31) - 1, 0);
    old.acquire();
    old.onSuccess(1_000, 0); // folds
    for (int i = 0; i < 7; i++) {
      old.acquire();
      old.onSuccess(1_000, 0);
    }
    old.acquire(); // a call still in flight on the old state stays there
    EndpointState next = state();
    next.inheritFrom(old, 0);
    assertThat(next.successes()).isEqualTo((1L << 31) + 7);
    assertThat(next.inFlight()).isZero();
    next.acquire();
    next.onSuccess(1_000, 0);
    assertThat(next.successes()).isEqualTo((1L << 31) + 8);
    assertThat(next.inFlight()).isZero();
  }

  @Test
  void tryAcquire_readsTheLowHalf_whateverTheSuccesses() {
    EndpointState state = state();
    presetSuccesses(state, (1L << 31) + 12345, 0);
    assertThat(state.tryAcquire(2)).isTrue();
    assertThat(state.tryAcquire(2)).isTrue();
    assertThat(state.tryAcquire(2)).isFalse();
    assertThat(state.inFlight()).isEqualTo(2);
    assertThat(state.successes()).isEqualTo((1L << 31) + 12345);
  }

  @Test
  void racingSuccessesAcrossFolds_countEveryCall_andReadersNeverSeeTheCountGoBack()
      throws InterruptedException {
    EndpointState state = state();
    long start = (1L << 31) - 100_000; // the fold falls in the middle of the race
    presetSuccesses(state, start, 0);
    int perThread = 200_000;
    int threads = 2;
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] =
          new Thread(
              () -> {
                try {
                  go.await();
                  for (int i = 0; i < perThread; i++) {
                    state.acquire();
                    state.onSuccess(1_000, 0);
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      workers[t].start();
    }
    Thread reader =
        new Thread(
            () -> {
              try {
                go.await();
                long last = 0;
                while (last < start + (long) threads * perThread) {
                  long now = state.successes();
                  if (now < last || now > start + (long) threads * perThread) {
                    throw new AssertionError("successes went from " + last + " to " + now);
                  }
                  last = now;
                }
              } catch (Throwable e) {
                failure.compareAndSet(null, e);
              }
            });
    reader.start();
    go.countDown();
    for (Thread w : workers) {
      w.join(30_000);
    }
    reader.join(30_000);
    assertThat(failure.get()).isNull();
    assertThat(reader.isAlive()).isFalse();
    assertThat(state.successes()).isEqualTo(start + (long) threads * perThread);
    assertThat(state.inFlight()).isZero();
    assertThat(state.successesFolded).isEqualTo(1L << 31);
  }
}
