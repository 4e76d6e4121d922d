package dev.lb.retry;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.internal.ThreadLocalRandomGenerator;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * How long to wait before a retry.
 *
 * <p>Design note. The jittered forms follow Marc Brooker, "Exponential Backoff And Jitter" (AWS
 * Architecture Blog, 2015): <em>full jitter</em> waits a uniform random time in {@code [0, min(max,
 * base · 2^(retry−1))]}; <em>decorrelated jitter</em> waits a uniform random time in {@code [base,
 * 3 · previous]}, capped at {@code max}. Both spread the retries of many clients that failed
 * together, where plain exponential backoff would bring them back in synchronized waves.
 *
 * <p>Implementations are immutable and thread-safe if their random source is; the factories without
 * a {@link RandomGenerator} use a thread-local one.
 */
@FunctionalInterface
public interface Backoff {
  /**
   * The wait before retry number {@code retry}.
   *
   * @param retry 1 for the first retry (the second attempt), 2 for the next, ...
   * @param previousDelayNanos the wait before the previous retry, 0 before the first
   * @return the wait in nanoseconds, 0 or more
   */
  long delayNanos(int retry, long previousDelayNanos);

  /**
   * No wait at all: retry at once (on another endpoint).
   *
   * @return a backoff that always returns 0
   */
  static Backoff none() {
    return (retry, previous) -> 0;
  }

  /**
   * The same wait before every retry.
   *
   * @param delay the wait, zero or positive
   * @return a constant backoff
   * @throws NullPointerException if {@code delay} is null
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  static Backoff fixed(Duration delay) {
    long nanos = Backoffs.nonNegativeNanos("delay", delay);
    return (retry, previous) -> nanos;
  }

  /**
   * Exponential backoff without jitter: {@code min(max, base · 2^(retry−1))}.
   *
   * @param base the first wait, positive
   * @param max the longest wait, at least {@code base}
   * @return an exponential backoff
   * @throws NullPointerException if a duration is null
   * @throws IllegalArgumentException if a duration is not positive, or {@code max < base}
   */
  static Backoff exponential(Duration base, Duration max) {
    return new Backoffs.Exponential(base, max, Backoffs.Jitter.NONE, null);
  }

  /**
   * Exponential backoff with full jitter, from a thread-local random source.
   *
   * @param base the first retry's upper bound, positive
   * @param max the largest upper bound, at least {@code base}
   * @return a full-jitter backoff
   * @throws NullPointerException if a duration is null
   * @throws IllegalArgumentException if a duration is not positive, or {@code max < base}
   */
  static Backoff fullJitter(Duration base, Duration max) {
    return fullJitter(base, max, ThreadLocalRandomGenerator.INSTANCE);
  }

  /**
   * Exponential backoff with full jitter: uniform in {@code [0, min(max, base · 2^(retry−1))]}.
   *
   * @param base the first retry's upper bound, positive
   * @param max the largest upper bound, at least {@code base}
   * @param random the random source; must be thread-safe if the backoff is shared
   * @return a full-jitter backoff
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if a duration is not positive, or {@code max < base}
   */
  static Backoff fullJitter(Duration base, Duration max, RandomGenerator random) {
    return new Backoffs.Exponential(base, max, Backoffs.Jitter.FULL, random);
  }

  /**
   * Decorrelated jitter, from a thread-local random source.
   *
   * @param base the shortest wait, positive
   * @param max the longest wait, at least {@code base}
   * @return a decorrelated-jitter backoff
   * @throws NullPointerException if a duration is null
   * @throws IllegalArgumentException if a duration is not positive, or {@code max < base}
   */
  static Backoff decorrelatedJitter(Duration base, Duration max) {
    return decorrelatedJitter(base, max, ThreadLocalRandomGenerator.INSTANCE);
  }

  /**
   * Decorrelated jitter: uniform in {@code [base, 3 · previous]}, capped at {@code max}.
   *
   * @param base the shortest wait, positive
   * @param max the longest wait, at least {@code base}
   * @param random the random source; must be thread-safe if the backoff is shared
   * @return a decorrelated-jitter backoff
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if a duration is not positive, or {@code max < base}
   */
  static Backoff decorrelatedJitter(Duration base, Duration max, RandomGenerator random) {
    return new Backoffs.Exponential(base, max, Backoffs.Jitter.DECORRELATED, random);
  }
}

/** The implementations behind {@link Backoff}'s factories. */
final class Backoffs {
  private Backoffs() {}

  enum Jitter {
    NONE,
    FULL,
    DECORRELATED
  }

  static long nonNegativeNanos(String option, @Nullable Duration d) {
    Duration v = checkNotNull(d, option);
    if (v.isNegative()) {
      throw new IllegalArgumentException(option + " must not be negative but was " + v);
    }
    return saturated(v);
  }

  static long positiveNanos(String option, @Nullable Duration d) {
    long nanos = nonNegativeNanos(option, d);
    if (nanos == 0) {
      throw new IllegalArgumentException(option + " must be positive but was " + d);
    }
    return nanos;
  }

  private static long saturated(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  static final class Exponential implements Backoff {
    private final long base;
    private final long max;
    private final Jitter jitter;
    private final @Nullable RandomGenerator random;

    Exponential(
        @Nullable Duration base,
        @Nullable Duration max,
        Jitter jitter,
        @Nullable RandomGenerator random) {
      this.base = positiveNanos("base", base);
      this.max = positiveNanos("max", max);
      if (this.max < this.base) {
        throw new IllegalArgumentException("max must be at least base " + base + " but was " + max);
      }
      if (jitter != Jitter.NONE) {
        checkNotNull(random, "random");
      }
      this.jitter = jitter;
      this.random = random;
    }

    @Override
    public long delayNanos(int retry, long previousDelayNanos) {
      RandomGenerator r = random;
      return switch (jitter) {
        case FULL -> {
          long ceiling = ceiling(retry);
          if (r == null) {
            yield 0;
          }
          yield ceiling == Long.MAX_VALUE ? r.nextLong() >>> 1 : r.nextLong(ceiling + 1);
        }
        case DECORRELATED -> {
          long previous = Math.max(base, previousDelayNanos);
          long upper = previous > max / 3 ? max : Math.min(max, previous * 3);
          yield r == null || upper <= base ? base : r.nextLong(base, upper + 1);
        }
        case NONE -> ceiling(retry);
      };
    }

    /** {@code min(max, base · 2^(retry−1))} without overflow. */
    private long ceiling(int retry) {
      int shift = Math.max(0, retry - 1);
      if (shift >= 62 || base > (max >> shift)) {
        return max;
      }
      return base << shift;
    }

    @Override
    public String toString() {
      return "Backoff{" + jitter + ", base=" + base + "ns, max=" + max + "ns}";
    }
  }
}
