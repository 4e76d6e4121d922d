package dev.lb.grpc;

import dev.lb.BalancerStats;
import dev.lb.health.DrainResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runtime control of the endpoints of every live lb policy of one channel target: drain with a
 * timeout, disable, enable, and read statistics. Obtained from {@link LbChannels#control}.
 *
 * <pre>{@code
 * LbControl users = LbChannels.control("lb:///users");
 * users.drain("10.0.0.1:8080", Duration.ofSeconds(30))
 *     .thenAccept(result -> log.info("drained: {}", result)); // then stop the backend
 * ...
 * users.enable("10.0.0.1:8080"); // back in rotation
 * }</pre>
 *
 * <p>Each operation applies to every live policy of the target (usually one per channel) and to the
 * balancers they build later: a disabled or draining endpoint stays out of rotation when a policy
 * rebuilds its balancer (a changed strategy or balancer option) or the resolver drops and re-adds
 * the endpoint, until {@link #enable}. A channel creates its policy when it first connects (its
 * first call, or {@code getState(true)}), so before that there is nothing to control and the
 * operations throw. Endpoints are named by {@link dev.lb.Endpoint#id()}: {@code host:port} unless
 * the registry gave another id. Thread-safe; the handle holds only the target.
 */
public final class LbControl {
  private final String target;

  LbControl(String target) {
    this.target = target;
  }

  /**
   * The channel target this handle controls.
   *
   * @return the target as given to {@link LbChannels#control}
   */
  public String target() {
    return target;
  }

  /**
   * Drains an endpoint: it takes no new calls, and the returned stage completes when its calls in
   * flight (streams included) have finished, or when {@code timeout} passes first. It stays out of
   * rotation afterwards, until {@link #enable}: drain before a deploy stops the backend.
   *
   * @param endpointId the endpoint's id, such as {@code 10.0.0.1:8080}
   * @param timeout how long to wait for calls in flight; must be positive
   * @return a stage completed with {@link DrainResult#DRAINED} when every policy's calls to it
   *     finished, {@link DrainResult#CANCELLED} if an {@link #enable} cancelled a drain, else
   *     {@link DrainResult#TIMED_OUT}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code timeout} is not positive or no live policy of the
   *     target has that endpoint
   */
  public CompletionStage<DrainResult> drain(String endpointId, Duration timeout) {
    Objects.requireNonNull(endpointId, "endpointId must not be null");
    Objects.requireNonNull(timeout, "timeout must not be null");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive but was " + timeout);
    }
    List<CompletableFuture<DrainResult>> drains = new ArrayList<>();
    for (ControlledPolicy p : policiesWith(endpointId)) {
      drains.add(p.drain(endpointId, timeout).toCompletableFuture());
    }
    return CompletableFuture.allOf(drains.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            unused -> {
              DrainResult combined = DrainResult.DRAINED;
              for (CompletableFuture<DrainResult> d : drains) {
                DrainResult r = d.join();
                if (r == DrainResult.CANCELLED) {
                  return DrainResult.CANCELLED;
                }
                if (r == DrainResult.TIMED_OUT) {
                  combined = DrainResult.TIMED_OUT;
                }
              }
              return combined;
            });
  }

  /**
   * Takes an endpoint out of rotation (no calls, not even in panic mode) until {@link #enable};
   * calls in flight finish normally.
   *
   * @param endpointId the endpoint's id
   * @return true if some policy had it in rotation
   * @throws NullPointerException if {@code endpointId} is null
   * @throws IllegalArgumentException if no live policy of the target has that endpoint
   */
  public boolean disable(String endpointId) {
    boolean changed = false;
    for (ControlledPolicy p : policiesWith(endpointId)) {
      changed |= p.disable(endpointId);
    }
    return changed;
  }

  /**
   * Puts a disabled or draining endpoint back into rotation, cancelling its drain.
   *
   * @param endpointId the endpoint's id
   * @return true if some policy had it disabled or draining
   * @throws NullPointerException if {@code endpointId} is null
   * @throws IllegalArgumentException if no live policy of the target has that endpoint
   */
  public boolean enable(String endpointId) {
    boolean changed = false;
    for (ControlledPolicy p : policiesWith(endpointId)) {
      changed |= p.enable(endpointId);
    }
    return changed;
  }

  /**
   * The statistics of every live policy of the target, as {@link LbChannels#stats}.
   *
   * @return one snapshot per live policy that has received addresses; empty before a channel's
   *     first connection
   */
  public List<BalancerStats> stats() {
    return LbChannels.stats(target);
  }

  private List<ControlledPolicy> policiesWith(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId must not be null");
    List<ControlledPolicy> live = LbChannels.policies(target);
    List<ControlledPolicy> with = new ArrayList<>();
    for (ControlledPolicy p : live) {
      if (p.hasEndpoint(endpointId)) {
        with.add(p);
      }
    }
    if (with.isEmpty()) {
      throw new IllegalArgumentException(
          "no live lb policy of '"
              + target
              + "' has endpoint '"
              + endpointId
              + "' ("
              + live.size()
              + " live policies; a channel creates its policy when it first connects)");
    }
    return with;
  }

  @Override
  public String toString() {
    return "LbControl{" + target + "}";
  }
}
