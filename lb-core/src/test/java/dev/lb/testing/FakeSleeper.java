package dev.lb.testing;

import dev.lb.limit.Sleeper;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Sleeper} that advances a {@link FakeTicker} instead of sleeping and records every wait.
 * Thread-safe.
 */
public final class FakeSleeper implements Sleeper {
  private final FakeTicker ticker;
  private final List<Long> sleeps = new ArrayList<>();

  public FakeSleeper(FakeTicker ticker) {
    this.ticker = ticker;
  }

  @Override
  public void sleep(long nanos) {
    synchronized (this) {
      sleeps.add(nanos);
    }
    ticker.advance(java.time.Duration.ofNanos(nanos));
  }

  /** The waits asked for so far, in nanoseconds, in order. */
  public synchronized List<Long> sleeps() {
    return List.copyOf(sleeps);
  }
}
