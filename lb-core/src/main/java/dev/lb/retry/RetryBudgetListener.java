package dev.lb.retry;

/**
 * Receives a retry budget's events. Every method does nothing by default, so new events never break
 * existing listeners: override only what you need.
 *
 * <p>Methods are called by the thread that caused the event, never while a lock is held. They must
 * be fast, must not block and should not throw; an exception is caught and logged and does not
 * affect the budget.
 */
public abstract class RetryBudgetListener {
  /** A listener that ignores every event. */
  public static final RetryBudgetListener NONE = new RetryBudgetListener() {};

  /** Creates a listener whose methods all do nothing. */
  protected RetryBudgetListener() {}

  /**
   * Called when the budget refuses a retry after it last allowed one (or for the first time): once
   * per exhaustion, not once per refused retry.
   *
   * @param budget the exhausted budget
   */
  public void onExhausted(RetryBudget budget) {}

  /**
   * Called when an exhausted budget allows a retry again.
   *
   * @param budget the replenished budget
   */
  public void onReplenished(RetryBudget budget) {}
}
