package dev.lb;

import org.jspecify.annotations.Nullable;

/**
 * Told of every call's outcome as it is reported on its {@link Lease}: for metrics that need each
 * call (a latency timer with percentiles, calls by outcome per endpoint) rather than the counters
 * that {@link LoadBalancer#stats()} already keeps. Register with {@link
 * LoadBalancer#addCallListener}; override the outcomes you need, the others do nothing.
 *
 * <p>Called on the reporting thread, on the lease path, after the outcome was counted and before
 * {@link Lease#onSuccess}, {@link Lease#onFailure} or {@link Lease#onCancel} returns: a method must
 * be fast, must not block and should not allocate much, as it runs once per call. An exception
 * thrown by one is logged through {@link System.Logger} and otherwise ignored. A balancer without
 * call listeners pays one volatile read per report.
 *
 * <pre>{@code
 * balancer.addCallListener(new CallListener() {
 *   @Override public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
 *     timer.record(latencyNanos, TimeUnit.NANOSECONDS);
 *   }
 * });
 * }</pre>
 */
public abstract class CallListener {
  /** Creates a listener; subclasses override the outcomes they need. */
  protected CallListener() {}

  /**
   * A call succeeded.
   *
   * @param endpoint the endpoint the call went to
   * @param latencyNanos how long it took, as the caller measured it
   * @param responseBytes the response's size, 0 if not reported
   */
  public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {}

  /**
   * A call failed.
   *
   * @param endpoint the endpoint the call went to
   * @param latencyNanos how long it took until it failed, as the caller measured it
   * @param cause what went wrong, or null if the caller did not say
   */
  public void onFailure(Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {}

  /**
   * A call succeeded without a latency sample ({@link Lease#onSuccessUntimed}: a long-lived stream,
   * a long poll, a method excluded from latency). Does nothing unless overridden: a listener that
   * counts outcomes overrides it, a latency timer has nothing to record.
   *
   * @param endpoint the endpoint the call went to
   * @param responseBytes the response's size, 0 if not reported
   */
  public void onSuccessUntimed(Endpoint endpoint, long responseBytes) {}

  /**
   * A call failed without a latency sample ({@link Lease#onFailureUntimed}). Does nothing unless
   * overridden.
   *
   * @param endpoint the endpoint the call went to
   * @param cause what went wrong, or null if the caller did not say
   */
  public void onFailureUntimed(Endpoint endpoint, @Nullable Throwable cause) {}

  /**
   * A call was abandoned before it had an outcome.
   *
   * @param endpoint the endpoint the call was picked for
   */
  public void onCancel(Endpoint endpoint) {}
}
