package dev.lb.okhttp;

import dev.lb.Ticker;

/**
 * Caps retries at a share of recent requests, so that retries cannot multiply the load on a service
 * that is already failing.
 *
 * <p>Design note: this follows Finagle's {@code RetryBudget} ({@code
 * com.twitter.finagle.service.RetryBudget}): every request deposits {@code percentCanRetry} of a
 * retry, every retry withdraws one, deposits expire after {@code ttl}, and a reserve of {@code
 * minRetriesPerSecond × ttl} lets a quiet service still retry. Finagle's defaults are 20%, 10 per
 * second and 10 seconds. Unlike Finagle's token bucket, expiry is a sliding window of ten buckets
 * ({@link WindowedCounter}).
 *
 * <p>Thread-safe and lock-free. The check and the withdrawal are not one atomic step, so concurrent
 * retries may overdraw the budget by at most the number of threads retrying at once.
 *
 * <p>It lives here, package-private, until lb-core's {@code dev.lb.retry} lands; {@link
 * RetryDecider} is the one place that uses it.
 */
final class RetryBudget {
  private static final int SLOTS = 10;

  private final double percentCanRetry;
  private final double reserve;
  private final WindowedCounter deposits;
  private final WindowedCounter withdrawals;

  RetryBudget(double percentCanRetry, int minRetriesPerSecond, long ttlNanos, Ticker ticker) {
    this.percentCanRetry = percentCanRetry;
    this.reserve = minRetriesPerSecond * (ttlNanos / 1e9);
    this.deposits = new WindowedCounter(ticker, ttlNanos, SLOTS);
    this.withdrawals = new WindowedCounter(ticker, ttlNanos, SLOTS);
  }

  /** Records one request (its first attempt). */
  void deposit() {
    deposits.increment();
  }

  /** Withdraws one retry if the budget allows it. */
  boolean tryWithdraw() {
    double balance = reserve + percentCanRetry * deposits.sum() - withdrawals.sum();
    if (balance < 1.0) {
      return false;
    }
    withdrawals.increment();
    return true;
  }
}
