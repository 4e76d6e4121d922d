package dev.lb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One call's claim on the endpoint {@link LoadBalancer#pick picked} for it. The caller reports the
 * call's outcome on the lease exactly once: {@link #onSuccess}, {@link #onFailure} or {@link
 * #onCancel}. The report releases the call from the endpoint's in-flight count and feeds its
 * latency and throughput statistics, which load-aware strategies rank endpoints by.
 *
 * <p>Only the first report counts; later ones are ignored and return false, so racing completion
 * paths (a response and a timeout, say) can both report safely. A lease that is never reported
 * leaves its call counted in flight forever: report {@link #onCancel} when a call is abandoned.
 *
 * <pre>{@code
 * Lease lease = balancer.pick();
 * long start = System.nanoTime();
 * try {
 *   Response r = send(lease.endpoint(), request);
 *   lease.onSuccess(System.nanoTime() - start, r.bodyLength());
 * } catch (IOException e) {
 *   lease.onFailure(System.nanoTime() - start, e);
 *   throw e;
 * }
 * }</pre>
 *
 * <p>Latency is measured by the caller, who knows what to include (connection setup, queueing);
 * reading a clock on every pick would cost more than the pick itself.
 *
 * <p>Thread-safe: any thread may report, and reports may race. A lease is one small object (the
 * endpoint, its live state, the breaker phase that admitted it and a flag) and reporting is
 * lock-free. Cancelling gives back only what the call took: a half-open breaker's probe only if
 * this call was that probe.
 */
public final class Lease {
  private static final VarHandle REPORTED;

  static {
    try {
      REPORTED = MethodHandles.lookup().findVarHandle(Lease.class, "reported", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Endpoint endpoint;
  private final EndpointState state;

  /**
   * Which breaker phase admitted this call: a cancelled lease gives back only a permission it took
   * (a half-open probe only to the half-open phase that granted it). Read right after the pick's
   * admission, on the same thread; it could name a later phase only if the breaker opened and its
   * whole open wait elapsed between those two steps.
   */
  private final long permitEpoch;

  @SuppressWarnings("unused") // accessed through REPORTED
  private volatile boolean reported;

  Lease(EndpointState state) {
    this.state = state;
    this.endpoint = state.endpoint();
    this.permitEpoch = state.permitEpoch();
  }

  /**
   * The endpoint this call goes to, as configured when it was picked.
   *
   * @return the endpoint picked for this call; later membership changes do not alter it
   */
  public Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Returns true once an outcome has been reported.
   *
   * @return true if {@link #onSuccess}, {@link #onFailure} or {@link #onCancel} has been called on
   *     this lease, false while the call still counts as in flight
   */
  public boolean isReported() {
    return reported;
  }

  /**
   * Reports that the call succeeded after {@code latencyNanos}.
   *
   * @param latencyNanos how long the call took, in nanoseconds, as measured by the caller; must not
   *     be negative
   * @return true if this was the lease's first report, false if it was ignored
   * @throws IllegalArgumentException if {@code latencyNanos} is negative (after the outcome has
   *     been recorded, so counters stay right)
   */
  public boolean onSuccess(long latencyNanos) {
    return onSuccess(latencyNanos, 0L);
  }

  /**
   * Reports that the call succeeded after {@code latencyNanos} and received {@code responseBytes}
   * bytes, which feed the endpoint's throughput (used by the least-bandwidth strategy).
   *
   * @param latencyNanos how long the call took, in nanoseconds, as measured by the caller; must not
   *     be negative
   * @param responseBytes the size of the response received, in bytes; must not be negative
   * @return true if this was the lease's first report, false if it was ignored
   * @throws IllegalArgumentException if either argument is negative (after the outcome has been
   *     recorded, with the bad value left out, so counters stay right)
   */
  public boolean onSuccess(long latencyNanos, long responseBytes) {
    if (!claim()) {
      return false;
    }
    state.onSuccess(latencyNanos, Math.max(0L, responseBytes));
    CallListener[] listeners = state.callListeners().current();
    if (listeners.length != 0) {
      CallListeners.success(listeners, endpoint, latencyNanos, Math.max(0L, responseBytes));
    }
    checkNotNegative(latencyNanos, "latencyNanos");
    checkNotNegative(responseBytes, "responseBytes");
    return true;
  }

  /**
   * Reports that the call failed after {@code latencyNanos}. A failure's latency can raise the
   * endpoint's latency estimates but never lower them: a backend that fails fast must not attract
   * more calls.
   *
   * @param latencyNanos how long the call took until it failed, in nanoseconds, as measured by the
   *     caller; must not be negative
   * @param cause what went wrong, kept as the endpoint's last failure for diagnostics; may be null
   * @return true if this was the lease's first report, false if it was ignored
   * @throws IllegalArgumentException if {@code latencyNanos} is negative (after the outcome has
   *     been recorded, so counters stay right)
   */
  public boolean onFailure(long latencyNanos, @Nullable Throwable cause) {
    if (!claim()) {
      return false;
    }
    state.onFailure(latencyNanos, cause);
    CallListener[] listeners = state.callListeners().current();
    if (listeners.length != 0) {
      CallListeners.failure(listeners, endpoint, latencyNanos, cause);
    }
    checkNotNegative(latencyNanos, "latencyNanos");
    return true;
  }

  /**
   * Reports that the call succeeded without giving a latency sample: it counts as a success and
   * leaves the latency estimates alone. For calls whose duration says nothing about the endpoint's
   * speed, such as long-lived streams or long polls.
   *
   * @param responseBytes the size of the response received, in bytes; must not be negative
   * @return true if this was the lease's first report, false if it was ignored
   * @throws IllegalArgumentException if {@code responseBytes} is negative (after the outcome has
   *     been recorded, with the bad value left out, so counters stay right)
   */
  public boolean onSuccessUntimed(long responseBytes) {
    if (!claim()) {
      return false;
    }
    // A negative latency is EndpointState's "no sample".
    state.onSuccess(-1L, Math.max(0L, responseBytes));
    CallListener[] listeners = state.callListeners().current();
    if (listeners.length != 0) {
      CallListeners.successUntimed(listeners, endpoint, Math.max(0L, responseBytes));
    }
    checkNotNegative(responseBytes, "responseBytes");
    return true;
  }

  /**
   * Reports that the call failed without giving a latency sample: it counts as a failure (failure
   * streak, penalty, outlier detection, breaker) and leaves the latency estimates alone.
   *
   * @param cause what went wrong, kept as the endpoint's last failure for diagnostics; may be null
   * @return true if this was the lease's first report, false if it was ignored
   */
  public boolean onFailureUntimed(@Nullable Throwable cause) {
    if (!claim()) {
      return false;
    }
    state.onFailure(-1L, cause);
    CallListener[] listeners = state.callListeners().current();
    if (listeners.length != 0) {
      CallListeners.failureUntimed(listeners, endpoint, cause);
    }
    return true;
  }

  /**
   * Reports that the call was abandoned before it had an outcome (cancelled by the caller, or never
   * sent). It stops counting as in flight and leaves latency statistics alone.
   *
   * @return true if this was the lease's first report, false if it was ignored
   */
  public boolean onCancel() {
    if (!claim()) {
      return false;
    }
    state.onCancel(permitEpoch);
    CallListener[] listeners = state.callListeners().current();
    if (listeners.length != 0) {
      CallListeners.cancel(listeners, endpoint);
    }
    return true;
  }

  /**
   * Hands the balancer the load report the backend sent with this call (an ORCA header or trailer):
   * it becomes the endpoint's {@linkplain dev.lb.strategy.LiveEndpoint#loadReport() latest report},
   * stamped with the balancer's clock, for strategies that weight by reported load and for {@link
   * EndpointStats#loadReport()}. May be called before the outcome is reported or after it, any
   * number of times (each report replaces the previous one); it does not report the outcome.
   * Lock-free: one clock read and one small copy.
   *
   * @param report the backend's report; must not be null
   * @throws NullPointerException if {@code report} is null
   */
  public void onLoadReport(LoadReport report) {
    state.onLoadReport(dev.lb.internal.Checks.checkNotNull(report, "report"));
  }

  private boolean claim() {
    return !reported && REPORTED.compareAndSet(this, false, true);
  }

  private static void checkNotNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(
          name + " must not be negative but was " + value + " (outcome recorded without it)");
    }
  }

  @Override
  public String toString() {
    return "Lease{" + endpoint.id() + (reported ? ", reported" : "") + "}";
  }
}
