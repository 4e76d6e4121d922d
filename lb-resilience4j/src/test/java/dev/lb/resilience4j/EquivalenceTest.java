package dev.lb.resilience4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Ticker;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerConfig.SlidingWindowType;
import dev.lb.breaker.CircuitBreakerListener;
import dev.lb.breaker.CircuitBreakerMetrics;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Drives lb's built-in breaker and a resilience4j breaker (through the adapter) with the same call
 * sequence on one fake clock, and asserts that they make the same decisions and the same state
 * transitions at every step.
 */
class EquivalenceTest {
  private static final long MS = 1_000_000L;

  /** Fake time: starts at a whole second, so both libraries' one-second buckets align. */
  private final FakeTicker ticker = new FakeTicker(1_000_000_000L);

  private static io.github.resilience4j.circuitbreaker.CircuitBreakerConfig toResilience4j(
      CircuitBreakerConfig c, Ticker ticker) {
    return io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
        .failureRateThreshold(c.failureRateThreshold())
        .slowCallRateThreshold(c.slowCallRateThreshold())
        .slowCallDurationThreshold(c.slowCallDurationThreshold())
        .slidingWindow(
            c.slidingWindowSize(),
            c.minimumNumberOfCalls(),
            c.slidingWindowType() == SlidingWindowType.COUNT_BASED
                ? io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType
                    .COUNT_BASED
                : io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType
                    .TIME_BASED)
        .waitDurationInOpenState(c.waitDurationInOpenState())
        .permittedNumberOfCallsInHalfOpenState(c.permittedNumberOfCallsInHalfOpenState())
        .clock(Resilience4jCircuitBreakers.clockOf(ticker))
        .build();
  }

  /** Records transitions as "FROM->TO". */
  private static final class Transitions extends CircuitBreakerListener {
    final List<String> seen = new ArrayList<>();

    @Override
    public void onStateTransition(
        CircuitBreaker breaker, CircuitBreaker.State from, CircuitBreaker.State to) {
      seen.add(from + "->" + to);
    }
  }

  /** The two breakers under the same configuration and clock, driven in lockstep. */
  private final class Pair {
    final CircuitBreaker lb;
    final CircuitBreaker r4j;
    final Transitions lbTransitions = new Transitions();
    final Transitions r4jTransitions = new Transitions();
    final List<String> log = new ArrayList<>();
    private int held;
    private int phase;

    Pair(CircuitBreakerConfig config) {
      lb = CircuitBreaker.of("e0", config, ticker);
      r4j =
          Resilience4jCircuitBreakers.wrap(
              io.github.resilience4j.circuitbreaker.CircuitBreaker.of(
                  "e0", toResilience4j(config, ticker)));
      lb.addListener(lbTransitions);
      r4j.addListener(r4jTransitions);
      log.add(config.toString());
    }

    void acquire() {
      boolean a = lb.tryAcquirePermission();
      boolean b = r4j.tryAcquirePermission();
      log.add("acquire=" + a);
      assertThat(b).as("tryAcquirePermission after %s", log).isEqualTo(a);
      check();
      if (a) {
        held++;
      }
    }

    /**
     * Gives back a permission taken in the current state, as a well-behaved caller does. (Given
     * back in a later half-open state, resilience4j would raise the probe allowance above the
     * configured number; lb caps it there.)
     */
    void release() {
      if (held == 0) {
        return;
      }
      held--;
      lb.releasePermission();
      r4j.releasePermission();
      log.add("release");
      check();
    }

    void success(long durationNanos) {
      lb.onSuccess(durationNanos);
      r4j.onSuccess(durationNanos);
      log.add("success " + durationNanos / MS + "ms");
      check();
    }

    void failure(long durationNanos) {
      Exception boom = new IllegalStateException("boom");
      lb.onFailure(durationNanos, boom);
      r4j.onFailure(durationNanos, boom);
      log.add("failure " + durationNanos / MS + "ms");
      check();
    }

    void advance(long millis) {
      ticker.advanceMillis(millis);
      log.add("advance " + millis + "ms");
    }

    void check() {
      if (lbTransitions.seen.size() != phase) {
        phase = lbTransitions.seen.size();
        held = 0;
      }
      assertThat(r4j.state()).as("state after %s", log).isEqualTo(lb.state());
      assertThat(r4jTransitions.seen).as("transitions after %s", log).isEqualTo(lbTransitions.seen);
      CircuitBreaker.State s = lb.state();
      if (s == CircuitBreaker.State.CLOSED || s == CircuitBreaker.State.HALF_OPEN) {
        CircuitBreakerMetrics a = lb.metrics();
        CircuitBreakerMetrics b = r4j.metrics();
        assertThat(b.calls()).as("calls after %s", log).isEqualTo(a.calls());
        assertThat(b.failedCalls()).as("failed after %s", log).isEqualTo(a.failedCalls());
        assertThat(b.slowCalls()).as("slow after %s", log).isEqualTo(a.slowCalls());
        assertThat(b.failureRate()).as("failure rate after %s", log).isEqualTo(a.failureRate());
      }
    }
  }

  private static CircuitBreakerConfig.Builder config(SlidingWindowType type, int size, int min) {
    return CircuitBreakerConfig.builder()
        .slidingWindow(type, size)
        .minimumNumberOfCalls(min)
        .failureRateThreshold(50)
        .slowCallRateThreshold(80)
        .slowCallDurationThreshold(Duration.ofMillis(100))
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .permittedNumberOfCallsInHalfOpenState(3);
  }

  @Test
  void scriptedLifecycle_countBased_sameTransitions() {
    Pair p = new Pair(config(SlidingWindowType.COUNT_BASED, 10, 5).build());
    for (int i = 0; i < 4; i++) {
      p.acquire();
      p.failure(10 * MS); // below the minimum: stays closed
    }
    p.success(10 * MS); // 4 of 5 failed: opens
    p.acquire(); // refused
    p.advance(5000);
    p.acquire(); // exactly at the end of the wait: still refused
    p.advance(1);
    p.acquire(); // half-open, probe 1
    p.acquire();
    p.acquire();
    p.acquire(); // no fourth probe
    p.release();
    p.acquire(); // the released probe's place
    p.failure(10 * MS);
    p.failure(10 * MS);
    p.success(10 * MS); // 2 of 3 failed: reopens
    p.advance(5001);
    p.acquire();
    p.success(10 * MS);
    p.success(200 * MS);
    p.success(10 * MS); // 1 of 3 slow, none failed: closes
    for (int i = 0; i < 4; i++) {
      p.success(200 * MS); // slow, but below the minimum of 5 calls
    }
    assertThat(p.lb.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    p.success(200 * MS); // 5 of 5 slow >= 80 %: opens
    assertThat(p.lbTransitions.seen)
        .containsExactly(
            "CLOSED->OPEN",
            "OPEN->HALF_OPEN",
            "HALF_OPEN->OPEN",
            "OPEN->HALF_OPEN",
            "HALF_OPEN->CLOSED",
            "CLOSED->OPEN");
  }

  @Test
  void scriptedLifecycle_timeBased_sameTransitions() {
    Pair p = new Pair(config(SlidingWindowType.TIME_BASED, 3, 4).build());
    p.failure(10 * MS);
    p.failure(10 * MS);
    p.advance(3000); // both failures leave the window
    p.success(10 * MS);
    p.failure(10 * MS);
    p.success(10 * MS);
    p.advance(1000);
    p.failure(10 * MS); // 2 of 4 over two seconds: opens
    p.advance(5001);
    p.acquire();
    assertThat(p.lbTransitions.seen).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
  }

  @Test
  void manualStates_sameTransitions() {
    Pair p = new Pair(config(SlidingWindowType.COUNT_BASED, 10, 5).build());
    p.lb.forceOpen();
    p.r4j.forceOpen();
    p.acquire();
    p.lb.disable();
    p.r4j.disable();
    p.acquire();
    p.failure(10 * MS);
    p.lb.reset();
    p.r4j.reset();
    p.check();
    assertThat(p.lbTransitions.seen)
        .containsExactly("CLOSED->FORCED_OPEN", "FORCED_OPEN->DISABLED", "DISABLED->CLOSED");
  }

  @Test
  void randomSequences_bothWindowKinds_sameDecisionsAndTransitions() {
    Map<String, Integer> seen = new TreeMap<>();
    for (long seed = 1; seed <= 200; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      boolean countBased = seed % 2 == 0;
      Pair p =
          new Pair(
              config(
                      countBased ? SlidingWindowType.COUNT_BASED : SlidingWindowType.TIME_BASED,
                      countBased ? 1 + r.nextInt(12) : 1 + r.nextInt(4),
                      1 + r.nextInt(8))
                  .permittedNumberOfCallsInHalfOpenState(1 + r.nextInt(4))
                  .build());
      for (int step = 0; step < 300; step++) {
        int op = r.nextInt(100);
        if (op < 30) {
          p.success(r.nextInt(4) == 0 ? 150 * MS : 10 * MS);
        } else if (op < 55) {
          p.failure(r.nextInt(4) == 0 ? 150 * MS : 10 * MS);
        } else if (op < 80) {
          p.acquire();
        } else if (op < 85) {
          p.release();
        } else {
          p.advance(r.nextInt(3000));
        }
      }
      assertThat(p.r4jTransitions.seen).as("seed %s", seed).isEqualTo(p.lbTransitions.seen);
      p.lbTransitions.seen.forEach(t -> seen.merge(t, 1, Integer::sum));
    }
    // The sequences must exercise every automatic transition, many times over.
    assertThat(seen.keySet())
        .containsExactly("CLOSED->OPEN", "HALF_OPEN->CLOSED", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN");
    assertThat(seen.values()).allSatisfy(n -> assertThat(n).isGreaterThan(300));
  }
}
