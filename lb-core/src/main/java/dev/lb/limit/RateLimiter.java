package dev.lb.limit;

import java.time.Duration;

/**
 * Admits at most a configured number of permits per period. One call usually takes one permit;
 * callers sending weighted work may take several at once.
 *
 * <p>{@link #tryAcquire(int)} never waits: it admits now or refuses. {@link #tryAcquire(int,
 * Duration)} waits, through the limiter's {@link Sleeper}, until the permits are available or the
 * timeout would pass, and refuses at once if the permits cannot become available within the
 * timeout.
 *
 * <p>Implementations are thread-safe and never admit more than their rate allows, however many
 * threads race: every admission is one compare-and-set on the limiter's state. Acquiring allocates
 * nothing, except the sliding window's one small object per period. Build them with {@link
 * RateLimiters}.
 */
public interface RateLimiter {
  /**
   * Takes one permit if one is available now.
   *
   * @return true if the permit was taken
   */
  default boolean tryAcquire() {
    return tryAcquire(1);
  }

  /**
   * Takes {@code permits} permits if they are all available now; takes none otherwise.
   *
   * @param permits how many, from 1 to {@link #maxPermits()}
   * @return true if the permits were taken
   * @throws IllegalArgumentException if {@code permits} is not in 1..{@link #maxPermits()}
   */
  boolean tryAcquire(int permits);

  /**
   * Takes {@code permits} permits, waiting up to {@code timeout} for them. Refuses at once, without
   * waiting, when they cannot be available before the timeout.
   *
   * @param permits how many, from 1 to {@link #maxPermits()}
   * @param timeout the longest wait; zero makes this the same as {@link #tryAcquire(int)}
   * @return true if the permits were taken
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code permits} is out of range or {@code timeout} is
   *     negative
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  boolean tryAcquire(int permits, Duration timeout) throws InterruptedException;

  /**
   * The most permits one request may take: the bucket's capacity, or the window's limit.
   *
   * @return at least 1
   */
  int maxPermits();

  /**
   * The algorithm this limiter runs.
   *
   * @return the algorithm
   */
  RateLimiters.Algorithm algorithm();

  /**
   * Requests refused since the limiter was made, for stats.
   *
   * @return the number of {@code tryAcquire} calls that returned false
   */
  long rejectedCount();
}
