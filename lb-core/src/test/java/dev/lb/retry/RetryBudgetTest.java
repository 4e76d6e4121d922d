package dev.lb.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  private final FakeTicker ticker = new FakeTicker();
  private final List<String> events = new ArrayList<>();
  private final RetryBudgetListener recorder =
      new RetryBudgetListener() {
        @Override
        public void onExhausted(RetryBudget budget) {
          events.add("exhausted");
        }

        @Override
        public void onReplenished(RetryBudget budget) {
          events.add("replenished");
        }
      };

  private RetryBudget budget(double percent, int minPerSecond) {
    RetryBudget b =
        RetryBudget.builder()
            .percentCanRetry(percent)
            .minRetriesPerSecond(minPerSecond)
            .ttl(Duration.ofSeconds(10))
            .ticker(ticker)
            .build();
    b.addListener(recorder);
    return b;
  }

  private static int withdrawAll(RetryBudget b) {
    int n = 0;
    while (b.tryWithdraw()) {
      n++;
    }
    return n;
  }

  @Test
  void defaults_areFinagles() {
    RetryBudget b = RetryBudget.builder().ticker(ticker).build();
    assertThat(b.percentCanRetry()).isEqualTo(0.2);
    assertThat(b.minRetriesPerSecond()).isEqualTo(10);
    assertThat(b.ttl()).isEqualTo(Duration.ofSeconds(10));
    assertThat(b.remaining()).isEqualTo(100); // the floor: 10/s over 10 s
  }

  @Test
  void retries_areAPercentageOfRequests() {
    RetryBudget b = budget(0.2, 0);
    assertThat(b.remaining()).isZero();
    for (int i = 0; i < 100; i++) {
      b.deposit();
    }
    assertThat(b.remaining()).isEqualTo(20);
    assertThat(withdrawAll(b)).isEqualTo(20);
    assertThat(b.remaining()).isZero();
  }

  @Test
  void exhaustion_isOneEventPerEpisode_andADepositReplenishes() {
    RetryBudget b = budget(0.2, 0);
    for (int i = 0; i < 10; i++) {
      b.deposit();
    }
    assertThat(withdrawAll(b)).isEqualTo(2);
    assertThat(b.tryWithdraw()).isFalse();
    assertThat(b.tryWithdraw()).isFalse();
    assertThat(events).containsExactly("exhausted");
    assertThat(b.refusedCount()).isEqualTo(3);
    for (int i = 0; i < 5; i++) {
      b.deposit();
    }
    assertThat(b.tryWithdraw()).isTrue();
    assertThat(b.tryWithdraw()).isFalse();
    assertThat(events).containsExactly("exhausted", "replenished", "exhausted");
  }

  @Test
  void deposits_expireAfterTheTtl() {
    RetryBudget b = budget(0.2, 0);
    for (int i = 0; i < 50; i++) {
      b.deposit();
    }
    ticker.advance(Duration.ofMillis(9999));
    assertThat(b.remaining()).isEqualTo(10);
    ticker.advanceMillis(1);
    assertThat(b.remaining()).isZero();
  }

  @Test
  void withdrawals_expireToo_soTheFloorRefills() {
    RetryBudget b = budget(0.2, 1); // a floor of 10 retries per 10 s
    assertThat(withdrawAll(b)).isEqualTo(10);
    ticker.advance(Duration.ofSeconds(5));
    assertThat(b.tryWithdraw()).isFalse();
    ticker.advance(Duration.ofMillis(4_999));
    assertThat(b.tryWithdraw()).as("a withdrawal counts for at least the ttl").isFalse();
    // Counted up to one slice (ttl / 100) longer than the ttl, never shorter.
    ticker.advance(Duration.ofMillis(101));
    assertThat(withdrawAll(b)).isEqualTo(10);
    ticker.advance(Duration.ofHours(1));
    assertThat(b.remaining()).isEqualTo(10);
  }

  @Test
  void failingFleet_retriesStayWithinThePercentagePlusTheFloor() {
    RetryBudget b = budget(0.2, 10);
    RetryPolicy policy =
        RetryPolicy.builder().maxAttempts(3).backoff(Backoff.none()).budget(b).build();
    int requests = 0;
    int retries = 0;
    for (int ms = 0; ms < 30_000; ms++) { // 30 s at 1000 requests/s, every attempt fails
      RetryCall call = policy.newCall(true);
      requests++;
      call.onAttempt("e" + (ms % 7));
      while (call.onFailure(FailureKind.CONNECT_FAILED).shouldRetry()) {
        retries++;
        call.onAttempt("e" + ((ms + call.attempts()) % 7));
      }
      ticker.advanceMillis(1);
    }
    // Per 10 s window: at most 20 % of its 10,000 requests plus 10/s x 10 s; three windows.
    assertThat(retries).isLessThanOrEqualTo(3 * (2000 + 100));
    assertThat(retries).isGreaterThan((int) (0.2 * requests));
  }

  /** Runs {@code body(thread index)} on {@code threads} threads started together; waits for all. */
  private static void runTogether(int threads, java.util.function.IntConsumer body)
      throws InterruptedException {
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int index = t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
                body.accept(index);
              });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
  }

  @Test
  void concurrentWithdrawals_neverOverdraw() throws Exception {
    for (int round = 0; round < 10; round++) {
      RetryBudget b = budget(0.2, 0);
      for (int i = 0; i < 1000; i++) {
        b.deposit();
      }
      AtomicInteger granted = new AtomicInteger();
      runTogether(
          8,
          t -> {
            for (int i = 0; i < 1000; i++) {
              if (b.tryWithdraw()) {
                granted.incrementAndGet();
              }
            }
          });
      assertThat(granted.get()).as("round %s", round).isEqualTo(200);
      assertThat(b.remaining()).isZero();
    }
  }

  @Test
  void concurrentDepositsAndWithdrawals_countEveryDeposit_andNeverOverdraw() throws Exception {
    for (int round = 0; round < 10; round++) {
      RetryBudget b = budget(0.2, 0);
      AtomicInteger granted = new AtomicInteger();
      runTogether(
          4,
          t -> {
            for (int i = 0; i < 5000; i++) {
              b.deposit();
              if (t % 2 == 1 && b.tryWithdraw()) {
                granted.incrementAndGet();
              }
            }
          });
      // 20,000 deposits of 20 % each: 4,000 retries in all, granted now or still remaining.
      assertThat(granted.get()).as("round %s", round).isLessThanOrEqualTo(4000);
      assertThat(granted.get() + b.remaining()).as("round %s", round).isEqualTo(4000);
    }
  }

  @Test
  void depositsRacingWithSliceChanges_areNeitherLostNorCountedTwice() throws Exception {
    for (int round = 0; round < 10; round++) {
      RetryBudget b = budget(0.2, 0);
      AtomicInteger granted = new AtomicInteger();
      // Three threads deposit (one also withdraws) while the fourth moves the clock across 50
      // slices of 100 ms: every slice closes under concurrent deposits, and all stay in the window.
      runTogether(
          4,
          t -> {
            if (t == 3) {
              for (int i = 0; i < 50; i++) {
                ticker.advanceMillis(100);
                for (int k = 0; k < 2000; k++) {
                  Thread.onSpinWait(); // spread the slice changes over the deposits
                }
              }
              return;
            }
            for (int i = 0; i < 5000; i++) {
              b.deposit();
              if (t == 1 && b.tryWithdraw()) {
                granted.incrementAndGet();
              }
            }
          });
      // 15,000 deposits of 20 %: 3,000 retries, granted or remaining, within the 10 s window.
      assertThat(granted.get() + b.remaining()).as("round %s", round).isEqualTo(3000);
    }
  }

  @Test
  void depositsAcrossManySlices_expireSliceBySlice() {
    RetryBudget b = budget(1.0, 0);
    for (int s = 0; s < 200; s++) { // 20 s of one deposit per 100 ms slice
      b.deposit();
      ticker.advanceMillis(100);
    }
    // At 20 s only the slices of the last 10 s count (this one included): 99 deposits.
    assertThat(b.remaining()).isEqualTo(99);
    ticker.advanceMillis(5_000);
    assertThat(b.remaining()).isEqualTo(49);
    ticker.advanceMillis(60_000); // a jump far past the window empties it
    assertThat(b.remaining()).isZero();
    b.deposit();
    assertThat(b.remaining()).isEqualTo(1);
  }

  @Test
  void unlimited_allowsEverything() {
    RetryBudget b = RetryBudget.unlimited();
    b.deposit();
    for (int i = 0; i < 1000; i++) {
      assertThat(b.tryWithdraw()).isTrue();
    }
    assertThat(b.remaining()).isEqualTo(Long.MAX_VALUE);
    assertThat(b.toString()).isEqualTo("RetryBudget{unlimited}");
  }

  @Test
  void listener_thatThrows_doesNotBreakTheBudget_andCanBeRemoved() {
    RetryBudget b = budget(0, 0);
    b.addListener(
        new RetryBudgetListener() {
          @Override
          public void onExhausted(RetryBudget budget) {
            throw new IllegalStateException("listener bug");
          }
        });
    assertThat(b.tryWithdraw()).isFalse();
    assertThat(events).containsExactly("exhausted");
    assertThat(b.removeListener(recorder)).isTrue();
    assertThat(b.removeListener(recorder)).isFalse();
    b.addListener(RetryBudgetListener.NONE);
    assertThat(b.toString())
        .isEqualTo(
            "RetryBudget{percentCanRetry=0.0, minRetriesPerSecond=0, ttl=PT10S, remaining=0}");
    assertThatThrownBy(() -> b.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("listener must not be null");
  }

  @Test
  void builder_rejectsBadOptions_namingThem() {
    RetryBudget.Builder b = RetryBudget.builder();
    assertThatThrownBy(() -> b.percentCanRetry(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("percentCanRetry must be in [0, 10] but was -0.1");
    assertThatThrownBy(() -> b.minRetriesPerSecond(-1))
        .hasMessage("minRetriesPerSecond must be in 0..1000000 but was -1");
    assertThatThrownBy(() -> b.ttl(Duration.ofMillis(500)))
        .hasMessage("ttl must be whole seconds from 1s to 60s but was PT0.5S");
    assertThatThrownBy(() -> b.ttl(Duration.ofSeconds(61)))
        .hasMessage("ttl must be whole seconds from 1s to 60s but was PT1M1S");
    assertThatThrownBy(() -> b.ttl(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ttl must not be null");
    assertThatThrownBy(() -> b.ticker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
  }
}
