package dev.lb.okhttp;

import java.util.Set;

/**
 * Whether an attempt that failed may be tried again on another endpoint: the retry policy plus the
 * {@link RetryBudget}, in one place so that lb-core's {@code dev.lb.retry} (policy, backoff and
 * budget) can replace it when it lands.
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>never more than {@code maxAttempts} attempts in all;
 *   <li>never after a one-shot request body started to be written: it cannot be sent again;
 *   <li>a failure before the request was sent ({@link IoErrors.Kind#CONNECT}) may be retried for
 *       any method, since the endpoint never saw it;
 *   <li>anything else (timeouts, other I/O errors, the retryable statuses, 502/503/504 by default)
 *       only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS, TRACE), or for every method
 *       when {@code retryNonIdempotent} is set;
 *   <li>and only if the retry budget has a retry to spare.
 * </ol>
 *
 * <p>Immutable configuration with a thread-safe budget; shared by every call to one service.
 */
final class RetryDecider {
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

  private final int maxAttempts;
  private final boolean retryNonIdempotent;
  private final boolean[] retryStatus;
  private final RetryBudget budget;

  RetryDecider(
      int maxAttempts, boolean retryNonIdempotent, boolean[] retryStatus, RetryBudget budget) {
    this.maxAttempts = maxAttempts;
    this.retryNonIdempotent = retryNonIdempotent;
    this.retryStatus = retryStatus.clone();
    this.budget = budget;
  }

  static boolean isIdempotent(String method) {
    return IDEMPOTENT.contains(method);
  }

  /** Counts a new call towards the budget; once per call, before its first attempt. */
  void onCall() {
    budget.deposit();
  }

  boolean isRetryableStatus(int code) {
    return code >= 0 && code < retryStatus.length && retryStatus[code];
  }

  /**
   * Decides after a failed attempt.
   *
   * @param attempts attempts made so far, this one included
   * @param sentBeforeFailure false only if the request provably never left ({@link
   *     IoErrors.Kind#CONNECT})
   * @param idempotent whether the call's method is idempotent
   * @param oneShotBodyWritten whether a one-shot body has started to be written
   */
  boolean shouldRetry(
      int attempts, boolean sentBeforeFailure, boolean idempotent, boolean oneShotBodyWritten) {
    if (attempts >= maxAttempts || oneShotBodyWritten) {
      return false;
    }
    if (sentBeforeFailure && !idempotent && !retryNonIdempotent) {
      return false;
    }
    return budget.tryWithdraw();
  }
}
