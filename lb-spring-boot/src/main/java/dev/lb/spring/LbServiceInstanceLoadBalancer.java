package dev.lb.spring;

import static java.util.Objects.requireNonNull;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Spring Cloud LoadBalancer's {@link ReactorServiceInstanceLoadBalancer} over an lb {@link
 * LoadBalancer}: {@code @LoadBalanced} {@code RestClient}s, {@code RestTemplate}s and {@code
 * WebClient}s (and anything else on Spring Cloud LoadBalancer: OpenFeign, Gateway) pick through
 * lb's strategy, health, outlier ejection, zones and breakers instead of Spring's round robin.
 *
 * <p>Each {@link #choose} takes a {@link Lease} and returns it inside an {@link LbServiceInstance};
 * Spring's {@code LoadBalancerLifecycle} completion callback ({@link
 * LbLoadBalancerClientConfiguration}) reports the call's outcome on it: a 5xx response or an
 * exception as a failure, any other response as a success, a discarded call as a cancellation, with
 * the latency from the pick. The lease is reported once, so the endpoint's in-flight count goes
 * back down exactly once per call. When no endpoint can take a call the response is empty, and
 * Spring answers as it does for a service without instances (503 from the blocking clients).
 *
 * <p>Spring's own clients always complete what they choose. Code that calls {@code
 * LoadBalancerClient.choose} itself and never runs the completion callbacks leaves the call counted
 * in flight: call {@link LbServiceInstance#complete} then.
 *
 * <p>With {@link DiscoverySource#SPRING_CLOUD}, it follows Spring's {@code
 * ServiceInstanceListSupplier} for the service and replaces the balancer's membership with each
 * list it emits (instance id, host, port and metadata; lb keeps the statistics of endpoints that
 * stay). Thread-safe.
 */
public final class LbServiceInstanceLoadBalancer
    implements ReactorServiceInstanceLoadBalancer, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LbServiceInstanceLoadBalancer.class);

  private final String serviceId;
  private final LoadBalancer balancer;
  private final boolean secure;
  private volatile @Nullable Disposable membership;

  /**
   * A bridge for one service.
   *
   * @param serviceId the Spring Cloud service id (the host of {@code http://users/...})
   * @param balancer the service's balancer
   * @param secure whether the instances are reached over https
   * @throws NullPointerException if an argument is null
   */
  public LbServiceInstanceLoadBalancer(String serviceId, LoadBalancer balancer, boolean secure) {
    this.serviceId = requireNonNull(serviceId, "serviceId");
    this.balancer = requireNonNull(balancer, "balancer");
    this.secure = secure;
  }

  /**
   * Picks through lb.
   *
   * @param request Spring's request (its context is not used for the pick)
   * @return a response holding an {@link LbServiceInstance}, or an empty one when no endpoint can
   *     take the call
   */
  @Override
  @SuppressWarnings("rawtypes") // Spring's signature
  public Mono<Response<ServiceInstance>> choose(Request request) {
    return Mono.fromSupplier(this::pick);
  }

  private Response<ServiceInstance> pick() {
    Lease lease = balancer.tryPick(PickContext.none());
    if (lease == null) {
      log.debug("lb service {}: no endpoint can take the call", serviceId);
      return new EmptyResponse();
    }
    return new DefaultResponse(new LbServiceInstance(serviceId, secure, lease, balancer));
  }

  /**
   * Follows a stream of instance lists (Spring's {@code ServiceInstanceListSupplier.get()}): each
   * list replaces the balancer's membership. Replaces any stream followed before.
   *
   * @param instances the lists
   * @throws NullPointerException if {@code instances} is null
   */
  public void follow(Flux<List<ServiceInstance>> instances) {
    requireNonNull(instances, "instances");
    Disposable previous = membership;
    membership =
        instances.subscribe(
            this::updateMembership,
            error ->
                log.warn(
                    "lb service {}: instance list failed, keeping the last one", serviceId, error));
    if (previous != null) {
      previous.dispose();
    }
  }

  private void updateMembership(List<ServiceInstance> instances) {
    List<Endpoint> endpoints = new ArrayList<>(instances.size());
    for (ServiceInstance instance : instances) {
      Endpoint.Builder endpoint = Endpoint.builder(instance.getHost(), instance.getPort());
      Map<String, String> metadata = instance.getMetadata();
      if (metadata != null) {
        endpoint.metadata(metadata);
      }
      String id = instance.getInstanceId();
      if (id != null) {
        endpoint.id(id);
      }
      endpoints.add(endpoint.build());
    }
    if (balancer.setEndpoints(endpoints)) {
      log.debug("lb service {}: {} instances from Spring Cloud", serviceId, endpoints.size());
    }
  }

  /** Stops following the instance lists; the balancer itself belongs to {@link LoadBalancers}. */
  @Override
  public void close() {
    Disposable current = membership;
    if (current != null) {
      current.dispose();
    }
  }

  @Override
  public String toString() {
    return "LbServiceInstanceLoadBalancer{" + serviceId + "}";
  }
}
