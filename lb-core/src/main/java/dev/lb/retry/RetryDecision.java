package dev.lb.retry;

import java.time.Duration;

/**
 * What a {@link RetryCall} decided after a failed attempt: retry after a delay, or give up and why.
 * Immutable and thread-safe.
 */
public final class RetryDecision {
  /** Why a call is retried or not. */
  public enum Outcome {
    /** Retry after {@link #delay()}, on an endpoint not yet tried if there is one. */
    RETRY,
    /** The failure is not retryable for this request (see {@link FailureKind}). */
    NOT_RETRYABLE,
    /** The call has used all its attempts. */
    ATTEMPTS_EXHAUSTED,
    /** The client's retry budget refused the retry. */
    BUDGET_EXHAUSTED
  }

  private static final RetryDecision NOT_RETRYABLE = new RetryDecision(Outcome.NOT_RETRYABLE, 0);
  private static final RetryDecision ATTEMPTS_EXHAUSTED =
      new RetryDecision(Outcome.ATTEMPTS_EXHAUSTED, 0);
  private static final RetryDecision BUDGET_EXHAUSTED =
      new RetryDecision(Outcome.BUDGET_EXHAUSTED, 0);

  private final Outcome outcome;
  private final long delayNanos;

  private RetryDecision(Outcome outcome, long delayNanos) {
    this.outcome = outcome;
    this.delayNanos = delayNanos;
  }

  static RetryDecision retryAfter(long delayNanos) {
    return new RetryDecision(Outcome.RETRY, delayNanos);
  }

  static RetryDecision giveUp(Outcome why) {
    return switch (why) {
      case NOT_RETRYABLE -> NOT_RETRYABLE;
      case ATTEMPTS_EXHAUSTED -> ATTEMPTS_EXHAUSTED;
      case BUDGET_EXHAUSTED -> BUDGET_EXHAUSTED;
      case RETRY -> throw new IllegalArgumentException("not a reason to give up: " + why);
    };
  }

  /**
   * Whether to retry.
   *
   * @return true if the outcome is {@link Outcome#RETRY}
   */
  public boolean shouldRetry() {
    return outcome == Outcome.RETRY;
  }

  /**
   * The decision and its reason.
   *
   * @return the outcome
   */
  public Outcome outcome() {
    return outcome;
  }

  /**
   * How long to wait before the retry, in nanoseconds.
   *
   * @return the backoff's delay; 0 unless {@link #shouldRetry()}
   */
  public long delayNanos() {
    return delayNanos;
  }

  /**
   * How long to wait before the retry.
   *
   * @return the backoff's delay; zero unless {@link #shouldRetry()}
   */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  @Override
  public String toString() {
    return shouldRetry() ? "RETRY after " + delay() : outcome.toString();
  }
}
