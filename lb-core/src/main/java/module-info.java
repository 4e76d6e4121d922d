/**
 * lb-core: the load balancer. Endpoints and membership, selection strategies and live per-endpoint
 * statistics, with no dependency beyond the JDK.
 *
 * <p>{@code dev.lb} holds what every user touches ({@link dev.lb.LoadBalancer}, {@link
 * dev.lb.Endpoint}, {@link dev.lb.Lease}); {@code dev.lb.strategy} holds the selection strategies
 * and the SPI for writing one; {@code dev.lb.hash} the consistent-hashing strategies and sticky
 * sessions; {@code dev.lb.health} the health-check SPI and health configuration; {@code
 * dev.lb.discovery} feeds membership from DNS, files or any other {@link
 * dev.lb.discovery.EndpointSource}. {@code dev.lb.internal} is not exported.
 */
module dev.lb.core {
  requires static transitive org.jspecify;
  // JNDI, for DNS queries that bypass the JDK resolver cache; the jdk.naming.dns provider is found
  // at run time (jlink users add it with --add-modules jdk.naming.dns).
  requires java.naming;

  exports dev.lb;
  exports dev.lb.strategy;
  exports dev.lb.probe;
  exports dev.lb.health;
  exports dev.lb.hash;
  exports dev.lb.discovery;
  exports dev.lb.breaker;
  exports dev.lb.limit;
  exports dev.lb.retry;
  exports dev.lb.subset;
}
