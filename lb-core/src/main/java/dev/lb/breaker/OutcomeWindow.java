package dev.lb.breaker;

/**
 * A sliding window of call outcomes with running totals, the part of a closed breaker that decides
 * when to open. Outcomes are small bit sets: {@link #RECORDED} plus {@link #FAILED} and {@link
 * #SLOW} as they apply.
 *
 * <p>Thread-safe and lock-free; recording allocates nothing. The totals are updated by atomic adds
 * after the outcome is stored, so a reader may see them off by the outcomes of threads still in
 * {@link #record} (at most one per such thread); once recording threads are done, the totals equal
 * the window's contents exactly.
 */
abstract class OutcomeWindow {
  static final int RECORDED = 1;
  static final int FAILED = 2;
  static final int SLOW = 4;

  /**
   * Adds one outcome.
   *
   * @param outcome {@link #RECORDED}, plus {@link #FAILED} and {@link #SLOW} as they apply
   */
  abstract void record(int outcome);

  /** Calls in the window. */
  abstract int calls();

  /** Failed calls in the window. */
  abstract int failures();

  /** Slow calls (successful or failed) in the window. */
  abstract int slowCalls();

  /** The fewest calls a rate is judged on, for this window. */
  abstract int minimumCalls();

  /** Drops outcomes that have aged out by now (time-based windows only). */
  void expire() {}

  static int outcome(boolean failed, boolean slow) {
    return RECORDED | (failed ? FAILED : 0) | (slow ? SLOW : 0);
  }
}
