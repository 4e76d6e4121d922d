package dev.lb.spring;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The configuration lb adds to every Spring Cloud LoadBalancer client context (a default
 * configuration, as {@code @LoadBalancerClients(defaultConfiguration = ...)} adds one): in the
 * context of a service that is an lb service, an {@link LbServiceInstanceLoadBalancer} and the
 * lifecycle callback that reports each call's outcome on its lease. A service that is not in {@code
 * lb.services} keeps Spring's defaults, and so does one whose own {@code @LoadBalancerClient}
 * configuration declares a {@link ReactorLoadBalancer}.
 *
 * <p>Registered by {@link LbAutoConfiguration}; not meant to be imported by hand.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(LbLoadBalancerClientConfiguration.OnLbService.class)
public class LbLoadBalancerClientConfiguration {
  /** Created by Spring in each client context. */
  public LbLoadBalancerClientConfiguration() {}

  /**
   * The bridge for this context's service.
   *
   * @param environment the client context's environment, which names the service
   * @param balancers the application's balancers
   * @param suppliers Spring's instance lists, followed for {@link DiscoverySource#SPRING_CLOUD}
   * @return the bridge
   */
  @Bean
  @ConditionalOnMissingBean(ReactorLoadBalancer.class)
  public LbServiceInstanceLoadBalancer lbServiceInstanceLoadBalancer(
      Environment environment,
      LoadBalancers balancers,
      ObjectProvider<ServiceInstanceListSupplier> suppliers) {
    String serviceId = LoadBalancerClientFactory.getName(environment);
    LbServiceInstanceLoadBalancer bridge =
        new LbServiceInstanceLoadBalancer(
            serviceId, balancers.get(serviceId), balancers.secure(serviceId));
    if (balancers.discovery(serviceId) == DiscoverySource.SPRING_CLOUD) {
      ServiceInstanceListSupplier supplier = suppliers.getIfAvailable();
      if (supplier == null) {
        throw new IllegalStateException(
            "lb.services."
                + serviceId
                + ".discovery is \"spring-cloud\" but Spring Cloud has no"
                + " ServiceInstanceListSupplier for it (is there a DiscoveryClient?)");
      }
      bridge.follow(supplier.get());
    }
    return bridge;
  }

  /**
   * Reports each call's outcome on the lease its {@link LbServiceInstance} holds.
   *
   * @return the lifecycle callback
   */
  @Bean
  public LoadBalancerLifecycle<Object, Object, ServiceInstance> lbLeaseLifecycle() {
    return new LeaseLifecycle();
  }

  /** Reports outcomes; only calls whose instance is an {@link LbServiceInstance} are touched. */
  static final class LeaseLifecycle
      implements LoadBalancerLifecycle<Object, Object, ServiceInstance> {
    @Override
    @SuppressWarnings("rawtypes") // Spring's signature
    public boolean supports(Class requestContextClass, Class responseClass, Class serverTypeClass) {
      return ServiceInstance.class.isAssignableFrom(serverTypeClass);
    }

    @Override
    public void onStart(Request<Object> request) {}

    @Override
    public void onStartRequest(Request<Object> request, Response<ServiceInstance> lbResponse) {}

    @Override
    public void onComplete(CompletionContext<Object, ServiceInstance, Object> completionContext) {
      Response<ServiceInstance> response = completionContext.getLoadBalancerResponse();
      if (response != null && response.getServer() instanceof LbServiceInstance instance) {
        instance.complete(completionContext);
      }
    }
  }

  /** Matches in the client context of a service that {@link LoadBalancers} has. */
  static final class OnLbService implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String serviceId =
          context.getEnvironment().getProperty(LoadBalancerClientFactory.PROPERTY_NAME);
      ConfigurableListableBeanFactory beans = context.getBeanFactory();
      if (serviceId == null || beans == null) {
        return false;
      }
      LoadBalancers balancers = beans.getBeanProvider(LoadBalancers.class).getIfAvailable();
      return balancers != null && balancers.find(serviceId) != null;
    }
  }
}
