package dev.lb.testing;

import dev.lb.Scheduler;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} driven by a {@link FakeTicker}: tasks run on the test's thread, in due order,
 * when the test calls {@link #advance} or {@link #runDue}. Tasks scheduled by running tasks run in
 * the same advance if they fall due within it. Thread-safe (tasks may be scheduled from any
 * thread).
 */
public final class FakeScheduler implements Scheduler {
  private final FakeTicker ticker;
  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(
          (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private long seq;

  public FakeScheduler(FakeTicker ticker) {
    this.ticker = ticker;
  }

  public FakeTicker ticker() {
    return ticker;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, long delayNanos) {
    Task t = new Task(task, ticker.read() + Math.max(0, delayNanos), seq++);
    queue.add(t);
    return () -> {
      synchronized (FakeScheduler.this) {
        return queue.remove(t);
      }
    };
  }

  /**
   * Advances the ticker by {@code d}, running every task that falls due on the way, at its time.
   */
  public FakeScheduler advance(Duration d) {
    long end = ticker.read() + d.toNanos();
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > end) {
          break;
        }
        queue.poll();
      }
      long now = ticker.read();
      if (next.due > now) {
        ticker.advance(Duration.ofNanos(next.due - now));
      }
      next.task.run();
    }
    long now = ticker.read();
    if (end > now) {
      ticker.advance(Duration.ofNanos(end - now));
    }
    return this;
  }

  public FakeScheduler advanceMillis(long millis) {
    return advance(Duration.ofMillis(millis));
  }

  /** Runs the tasks already due without moving time. */
  public FakeScheduler runDue() {
    return advance(Duration.ZERO);
  }

  /** Tasks waiting to run. */
  public synchronized int pending() {
    return queue.size();
  }

  private static final class Task {
    final Runnable task;
    final long due;
    final long seq;

    Task(Runnable task, long due, long seq) {
      this.task = task;
      this.due = due;
      this.seq = seq;
    }
  }
}
