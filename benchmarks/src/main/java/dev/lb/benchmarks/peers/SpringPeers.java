package dev.lb.benchmarks.peers;

import dev.lb.benchmarks.Backends;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import reactor.core.publisher.Flux;

/**
 * Spring Cloud LoadBalancer's {@link RoundRobinLoadBalancer} over a fixed {@link
 * ServiceInstanceListSupplier}, resolved with {@code block()} as Spring's blocking client does.
 */
final class SpringPeers {
  private static final String SERVICE = "bench-service";

  private SpringPeers() {}

  /** Round robin over {@code n} instances. */
  static PickTarget roundRobin(int n) {
    List<ServiceInstance> instances = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      instances.add(new DefaultServiceInstance("i" + i, SERVICE, Backends.host(i), 8080, false));
    }
    Flux<List<ServiceInstance>> flux = Flux.just(List.copyOf(instances));
    ServiceInstanceListSupplier supplier =
        new ServiceInstanceListSupplier() {
          @Override
          public String getServiceId() {
            return SERVICE;
          }

          @Override
          public Flux<List<ServiceInstance>> get() {
            return flux;
          }
        };
    ObjectProvider<ServiceInstanceListSupplier> provider =
        new ObjectProvider<>() {
          @Override
          public ServiceInstanceListSupplier getObject() {
            return supplier;
          }

          @Override
          public ServiceInstanceListSupplier getIfAvailable() {
            return supplier;
          }

          @Override
          public ServiceInstanceListSupplier getIfUnique() {
            return supplier;
          }
        };
    RoundRobinLoadBalancer balancer = new RoundRobinLoadBalancer(provider, SERVICE);
    Request<?> request = new DefaultRequest<>();
    return PickTarget.pickOnly(
        () -> {
          Response<ServiceInstance> response = balancer.choose(request).block();
          if (response == null || !response.hasServer()) {
            throw new IllegalStateException("Spring Cloud LoadBalancer chose no instance");
          }
          return response.getServer();
        });
  }
}
