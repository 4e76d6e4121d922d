package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.testing.FakeSleeper;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitersTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final long MS = 1_000_000L;

  private final FakeTicker ticker = new FakeTicker();
  private final FakeSleeper sleeper = new FakeSleeper(ticker);

  private RateLimiter build(RateLimiters.Builder b) {
    return b.ticker(ticker).sleeper(sleeper).build();
  }

  private static int drain(RateLimiter limiter) {
    int admitted = 0;
    while (limiter.tryAcquire()) {
      admitted++;
    }
    return admitted;
  }

  // --- token bucket ---

  @Test
  void tokenBucket_startsFull_admitsExactlyTheBurst() {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND).burst(4));
    assertThat(drain(limiter)).isEqualTo(4);
    assertThat(limiter.rejectedCount()).isEqualTo(1);
    assertThat(limiter.algorithm()).isEqualTo(RateLimiters.Algorithm.TOKEN_BUCKET);
    assertThat(limiter.maxPermits()).isEqualTo(4);
  }

  @Test
  void tokenBucket_refillsOneTokenPerInterval() {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND));
    assertThat(drain(limiter)).isEqualTo(10);
    ticker.advanceMillis(99);
    assertThat(limiter.tryAcquire()).isFalse();
    ticker.advanceMillis(1);
    assertThat(drain(limiter)).isEqualTo(1);
    ticker.advanceMillis(350);
    assertThat(drain(limiter)).isEqualTo(3);
  }

  @Test
  void tokenBucket_idleTimeBanksAtMostTheBurst() {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND).burst(5));
    drain(limiter);
    ticker.advance(Duration.ofMinutes(10));
    assertThat(drain(limiter)).isEqualTo(5);
  }

  @Test
  void tokenBucket_multiplePermits_takenAllOrNothing() {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND));
    assertThat(limiter.tryAcquire(7)).isTrue();
    assertThat(limiter.tryAcquire(4)).isFalse();
    assertThat(limiter.tryAcquire(3)).isTrue();
    assertThatThrownBy(() -> limiter.tryAcquire(11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be in 1..10 but was 11");
    assertThatThrownBy(() -> limiter.tryAcquire(0))
        .hasMessage("permits must be in 1..10 but was 0");
  }

  @Test
  void tokenBucket_timedAcquire_waitsExactlyUntilATokenIsBack() throws Exception {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND));
    drain(limiter);
    long start = ticker.read();
    assertThat(limiter.tryAcquire(1, SECOND)).isTrue();
    assertThat(sleeper.sleeps()).containsExactly(100 * MS);
    assertThat(ticker.read() - start).isEqualTo(100 * MS);
    assertThat(limiter.tryAcquire(3, SECOND)).isTrue();
    assertThat(ticker.read() - start).isEqualTo(400 * MS);
  }

  @Test
  void timedAcquire_thatCannotSucceedInTime_refusesWithoutWaiting() throws Exception {
    RateLimiter limiter = build(RateLimiters.tokenBucket(10, SECOND));
    drain(limiter);
    long rejected = limiter.rejectedCount();
    assertThat(limiter.tryAcquire(1, Duration.ofMillis(99))).isFalse();
    assertThat(limiter.tryAcquire(1, Duration.ZERO)).isFalse();
    assertThat(sleeper.sleeps()).isEmpty();
    assertThat(limiter.rejectedCount()).isEqualTo(rejected + 2);
    assertThatThrownBy(() -> limiter.tryAcquire(1, Duration.ofMillis(-1)))
        .hasMessage("timeout must not be negative but was PT-0.001S");
    assertThatThrownBy(() -> limiter.tryAcquire(1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeout must not be null");
    assertThat(limiter.tryAcquire(1, Duration.ofSeconds(Long.MAX_VALUE))).isTrue();
  }

  @Test
  void rateNotDividingThePeriod_roundsTheIntervalUp_neverOverAdmits() {
    RateLimiter limiter = build(RateLimiters.tokenBucket(3, SECOND).burst(1));
    assertThat(drain(limiter)).isEqualTo(1);
    ticker.advanceMillis(333);
    assertThat(limiter.tryAcquire()).isFalse(); // 333,333,334 ns per token
    ticker.advance(Duration.ofNanos(333_334));
    assertThat(limiter.tryAcquire()).isTrue();
  }

  // --- leaky bucket ---

  @Test
  void leakyBucket_neverBursts_evenAfterIdleTime() {
    RateLimiter limiter = build(RateLimiters.leakyBucket(10, SECOND));
    assertThat(drain(limiter)).isEqualTo(1);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(drain(limiter)).isEqualTo(1);
    ticker.advanceMillis(99);
    assertThat(limiter.tryAcquire()).isFalse();
    ticker.advanceMillis(1);
    assertThat(drain(limiter)).isEqualTo(1);
    assertThat(limiter.algorithm()).isEqualTo(RateLimiters.Algorithm.LEAKY_BUCKET);
  }

  @Test
  void leakyBucket_waitingCallers_leaveOneIntervalApart() throws Exception {
    RateLimiter limiter = build(RateLimiters.leakyBucket(10, SECOND));
    long start = ticker.read();
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire(1, SECOND)).isTrue();
      assertThat(ticker.read() - start).isEqualTo(i * 100L * MS);
    }
    assertThat(sleeper.sleeps()).containsExactly(100 * MS, 100 * MS);
    assertThat(limiter.tryAcquire(2, SECOND)).isTrue(); // two slots: leaves at 300 ms
    assertThat(limiter.tryAcquire(1, SECOND)).isTrue(); // the next at 500 ms
    assertThat(ticker.read() - start).isEqualTo(500 * MS);
  }

  @Test
  void leakyBucket_queueFull_refusesAtOnce_andInterruptedWaitersKeepTheirSlot() {
    Sleeper interrupted =
        nanos -> {
          throw new InterruptedException("stop");
        };
    RateLimiter limiter =
        RateLimiters.leakyBucket(10, SECOND).burst(2).ticker(ticker).sleeper(interrupted).build();
    assertThat(limiter.tryAcquire()).isTrue(); // head: leaves now, next slot at 100 ms
    assertThatThrownBy(() -> limiter.tryAcquire(1, SECOND))
        .isInstanceOf(InterruptedException.class); // queued at 100 ms
    assertThatThrownBy(() -> limiter.tryAcquire(1, SECOND))
        .isInstanceOf(InterruptedException.class); // queued at 200 ms: 2 permits ahead
    boolean third;
    try {
      third = limiter.tryAcquire(1, SECOND); // 3 ahead > queue of 2
    } catch (InterruptedException e) {
      throw new AssertionError("a refused caller must not wait", e);
    }
    assertThat(third).isFalse();
    assertThat(limiter.rejectedCount()).isEqualTo(1);
  }

  @Test
  void leakyBucket_timeoutShorterThanTheQueue_refuses() throws Exception {
    RateLimiter limiter = build(RateLimiters.leakyBucket(10, SECOND));
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire(1, Duration.ofMillis(50))).isFalse();
    assertThat(sleeper.sleeps()).isEmpty();
  }

  // --- fixed window ---

  @Test
  void fixedWindow_admitsTheLimitPerWindow() {
    RateLimiter limiter = build(RateLimiters.fixedWindow(10, SECOND));
    assertThat(drain(limiter)).isEqualTo(10);
    ticker.advanceMillis(999);
    assertThat(limiter.tryAcquire()).isFalse();
    ticker.advanceMillis(1);
    assertThat(drain(limiter)).isEqualTo(10);
    ticker.advance(Duration.ofSeconds(30));
    assertThat(limiter.tryAcquire(10)).isTrue();
    assertThat(limiter.algorithm()).isEqualTo(RateLimiters.Algorithm.FIXED_WINDOW);
  }

  @Test
  void fixedWindow_burstsAroundTheBoundary_admitTwiceTheLimitWithinOneMillisecond() {
    RateLimiter limiter = build(RateLimiters.fixedWindow(10, SECOND));
    ticker.advanceMillis(999);
    int atEndOfFirstWindow = drain(limiter);
    ticker.advanceMillis(1);
    int atStartOfSecondWindow = drain(limiter);
    assertThat(atEndOfFirstWindow + atStartOfSecondWindow).isEqualTo(20);
  }

  @Test
  void fixedWindow_timedAcquire_waitsForTheNextWindow() throws Exception {
    RateLimiter limiter = build(RateLimiters.fixedWindow(10, SECOND));
    ticker.advanceMillis(250);
    drain(limiter);
    assertThat(limiter.tryAcquire(1, SECOND)).isTrue();
    assertThat(sleeper.sleeps()).containsExactly(750 * MS);
  }

  // --- sliding window ---

  @Test
  void slidingWindow_boundaryBurst_isRefusedAndReleasedGradually() {
    RateLimiter limiter = build(RateLimiters.slidingWindow(10, SECOND));
    ticker.advanceMillis(999);
    assertThat(drain(limiter)).isEqualTo(10);
    ticker.advanceMillis(1); // new window; all 10 of the previous one still weigh
    assertThat(drain(limiter)).isZero();
    ticker.advanceMillis(500); // half of the previous window has slid out
    assertThat(drain(limiter)).isEqualTo(5);
    ticker.advanceMillis(400); // 10 x 0.1 = 1 carried, 5 counted
    assertThat(drain(limiter)).isEqualTo(4);
    ticker.advanceMillis(100); // next window: the previous one counted 9
    assertThat(drain(limiter)).isEqualTo(1);
    assertThat(limiter.algorithm()).isEqualTo(RateLimiters.Algorithm.SLIDING_WINDOW);
  }

  @Test
  void slidingWindow_afterAnIdleWindow_admitsTheFullLimit() {
    RateLimiter limiter = build(RateLimiters.slidingWindow(10, SECOND));
    assertThat(drain(limiter)).isEqualTo(10);
    ticker.advanceMillis(2000); // window 2: window 1 was empty
    assertThat(drain(limiter)).isEqualTo(10);
  }

  @Test
  void slidingWindow_timedAcquire_waitsUntilEnoughOfThePreviousWindowSlidOut() throws Exception {
    RateLimiter limiter = build(RateLimiters.slidingWindow(10, SECOND));
    drain(limiter);
    ticker.advanceMillis(1000);
    long start = ticker.read();
    assertThat(limiter.tryAcquire(1, SECOND)).isTrue();
    assertThat(ticker.read() - start).isEqualTo(100 * MS); // 10 x 0.9 = 9 carried + 1
    // Ten permits need a window whose predecessor counted nothing: window 1 counted one, which
    // weighs throughout window 2, so they fit only when window 3 starts.
    assertThat(limiter.tryAcquire(10, Duration.ofSeconds(3))).isTrue();
    assertThat(ticker.read() - start).isEqualTo(2000 * MS);
  }

  // --- the builder ---

  @Test
  void builder_rejectsBadOptions_namingThem() {
    assertThatThrownBy(() -> RateLimiters.tokenBucket(0, SECOND))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be in 1..16777215 but was 0");
    assertThatThrownBy(() -> RateLimiters.fixedWindow(1, Duration.ofNanos(999_999)))
        .hasMessage("period must be from 1ms to 1d but was PT0.000999999S");
    assertThatThrownBy(() -> RateLimiters.slidingWindow(1, Duration.ofDays(2)))
        .hasMessage("period must be from 1ms to 1d but was PT48H");
    assertThatThrownBy(() -> RateLimiters.leakyBucket(1, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("period must not be null");
    assertThatThrownBy(() -> RateLimiters.fixedWindow(1, SECOND).burst(2))
        .hasMessage("burst applies to the token and leaky buckets, not to FIXED_WINDOW");
    assertThatThrownBy(() -> RateLimiters.tokenBucket(1, SECOND).burst(0))
        .hasMessage("burst must be in 1..16777215 but was 0");
    assertThatThrownBy(() -> RateLimiters.tokenBucket(1, SECOND).ticker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
    assertThatThrownBy(() -> RateLimiters.tokenBucket(1, SECOND).sleeper(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("sleeper must not be null");
    assertThatThrownBy(
            () -> RateLimiters.tokenBucket(1, Duration.ofDays(1)).burst(16_000_000).build())
        .hasMessageStartingWith("burst 16000000 at 1 permits per PT24H spans more than");
  }

  @Test
  void factory_givesEachEndpointItsOwnLimiter() {
    RateLimiterFactory perEndpoint =
        (endpoint, t) -> RateLimiters.fixedWindow(2, SECOND).ticker(t).build();
    RateLimiter a = perEndpoint.create(Endpoint.of("10.0.0.1", 80), ticker);
    RateLimiter b = perEndpoint.create(Endpoint.of("10.0.0.2", 80), ticker);
    assertThat(drain(a)).isEqualTo(2);
    assertThat(drain(b)).isEqualTo(2);
    assertThat(a.toString()).isEqualTo("FIXED_WINDOW{maxPermits=2, rejected=1}");
  }

  @Test
  void systemDefaults_workWithRealTime() throws Exception {
    RateLimiter limiter = RateLimiters.tokenBucket(1000, SECOND).burst(1).build();
    assertThat(limiter.tryAcquire()).isTrue();
    // A real wait of about 1 ms through Sleeper.system(): asserts admission, never timing.
    assertThat(limiter.tryAcquire(1, Duration.ofSeconds(5))).isTrue();
  }
}
