/**
 * Retry decisions for adapters: which failures may be retried ({@link dev.lb.retry.FailureKind}),
 * how many attempts and on which endpoints ({@link dev.lb.retry.RetryPolicy}, {@link
 * dev.lb.retry.RetryCall}), how long to wait ({@link dev.lb.retry.Backoff}), and how many retries a
 * whole client may add to its load ({@link dev.lb.retry.RetryBudget}).
 *
 * <p>Nothing here sends or waits: an adapter maps its transport's failures onto {@link
 * dev.lb.retry.FailureKind}, asks its {@link dev.lb.retry.RetryCall} what to do, and waits and
 * re-picks itself.
 */
@NullMarked
package dev.lb.retry;

import org.jspecify.annotations.NullMarked;
