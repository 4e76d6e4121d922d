package dev.lb.discovery;

import dev.lb.Endpoint;
import java.util.List;

/**
 * Told what a {@link DiscoveryBinding} does with what its source delivers: an update applied, a
 * failure (the last good set kept), a recovery. Every method does nothing by default, so new events
 * never break existing listeners; override what you need.
 *
 * <p>Methods are called after the binding's state has changed, by the thread that delivered the
 * result, never while a lock is held, one at a time per binding. They must be fast, must not block
 * and should not throw: an exception is logged and otherwise ignored.
 */
public abstract class DiscoveryListener {
  /** A listener that ignores every event. */
  public static final DiscoveryListener NONE = new DiscoveryListener() {};

  /** Creates a listener; subclasses override the events they care about. */
  protected DiscoveryListener() {}

  /**
   * A set from the source was applied.
   *
   * @param status the binding's status after the update
   * @param endpoints the set now in use
   * @param changed whether it differs from the set in use before (a refresh that found the same
   *     endpoints is reported with false)
   */
  public void onUpdated(DiscoveryStatus status, List<Endpoint> endpoints, boolean changed) {}

  /**
   * The source failed to refresh, or delivered a set that was rejected; the last good set stays in
   * use.
   *
   * @param status the binding's status after the failure, with {@link
   *     DiscoveryStatus#consecutiveFailures()} counting this one
   * @param error why
   * @param kept the last good set, still in use; empty if the source has never succeeded
   */
  public void onFailed(DiscoveryStatus status, Throwable error, List<Endpoint> kept) {}

  /**
   * The source succeeded again after one or more failures; called just before {@link #onUpdated}
   * for the same update.
   *
   * @param status the binding's status after the recovery
   * @param failedAttempts how many consecutive failures preceded this success
   */
  public void onRecovered(DiscoveryStatus status, int failedAttempts) {}
}
