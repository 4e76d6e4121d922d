package dev.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The balancer's one serialized path for state changes, and the delivery of the events they raise.
 *
 * <p>Every change runs under one lock that picking never takes. A change marks the routing dirty
 * when it touched anything routing depends on; the new snapshot is published before the lock is
 * released, so a change is visible to every pick that starts after the call that made it returned.
 * Events raised during a change are queued and delivered after unlocking, by the thread that made
 * the change, so listeners may call back into the balancer.
 *
 * <p>Signals from the lease path ({@link #later}) never wait for the lock: they run at once if it
 * is free and otherwise from a scheduler task; with a state executor, everything runs there.
 */
final class UpdatePath {
  private static final System.Logger LOGGER = System.getLogger(LoadBalancer.class.getName());

  private final String name;

  /** Copied on write: read without the lock by {@link #deliverNow}, changed under it. */
  private volatile List<LoadBalancerListener> listeners;

  private final @Nullable Executor stateExecutor;
  private final Scheduler timers;
  private final ReentrantLock lock = new ReentrantLock();

  // Guarded by lock.
  private List<Runnable> events = new ArrayList<>();
  private boolean dirty;
  private @Nullable Runnable publisher;
  private @Nullable Consumer<LoadBalancerListener> lastEvent;

  UpdatePath(
      String name,
      List<LoadBalancerListener> listeners,
      Scheduler scheduler,
      @Nullable Executor stateExecutor) {
    this.name = name;
    this.listeners = List.copyOf(listeners);
    this.stateExecutor = stateExecutor;
    this.timers = stateExecutor == null ? scheduler : onExecutor(scheduler, stateExecutor);
  }

  /** Sets what publishes a new snapshot when a change left the routing dirty. */
  void publisher(Runnable publisher) {
    this.publisher = publisher;
  }

  /** The scheduler whose tasks run where state changes run (the state executor, if any). */
  Scheduler timers() {
    return timers;
  }

  boolean hasListeners() {
    return !listeners.isEmpty();
  }

  /** Adds a listener; it hears the events of changes that start after this returns. */
  void addListener(LoadBalancerListener listener) {
    lock.lock();
    try {
      List<LoadBalancerListener> next = new ArrayList<>(listeners);
      next.add(listener);
      listeners = List.copyOf(next);
    } finally {
      lock.unlock();
    }
  }

  /** Removes the first registration of a listener. */
  boolean removeListener(LoadBalancerListener listener) {
    lock.lock();
    try {
      List<LoadBalancerListener> next = new ArrayList<>(listeners);
      if (!next.remove(listener)) {
        return false;
      }
      listeners = List.copyOf(next);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Marks the routing as changed: a new snapshot is published before the lock is released. */
  void markDirty() {
    dirty = true;
  }

  /**
   * Runs {@code change} under the lock, publishes a new snapshot if it left the routing dirty,
   * then, after unlocking, delivers the events it raised.
   */
  <T> T locked(Supplier<T> change) {
    lock.lock();
    return runLocked(change);
  }

  /** Runs {@code change} under the lock, for changes with no result. */
  void run(Runnable change) {
    locked(
        () -> {
          change.run();
          return null;
        });
  }

  private <T> T runLocked(Supplier<T> change) {
    List<Runnable> raised;
    T result;
    try {
      try {
        result = change.get();
      } finally {
        if (dirty) {
          dirty = false;
          Runnable p = publisher;
          if (p != null) {
            p.run();
          }
        }
      }
    } finally {
      Consumer<LoadBalancerListener> last = lastEvent;
      if (last != null) {
        lastEvent = null;
        emit(last);
      }
      // Hand the raised events over and start a fresh list; never iterate the live list after
      // unlocking, since the next holder of the lock appends to it.
      if (events.isEmpty()) {
        raised = List.of();
      } else {
        raised = events;
        events = new ArrayList<>();
      }
      lock.unlock();
    }
    for (Runnable event : raised) {
      runGuarded(event);
    }
    return result;
  }

  /**
   * Runs {@code change} on the serialized path for a signal from the lease path: on the state
   * executor if there is one; otherwise at once if the lock is free (so an ejection takes effect
   * before the caller's next pick), else from a scheduler task, so that reporting never waits.
   */
  void later(Runnable change) {
    Supplier<@Nullable Void> body =
        () -> {
          change.run();
          return null;
        };
    Executor executor = stateExecutor;
    if (executor != null) {
      executor.execute(() -> locked(body));
      return;
    }
    if (lock.tryLock()) {
      runLocked(body);
    } else {
      timers.schedule(() -> locked(body), 0);
    }
  }

  /** Runs {@code work} on the state executor if there is one, else at once on this thread. */
  void onStatePath(Runnable work) {
    Executor executor = stateExecutor;
    if (executor == null) {
      work.run();
    } else {
      executor.execute(work);
    }
  }

  /** Queues an event for every listener, delivered after the change that raised it. */
  void emit(Consumer<LoadBalancerListener> event) {
    for (LoadBalancerListener l : listeners) {
      events.add(() -> event.accept(l));
    }
  }

  /**
   * Queues an event for every listener, delivered after every other event of the change (at most
   * once per listener per change, however often it is queued).
   */
  void emitLast(Consumer<LoadBalancerListener> event) {
    lastEvent = event;
  }

  /** Queues work to run after unlocking, such as completing a future callers wait on. */
  void afterUnlock(Runnable work) {
    events.add(work);
  }

  /** Delivers an event now, on this thread: for signals that change no balancer state. */
  void deliverNow(Consumer<LoadBalancerListener> event) {
    for (LoadBalancerListener l : listeners) {
      runGuarded(() -> event.accept(l));
    }
  }

  /** Runs one event delivery; a listener that throws is logged, never allowed to escape. */
  private void runGuarded(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      LOGGER.log(System.Logger.Level.WARNING, "listener of balancer '" + name + "' threw", e);
    }
  }

  static void cancel(Scheduler.@Nullable Cancellable task) {
    if (task != null) {
      task.cancel();
    }
  }

  /**
   * Timers whose tasks run on {@code executor}: the timer thread only hands the task over. A task
   * cancelled after it was handed over does not run.
   */
  private static Scheduler onExecutor(Scheduler timers, Executor executor) {
    return (task, delayNanos) -> {
      AtomicBoolean claimed = new AtomicBoolean(); // by the task when it runs, or by cancel
      Scheduler.Cancellable timer =
          timers.schedule(
              () ->
                  executor.execute(
                      () -> {
                        if (claimed.compareAndSet(false, true)) {
                          task.run();
                        }
                      }),
              delayNanos);
      return () -> {
        timer.cancel();
        return claimed.compareAndSet(false, true);
      };
    };
  }
}
