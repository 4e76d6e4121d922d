package dev.lb.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The budget's bound over sliding windows of its length, at any offset from the ticker's slices:
 * retries never exceed {@code percentCanRetry x requests + minRetriesPerSecond x ttl}.
 */
class RetryBudgetWindowTest {
  private static final int TTL_MS = 10_000;

  @Test
  void steadyFailingFleet_everyWindowAtAnyOffset_staysWithinTheBound() {
    for (long seed = 0; seed < 8; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      int perMs = 1 + random.nextInt(3); // 1,000 to 3,000 requests per second
      Traffic t = run(seed, 100_000, ms -> perMs);
      long bound = 0;
      for (int a = 0; a + TTL_MS <= t.retries.length; a += 1 + random.nextInt(50)) {
        long requests = sum(t.requests, a, a + TTL_MS);
        long retries = sum(t.retries, a, a + TTL_MS);
        assertThat(retries)
            .as("seed %s, window at %s ms", seed, a)
            .isLessThanOrEqualTo(Math.round(0.2 * requests) + 10L * TTL_MS / 1000);
        bound = Math.max(bound, retries);
      }
      if (perMs == 1) {
        // The report's case: 100 s at 1,000 requests/s allows 10 x (2,000 + 100) = 21,000.
        assertThat(sum(t.retries, 0, t.retries.length)).isLessThanOrEqualTo(21_000);
      }
    }
  }

  @Test
  void burstyFailingFleet_windowEndingAtEveryRetry_staysWithinTheBound() {
    for (long seed = 0; seed < 8; seed++) {
      SplittableRandom rates = new SplittableRandom(seed * 31 + 7);
      int[] perSecond = new int[60];
      for (int i = 0; i < perSecond.length; i++) {
        perSecond[i] = rates.nextInt(4) == 0 ? 0 : rates.nextInt(4); // idle seconds and bursts
      }
      Traffic t = run(seed, 60_000, ms -> perSecond[ms / 1000]);
      long requests = 0;
      long retries = 0;
      for (int ms = 0; ms < t.retries.length; ms++) {
        requests += t.requests[ms];
        retries += t.retries[ms];
        if (ms >= TTL_MS) {
          requests -= t.requests[ms - TTL_MS];
          retries -= t.retries[ms - TTL_MS];
        }
        if (t.retries[ms] > 0) {
          assertThat(retries)
              .as("seed %s, the %s ms up to %s ms", seed, TTL_MS, ms)
              .isLessThanOrEqualTo(Math.round(0.2 * requests) + 10L * TTL_MS / 1000);
        }
      }
    }
  }

  /** Requests and retries sent in each millisecond of a run. */
  private static final class Traffic {
    private final int[] requests;
    private final int[] retries;

    Traffic(int[] requests, int[] retries) {
      this.requests = requests;
      this.retries = retries;
    }
  }

  /**
   * {@code millis} of traffic against a fleet where every attempt fails: each request deposits,
   * then retries twice if the budget lets it. The ticker starts at a random offset from the
   * budget's slices.
   */
  private static Traffic run(long seed, int millis, java.util.function.IntUnaryOperator perMs) {
    FakeTicker ticker = new FakeTicker();
    ticker.advance(Duration.ofNanos(new SplittableRandom(seed).nextLong(1_000_000_000L)));
    RetryBudget budget =
        RetryBudget.builder()
            .percentCanRetry(0.2)
            .minRetriesPerSecond(10)
            .ttl(Duration.ofMillis(TTL_MS))
            .ticker(ticker)
            .build();
    int[] requests = new int[millis];
    int[] retries = new int[millis];
    for (int ms = 0; ms < millis; ms++) {
      for (int r = perMs.applyAsInt(ms); r > 0; r--) {
        budget.deposit();
        requests[ms]++;
        for (int attempt = 0; attempt < 2 && budget.tryWithdraw(); attempt++) {
          retries[ms]++;
        }
      }
      ticker.advanceMillis(1);
    }
    return new Traffic(requests, retries);
  }

  private static long sum(int[] values, int from, int to) {
    long sum = 0;
    for (int i = from; i < to; i++) {
      sum += values[i];
    }
    return sum;
  }
}
