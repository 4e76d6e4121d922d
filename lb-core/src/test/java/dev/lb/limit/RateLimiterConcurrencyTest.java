package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeSleeper;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Many threads race on one limiter. With time frozen, the number admitted must equal the allowance
 * exactly; with time moving, it must never exceed what the rate allows over the elapsed time.
 */
class RateLimiterConcurrencyTest {
  private static final int THREADS = 8;
  private static final int ATTEMPTS = 5_000;
  private static final Duration SECOND = Duration.ofSeconds(1);

  private final FakeTicker ticker = new FakeTicker();

  private RateLimiter build(RateLimiters.Builder b) {
    return b.ticker(ticker).sleeper(new FakeSleeper(ticker)).build();
  }

  /** Every thread tries {@link #ATTEMPTS} times; thread 0 may also move time. */
  private int race(RateLimiter limiter, Function<Integer, Boolean> moveTimeAt) throws Exception {
    CyclicBarrier start = new CyclicBarrier(THREADS);
    AtomicInteger admitted = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int index = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < ATTEMPTS; i++) {
                    if (index == 0 && moveTimeAt.apply(i)) {
                      ticker.advanceMillis(1);
                    }
                    if (limiter.tryAcquire()) {
                      admitted.incrementAndGet();
                    }
                  }
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
    return admitted.get();
  }

  private int frozen(RateLimiter limiter) throws Exception {
    return race(limiter, i -> false);
  }

  @Test
  void frozenTime_eachLimiterAdmitsExactlyItsAllowance() throws Exception {
    for (int round = 0; round < 10; round++) {
      assertThat(frozen(build(RateLimiters.tokenBucket(100, SECOND).burst(1000))))
          .as("token bucket, round %s", round)
          .isEqualTo(1000);
      assertThat(frozen(build(RateLimiters.leakyBucket(100, SECOND))))
          .as("leaky bucket, round %s", round)
          .isEqualTo(1);
      assertThat(frozen(build(RateLimiters.fixedWindow(1000, SECOND))))
          .as("fixed window, round %s", round)
          .isEqualTo(1000);
      assertThat(frozen(build(RateLimiters.slidingWindow(1000, SECOND))))
          .as("sliding window, round %s", round)
          .isEqualTo(1000);
    }
  }

  @Test
  void frozenTime_slidingWindowWithACarriedShare_admitsExactlyTheRest() throws Exception {
    for (int round = 0; round < 10; round++) {
      RateLimiter limiter = build(RateLimiters.slidingWindow(1000, SECOND));
      assertThat(limiter.tryAcquire(600)).isTrue();
      ticker.advanceMillis(1250); // window 1, a quarter in: 600 x 0.75 = 450 carried
      assertThat(frozen(limiter)).as("round %s", round).isEqualTo(550);
    }
  }

  @Test
  void movingTime_noLimiterAdmitsMoreThanItsRate() throws Exception {
    // Thread 0 moves time by 1 ms every 50 of its attempts: 100 ms in all.
    Function<Integer, Boolean> every50 = i -> i % 50 == 49;
    long elapsedMs = ATTEMPTS / 50;
    for (int round = 0; round < 5; round++) {
      // 1 permit per ms; the token bucket may also spend its burst of 10.
      assertThat(race(build(RateLimiters.tokenBucket(1000, SECOND).burst(10)), every50))
          .isLessThanOrEqualTo((int) (10 + elapsedMs));
      assertThat(race(build(RateLimiters.leakyBucket(1000, SECOND)), every50))
          .isLessThanOrEqualTo((int) (1 + elapsedMs));
      // 20 per 10 ms window; time spans 11 windows at most (100 ms from an aligned start).
      int windows = (int) (elapsedMs / 10 + 1);
      assertThat(race(build(RateLimiters.fixedWindow(20, Duration.ofMillis(10))), every50))
          .isLessThanOrEqualTo(20 * windows);
      assertThat(race(build(RateLimiters.slidingWindow(20, Duration.ofMillis(10))), every50))
          .isLessThanOrEqualTo(20 * windows);
    }
  }
}
