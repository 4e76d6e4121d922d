package dev.lb;

import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import org.jspecify.annotations.Nullable;

/**
 * The timer of a strategy whose pickers {@linkplain Picker#refresh refresh} on their own (weighted
 * round robin from load reports recomputes its weights): every {@link
 * Strategy#refreshPeriodNanos()} it asks the published picker to refresh, on the serialized path,
 * so a refresh never races the building of the next picker. Pickers built after a refresh read the
 * same live state, so a membership change between two ticks loses nothing. One timer per balancer,
 * cancelled on close.
 */
final class PickerRefresh {
  private final LoadBalancer balancer;
  private final UpdatePath updates;
  private final Ticker ticker;

  // Guarded by the update lock.
  private long periodNanos;
  private int generation;
  private Scheduler.@Nullable Cancellable task;
  private boolean closed;

  PickerRefresh(LoadBalancer balancer, UpdatePath updates, Ticker ticker, Strategy strategy) {
    this.balancer = balancer;
    this.updates = updates;
    this.ticker = ticker;
    this.periodNanos = strategy.refreshPeriodNanos();
  }

  /** Starts the timer if the strategy asks for one; under the update lock. */
  void start() {
    if (periodNanos > 0) {
      schedule();
    }
  }

  /**
   * Follows a strategy switch ({@link SwitchableStrategy}): the timer runs at {@code nextPeriod}
   * from now, or stops if it is 0; under the update lock.
   */
  void restart(long nextPeriodNanos) {
    if (closed) {
      return;
    }
    UpdatePath.cancel(task);
    task = null;
    generation++;
    periodNanos = nextPeriodNanos;
    start();
  }

  void close() {
    closed = true;
    UpdatePath.cancel(task);
    task = null;
  }

  private void schedule() {
    if (!closed) {
      // A timer cancelled by a restart may already be running: its generation tells it to stop.
      int gen = generation;
      task =
          updates
              .timers()
              .schedule(
                  () ->
                      updates.run(
                          () -> {
                            if (gen == generation) {
                              refresh();
                              schedule();
                            }
                          }),
                  periodNanos);
    }
  }

  /** Refreshes the published picker now; the timer's body. */
  void refresh() {
    if (closed) {
      return;
    }
    balancer.snapshot().picker.refresh(ticker.read());
  }
}
