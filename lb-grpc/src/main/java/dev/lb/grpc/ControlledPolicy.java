package dev.lb.grpc;

import dev.lb.BalancerStats;
import dev.lb.health.DrainResult;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/** What {@link LbControl} asks of one live policy; every method is callable from any thread. */
interface ControlledPolicy {
  /** The balancer's statistics, or null before the policy's first addresses. */
  @Nullable BalancerStats stats();

  /** True if the policy's balancer has a member with this id. */
  boolean hasEndpoint(String endpointId);

  /** Drains the member; see {@link dev.lb.LoadBalancer#drain}. */
  CompletionStage<DrainResult> drain(String endpointId, Duration timeout);

  /** Disables the member; true if it was not disabled already. */
  boolean disable(String endpointId);

  /** Enables the member; true if it was disabled or draining. */
  boolean enable(String endpointId);
}
