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
  private final long periodNanos;

  // Guarded by the update lock.
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

  void close() {
    closed = true;
    UpdatePath.cancel(task);
    task = null;
  }

  private void schedule() {
    if (!closed) {
      task =
          updates
              .timers()
              .schedule(
                  () ->
                      updates.run(
                          () -> {
                            refresh();
                            schedule();
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
