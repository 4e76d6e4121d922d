package dev.lb.spring;

import dev.lb.LoadBalancer;

/**
 * Adjusts a service's {@link LoadBalancer.Builder} after its properties were applied and before it
 * is built: the place for what is code rather than configuration (a listener, a health checker, a
 * ticker, a custom strategy). Every bean of this type is applied to every service, in the beans'
 * order ({@code @Order}). A metrics binder that wants a listener on each balancer hooks in here;
 * one that only reads {@link LoadBalancer#stats()} takes the {@link LoadBalancers} bean.
 *
 * <p>Called once per service, on the thread that creates the {@link LoadBalancers} bean.
 */
@FunctionalInterface
public interface LoadBalancerCustomizer {
  /**
   * Adjusts one service's builder.
   *
   * @param serviceName the service's name, the key under {@code lb.services}
   * @param builder the builder, with the service's properties applied
   */
  void customize(String serviceName, LoadBalancer.Builder builder);
}
