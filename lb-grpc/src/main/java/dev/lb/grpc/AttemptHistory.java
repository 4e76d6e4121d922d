package dev.lb.grpc;

import dev.lb.PickContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The endpoints the attempts of one gRPC call have used, so that a retry or a hedged attempt is
 * picked elsewhere. gRPC hands every attempt of a call the call's own call options, so an object
 * put there by {@link LbCallOptions#avoidPreviousEndpoints()} is shared by all of them (and by
 * nothing else): an attempt's endpoint is added when its stream starts, and each later pick
 * excludes what is here.
 *
 * <p>Thread-safe: hedged attempts start and pick concurrently, on the caller's and transport
 * threads.
 */
final class AttemptHistory {
  // A call makes a handful of attempts at most (gRPC caps maxAttempts at 5).
  private final Set<String> used = ConcurrentHashMap.newKeySet(4);
  private final AtomicInteger attempts = new AtomicInteger();

  /**
   * An attempt's stream started on this endpoint.
   *
   * @return the attempt's number in its call, from 1
   */
  int add(String endpointId) {
    used.add(endpointId);
    return attempts.incrementAndGet();
  }

  boolean isEmpty() {
    return used.isEmpty();
  }

  /** {@code context} with every endpoint an earlier attempt used excluded as well. */
  PickContext exclude(PickContext context) {
    PickContext.Builder builder = context.toBuilder();
    for (String id : used) {
      builder.exclude(id);
    }
    return builder.build();
  }

  @Override
  public String toString() {
    return "AttemptHistory" + used;
  }
}
