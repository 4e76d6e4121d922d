package dev.lb.testing;

import dev.lb.limit.Sleeper;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Sleeper} that advances a {@link FakeTicker} instead of sleeping, and records every wait
 * asked for. Give it to a rate limiter's builder with the same ticker, and a blocking {@code
 * tryAcquire} returns at once with the ticker moved by the time it would have waited.
 *
 * <p>It moves only the ticker: tasks on a {@link FakeScheduler} built on that ticker run at the
 * scheduler's next advance. As {@link Sleeper#system()} does, it throws {@link
 * InterruptedException} (clearing the flag) if the calling thread is interrupted, without moving
 * time or recording the wait.
 *
 * <p>Thread-safe: concurrent sleeps each advance the ticker by their own wait.
 */
public final class FakeSleeper implements Sleeper {
  private final FakeTicker ticker;

  // Guarded by this.
  private final List<Long> sleeps = new ArrayList<>();

  /**
   * Creates a sleeper that advances {@code ticker}.
   *
   * @param ticker the fake time to move on each sleep
   * @throws NullPointerException if {@code ticker} is null
   */
  public FakeSleeper(FakeTicker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /**
   * Records the wait and advances the ticker by {@code nanos} (by nothing if {@code nanos} is zero
   * or less), without blocking.
   *
   * @param nanos how long the caller wants to wait, in nanoseconds
   * @throws InterruptedException if the calling thread is interrupted
   */
  @Override
  public void sleep(long nanos) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before a fake sleep of " + nanos + " ns");
    }
    synchronized (this) {
      sleeps.add(nanos);
    }
    ticker.advanceNanos(Math.max(0, nanos));
  }

  /**
   * Returns the waits asked for so far, in nanoseconds, in the order they were asked.
   *
   * @return an immutable copy of the recorded waits
   */
  public synchronized List<Long> sleeps() {
    return List.copyOf(sleeps);
  }

  /**
   * Returns the ticker this sleeper advances.
   *
   * @return the fake ticker
   */
  public FakeTicker ticker() {
    return ticker;
  }
}
