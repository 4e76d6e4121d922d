/**
 * lb-core: the load balancer. Endpoints and membership, selection strategies and live per-endpoint
 * statistics, with no dependency beyond the JDK.
 *
 * <p>{@code dev.lb} holds what every user touches ({@link dev.lb.LoadBalancer}, {@link
 * dev.lb.Endpoint}, {@link dev.lb.Lease}); {@code dev.lb.strategy} holds the selection strategies
 * and the SPI for writing one. {@code dev.lb.internal} is not exported.
 */
module dev.lb.core {
  requires static transitive org.jspecify;

  exports dev.lb;
  exports dev.lb.strategy;
  exports dev.lb.health;
  exports dev.lb.breaker;
  exports dev.lb.limit;
  exports dev.lb.retry;
}
