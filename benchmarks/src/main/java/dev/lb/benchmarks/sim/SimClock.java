package dev.lb.benchmarks.sim;

import dev.lb.Scheduler;
import dev.lb.Ticker;
import java.util.PriorityQueue;

/**
 * The simulator's virtual clock and event queue: a {@link Ticker} that reads simulated time and a
 * {@link Scheduler} whose tasks run when the simulation reaches their time, so that lb-core's
 * outlier detection, ejection timers and decaying estimators run on simulated time. Nothing sleeps:
 * {@link #runUntil} jumps from one event to the next.
 *
 * <p>Events at the same instant run in the order they were scheduled. Not thread-safe: one
 * simulation runs on one thread, and lb-core's tasks run on that thread too.
 */
public final class SimClock implements Ticker, Scheduler {
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private long now;
  private long sequence;

  /** Creates a clock at time 0 with no events. */
  public SimClock() {}

  @Override
  public long read() {
    return now;
  }

  /**
   * Schedules {@code task} at {@code delayNanos} from now (now, if not positive).
   *
   * @param task what to run
   * @param delayNanos how far ahead, in simulated nanoseconds
   * @return a handle that removes the task if it has not run yet
   */
  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    if (task == null) {
      throw new IllegalArgumentException("task must not be null");
    }
    Event event = new Event(now + Math.max(0L, delayNanos), sequence++, task);
    queue.add(event);
    return event;
  }

  /**
   * Runs events in time order until the next one is later than {@code endNanos} or none is left;
   * the clock then reads {@code endNanos}.
   *
   * @param endNanos the simulated time to stop at
   * @param progress told the simulated time now and then; may be null
   */
  public void runUntil(long endNanos, java.util.function.LongConsumer progress) {
    long nextReport = 0;
    while (!queue.isEmpty() && queue.peek().time <= endNanos) {
      Event event = queue.poll();
      if (event.cancelled) {
        continue;
      }
      now = event.time;
      event.ran = true;
      event.task.run();
      if (progress != null && now >= nextReport) {
        progress.accept(now);
        nextReport = now + 100_000_000L;
      }
    }
    now = Math.max(now, endNanos);
  }

  /**
   * How many events wait, cancelled ones included.
   *
   * @return the queue's size
   */
  public int pending() {
    return queue.size();
  }

  private static final class Event implements Comparable<Event>, Cancellable {
    final long time;
    final long sequence;
    final Runnable task;
    boolean cancelled;
    boolean ran;

    Event(long time, long sequence, Runnable task) {
      this.time = time;
      this.sequence = sequence;
      this.task = task;
    }

    @Override
    public int compareTo(Event other) {
      int byTime = Long.compare(time, other.time);
      return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }

    @Override
    public boolean cancel() {
      if (ran || cancelled) {
        return false;
      }
      cancelled = true;
      return true;
    }
  }
}
