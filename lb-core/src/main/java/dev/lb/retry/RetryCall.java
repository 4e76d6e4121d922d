package dev.lb.retry;

import static dev.lb.internal.Checks.checkNotNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The retry bookkeeping of one call: the attempts made, the endpoints they went to, and the
 * previous backoff. It answers, after each failure, whether to retry, after how long, and which
 * endpoints to avoid.
 *
 * <p>Made by {@link RetryPolicy#newCall(boolean)}. Not thread-safe: one call's attempts are
 * sequential, so use it from the thread, or the chain of callbacks, that drives the call.
 */
public final class RetryCall {
  private final RetryPolicy policy;
  private final boolean idempotent;
  private final List<String> tried = new ArrayList<>(4);
  private int attempts;
  private long previousDelayNanos;

  RetryCall(RetryPolicy policy, boolean idempotent) {
    this.policy = policy;
    this.idempotent = idempotent;
  }

  /**
   * Records that an attempt is about to be sent to the endpoint with this id.
   *
   * @param endpointId the id of the endpoint the attempt goes to
   * @throws NullPointerException if {@code endpointId} is null
   * @throws IllegalStateException if every attempt the policy allows was already made
   */
  public void onAttempt(String endpointId) {
    checkNotNull(endpointId, "endpointId");
    if (attempts >= policy.maxAttempts()) {
      throw new IllegalStateException(
          "attempt " + (attempts + 1) + " exceeds maxAttempts " + policy.maxAttempts());
    }
    attempts++;
    if (!tried.contains(endpointId)) {
      tried.add(endpointId);
    }
  }

  /**
   * Decides what to do after the last attempt failed. A retry is granted only if the failure is
   * retryable for this request, an attempt is left, and the budget allows it (checked last, so that
   * only real retries draw from the budget).
   *
   * @param kind how the attempt failed
   * @return retry after a delay, or give up with the reason
   * @throws NullPointerException if {@code kind} is null
   */
  public RetryDecision onFailure(FailureKind kind) {
    checkNotNull(kind, "kind");
    if (!policy.isRetryable(kind, idempotent)) {
      return RetryDecision.giveUp(RetryDecision.Outcome.NOT_RETRYABLE);
    }
    if (attempts >= policy.maxAttempts()) {
      return RetryDecision.giveUp(RetryDecision.Outcome.ATTEMPTS_EXHAUSTED);
    }
    if (!policy.budget().tryWithdraw()) {
      return RetryDecision.giveUp(RetryDecision.Outcome.BUDGET_EXHAUSTED);
    }
    long delay =
        Math.max(0, policy.backoff().delayNanos(Math.max(1, attempts), previousDelayNanos));
    previousDelayNanos = delay;
    return RetryDecision.retryAfter(delay);
  }

  /**
   * Whether an attempt of this call already went to the endpoint with this id; a balancer skips
   * such endpoints while others are available.
   *
   * @param endpointId an endpoint id
   * @return true if it was tried
   */
  public boolean hasTried(String endpointId) {
    return tried.contains(endpointId);
  }

  /**
   * The ids of the endpoints tried so far, in the order first tried.
   *
   * @return an unmodifiable view, updated as attempts are made
   */
  public List<String> triedEndpointIds() {
    return Collections.unmodifiableList(tried);
  }

  /**
   * The attempts made so far.
   *
   * @return 0 before the first {@link #onAttempt}
   */
  public int attempts() {
    return attempts;
  }

  /**
   * Whether the request was declared idempotent.
   *
   * @return the flag given to {@link RetryPolicy#newCall(boolean)}
   */
  public boolean idempotent() {
    return idempotent;
  }

  @Override
  public String toString() {
    return "RetryCall{attempts=" + attempts + ", tried=" + tried + '}';
  }
}
