package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks later, off the caller's thread: health checks, ejection expiry, slow-start steps,
 * drain timeouts, discovery refreshes. Together with {@link Ticker} it is how lb-core tells time,
 * so tests substitute a fake scheduler driven by a fake ticker and advance time instead of
 * sleeping.
 *
 * <p>Implementations must be thread-safe. Tasks must be short and must not block: they run on a
 * shared thread. A task that throws does not stop later tasks.
 */
@FunctionalInterface
public interface Scheduler {
  /**
   * Schedules {@code task} to run once, {@code delayNanos} from now.
   *
   * @param task what to run; must not be null
   * @param delayNanos how long to wait first, in nanoseconds; 0 or less runs it as soon as possible
   * @return a handle that cancels the task if it has not started yet
   */
  Cancellable schedule(Runnable task, long delayNanos);

  /**
   * The shared scheduler lb-core uses by default: one daemon thread named {@code lb-scheduler},
   * started on first use.
   *
   * @return the process-wide default scheduler
   */
  static Scheduler systemScheduler() {
    return SystemScheduler.INSTANCE;
  }

  /**
   * Adapts an executor the application already runs; lb-core never shuts it down.
   *
   * @param executor the executor to schedule on; must not be null
   * @return a scheduler that submits to {@code executor}; its {@code schedule} throws {@link
   *     NullPointerException} if the task is null
   * @throws NullPointerException if {@code executor} is null
   */
  static Scheduler of(ScheduledExecutorService executor) {
    checkNotNull(executor, "executor");
    return (task, delayNanos) -> {
      ScheduledFuture<?> f =
          executor.schedule(new Guarded(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    };
  }

  /** A handle on a scheduled task. */
  @FunctionalInterface
  interface Cancellable {
    /**
     * Cancels the task unless it has started; does nothing if it has.
     *
     * @return true if this call stopped the task from running
     */
    boolean cancel();
  }
}

/** Keeps one task's exception from killing the executor's thread or its periodic siblings. */
final class Guarded implements Runnable {
  private static final System.Logger LOGGER = System.getLogger(Scheduler.class.getName());
  private final Runnable task;

  Guarded(Runnable task) {
    this.task = checkNotNull(task, "task");
  }

  @Override
  public void run() {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      LOGGER.log(System.Logger.Level.WARNING, "scheduled task " + task + " failed", e);
    }
  }
}

final class SystemScheduler {
  static final Scheduler INSTANCE =
      Scheduler.of(
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "lb-scheduler");
                t.setDaemon(true);
                return t;
              }));

  private SystemScheduler() {}
}
