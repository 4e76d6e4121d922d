package dev.lb.testing;

import dev.lb.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on fake time: tasks wait in a queue until the test calls {@link #advance} (or
 * {@link #runDue}), then run on the test's thread, in due order, each with the {@link FakeTicker}
 * reading its due time. Give the same ticker and this scheduler to a {@link
 * dev.lb.LoadBalancer.Builder} and every balancer timer (health checks, ejection expiry, slow-start
 * steps, drain timeouts, discovery refreshes) fires exactly when the test moves time past it.
 *
 * <p>Semantics of {@link #advance(Duration) advance(d)}: the time at the call is {@code start}; the
 * scheduler repeatedly takes the earliest task due at or before {@code start + d} (ties in the
 * order they were scheduled), moves the ticker forward to its due time (never backwards: a task
 * scheduled in the past runs at the current reading) and runs it. A task scheduled by a running
 * task runs in the same advance if it falls due by {@code start + d}; a task with a delay of zero
 * or less is due at once, and so runs on the next {@code advance} or {@code runDue}. Finally the
 * ticker is moved to {@code start + d}. An exception thrown by a task propagates out of {@code
 * advance} with the ticker at that task's due time; the tasks after it stay queued, and the next
 * advance runs them. Unlike {@link Scheduler#systemScheduler()}, which logs and carries on, this
 * makes a broken task fail the test.
 *
 * <p>Moving the ticker directly (without this scheduler) runs nothing: the tasks it passed run at
 * the next {@link #runDue}, at the ticker's reading then.
 *
 * <p>Thread-safe: tasks may be scheduled and cancelled from any thread, including from running
 * tasks. Advances are serialized: a second thread calling {@code advance} waits until the first
 * returns. Tasks run on the thread that advances, so they must not wait for another thread that
 * advances this scheduler.
 *
 * <pre>{@code
 * FakeScheduler scheduler = new FakeScheduler(); // on a new FakeTicker
 * List<String> ran = new ArrayList<>();
 * scheduler.schedule(() -> ran.add("a"), Duration.ofSeconds(2).toNanos());
 * scheduler.advance(Duration.ofSeconds(1)); // ran is []
 * scheduler.advance(Duration.ofSeconds(1)); // ran is ["a"], and the ticker read 2 s later
 * }</pre>
 */
public final class FakeScheduler implements Scheduler {
  private final FakeTicker ticker;
  private final Object advancing = new Object();

  // Guarded by this.
  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(
          (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private long seq;

  /** Creates a scheduler on a new {@link FakeTicker} that starts at its default reading. */
  public FakeScheduler() {
    this(new FakeTicker());
  }

  /**
   * Creates a scheduler whose tasks fall due by {@code ticker}'s readings, and which moves {@code
   * ticker} as it advances.
   *
   * @param ticker the fake time the tasks run on
   * @throws NullPointerException if {@code ticker} is null
   */
  public FakeScheduler(FakeTicker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /**
   * Returns the ticker this scheduler reads and moves; give it to the code under test as its {@link
   * dev.lb.Ticker}.
   *
   * @return the fake ticker
   */
  public FakeTicker ticker() {
    return ticker;
  }

  /**
   * Queues {@code task} to run once the scheduler is advanced to {@code delayNanos} past the
   * ticker's current reading.
   *
   * @param task what to run
   * @param delayNanos how long from now, in nanoseconds; zero or less means due at once (it still
   *     waits for the next {@link #advance} or {@link #runDue})
   * @return a handle whose {@code cancel()} removes the task if it has not started, returning true
   *     only for the call that removed it
   * @throws NullPointerException if {@code task} is null
   */
  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    Objects.requireNonNull(task, "task");
    long now = ticker.read();
    Task t;
    synchronized (this) {
      long due = delayNanos <= 0 ? now : saturatedAdd(now, delayNanos);
      t = new Task(task, due, seq++);
      queue.add(t);
    }
    return () -> {
      synchronized (FakeScheduler.this) {
        return queue.remove(t);
      }
    };
  }

  /**
   * Moves time forward by {@code duration}, running every task that falls due on the way at its due
   * time (see the class description for the exact order).
   *
   * @param duration how far to move; zero or positive
   * @return this scheduler
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is negative
   * @throws RuntimeException whatever a task threw; the ticker is then at that task's due time
   */
  public FakeScheduler advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException(
          "duration must not be negative (time never goes backwards) but was " + duration);
    }
    return advanceNanos(duration.toNanos());
  }

  /**
   * Moves time forward by {@code millis} milliseconds, as {@link #advance(Duration)} does.
   *
   * @param millis how far to move, in milliseconds; zero or positive
   * @return this scheduler
   * @throws IllegalArgumentException if {@code millis} is negative
   */
  public FakeScheduler advanceMillis(long millis) {
    FakeTicker.checkNotNegative(millis, "millis");
    return advanceNanos(Math.multiplyExact(millis, 1_000_000L));
  }

  /**
   * Runs the tasks already due, at the ticker's current reading, without moving time: {@code
   * advance(Duration.ZERO)}.
   *
   * @return this scheduler
   */
  public FakeScheduler runDue() {
    return advanceNanos(0);
  }

  /**
   * Returns how many tasks wait to run: scheduled, not yet run and not cancelled.
   *
   * @return the number of queued tasks
   */
  public synchronized int pending() {
    return queue.size();
  }

  /**
   * Returns how long until the earliest queued task falls due, measured from the ticker's current
   * reading: zero if one is already due, empty if nothing is queued. Useful to step exactly to the
   * next timer ({@code scheduler.advance(scheduler.nextDue().orElseThrow())}).
   *
   * @return the delay until the next task, or empty
   */
  public synchronized Optional<Duration> nextDue() {
    Task next = queue.peek();
    if (next == null) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(Math.max(0, next.due - ticker.read())));
  }

  @Override
  public synchronized String toString() {
    return "FakeScheduler{" + queue.size() + " pending, " + ticker + "}";
  }

  private FakeScheduler advanceNanos(long nanos) {
    synchronized (advancing) {
      long end = saturatedAdd(ticker.read(), nanos);
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
          ticker.advanceNanos(next.due - now);
        }
        next.task.run();
      }
      long now = ticker.read();
      if (end > now) {
        ticker.advanceNanos(end - now);
      }
      return this;
    }
  }

  /** {@code a + b} for {@code b >= 0}, capped: a huge delay means "never", not "in the past". */
  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < a ? Long.MAX_VALUE : sum;
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
