package dev.lb.grpc;

import dev.lb.Scheduler;
import dev.lb.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A fake clock and the timers that run on it: tasks run on the test's thread when {@link #advance}
 * passes their due time, in due order. For balancer timers (slow-start steps, ejection expiry) in
 * tests that must not wait for real time. Thread-safe.
 */
final class FakeTime implements Ticker, Scheduler {
  private final List<Task> tasks = new ArrayList<>();
  private long now = 1_000_000_000L;
  private long sequence;

  @Override
  public synchronized long read() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, long delayNanos) {
    Task t = new Task(task, now + Math.max(0, delayNanos), sequence++);
    tasks.add(t);
    return () -> {
      synchronized (FakeTime.this) {
        return tasks.remove(t);
      }
    };
  }

  /** Moves time forward by {@code d}, running each task that falls due at its time. */
  void advance(Duration d) {
    long end;
    synchronized (this) {
      end = now + d.toNanos();
    }
    while (true) {
      Task next = null;
      synchronized (this) {
        for (Task t : tasks) {
          if (t.due <= end
              && (next == null
                  || t.due < next.due
                  || (t.due == next.due && t.sequence < next.sequence))) {
            next = t;
          }
        }
        if (next == null) {
          now = end;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due);
      }
      next.task.run();
    }
  }

  private record Task(Runnable task, long due, long sequence) {}
}
