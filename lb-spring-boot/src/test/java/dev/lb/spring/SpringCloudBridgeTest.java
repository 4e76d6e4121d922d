package dev.lb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.composite.CompositeDiscoveryClientAutoConfiguration;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryClientAutoConfiguration;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.cloud.client.loadbalancer.reactive.ReactiveLoadBalancer;
import org.springframework.cloud.commons.util.UtilAutoConfiguration;
import org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * The Spring Cloud LoadBalancer bridge inside Spring's client contexts: which services it takes
 * over, how each outcome reaches the lease, and Spring Cloud discovery feeding lb's membership.
 */
class SpringCloudBridgeTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  LbAutoConfiguration.class,
                  LoadBalancerAutoConfiguration.class,
                  UtilAutoConfiguration.class,
                  SimpleDiscoveryClientAutoConfiguration.class,
                  CompositeDiscoveryClientAutoConfiguration.class));

  @Test
  void lbService_getsTheBridge_otherServicesKeepSpringsRoundRobin() {
    runner
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(
            context -> {
              LoadBalancerClientFactory factory = context.getBean(LoadBalancerClientFactory.class);
              assertThat(factory.getInstance("users"))
                  .isInstanceOf(LbServiceInstanceLoadBalancer.class);
              assertThat(factory.getInstance("other")).isInstanceOf(RoundRobinLoadBalancer.class);
              assertThat(factory.getInstances("users", LoadBalancerLifecycle.class)).hasSize(1);
              assertThat(factory.getInstances("other", LoadBalancerLifecycle.class)).isEmpty();
            });
  }

  @Test
  void choose_picksThroughLb_andEachOutcomeReachesTheLeaseOnce() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081;weight=2", "lb.services.users.secure=true")
        .run(
            context -> {
              LoadBalancerClientFactory factory = context.getBean(LoadBalancerClientFactory.class);
              ReactiveLoadBalancer<ServiceInstance> bridge = factory.getInstance("users");
              @SuppressWarnings("unchecked")
              LoadBalancerLifecycle<Object, Object, ServiceInstance> lifecycle =
                  factory
                      .getInstances("users", LoadBalancerLifecycle.class)
                      .values()
                      .iterator()
                      .next();
              LoadBalancer users = context.getBean(LoadBalancers.class).get("users");

              Response<ServiceInstance> ok =
                  Mono.from(bridge.choose(new DefaultRequest<>())).block();
              assertThat(ok).isNotNull();
              LbServiceInstance instance = (LbServiceInstance) ok.getServer();
              assertThat(instance.getUri().toString()).isEqualTo("https://127.0.0.1:8081");
              assertThat(instance.getServiceId()).isEqualTo("users");
              assertThat(instance.getInstanceId()).isEqualTo("127.0.0.1:8081");
              assertThat(instance.endpoint().weight()).isEqualTo(2);
              assertThat(users.stats().inFlight()).isEqualTo(1);

              CompletionContext<Object, ServiceInstance, Object> success =
                  new CompletionContext<>(
                      CompletionContext.Status.SUCCESS,
                      new DefaultRequest<>(),
                      ok,
                      new ResponseData(HttpStatus.OK, null, null, null));
              lifecycle.onComplete(success);
              lifecycle.onComplete(success); // a second report changes nothing
              assertThat(instance.isReported()).isTrue();
              assertThat(instance.complete(success)).isFalse();
              assertThat(users.stats().inFlight()).isZero();
              assertThat(stats(users).successes()).isEqualTo(1);

              Response<ServiceInstance> fiveHundred =
                  Mono.from(bridge.choose(new DefaultRequest<>())).block();
              lifecycle.onComplete(
                  new CompletionContext<>(
                      CompletionContext.Status.SUCCESS,
                      new DefaultRequest<>(),
                      fiveHundred,
                      new ResponseData(HttpStatus.SERVICE_UNAVAILABLE, null, null, null)));
              assertThat(stats(users).failures()).isEqualTo(1);
              assertThat(stats(users).lastFailure()).hasMessage("HTTP 503 from users");

              Response<ServiceInstance> thrown =
                  Mono.from(bridge.choose(new DefaultRequest<>())).block();
              IOException reset = new IOException("connection reset");
              lifecycle.onComplete(
                  new CompletionContext<>(
                      CompletionContext.Status.FAILED, reset, new DefaultRequest<>(), thrown));
              assertThat(stats(users).failures()).isEqualTo(2);
              assertThat(stats(users).lastFailure()).isSameAs(reset);

              Response<ServiceInstance> discarded =
                  Mono.from(bridge.choose(new DefaultRequest<>())).block();
              lifecycle.onComplete(
                  new CompletionContext<>(
                      CompletionContext.Status.DISCARD, new DefaultRequest<>(), discarded));
              assertThat(stats(users).cancellations()).isEqualTo(1);
              assertThat(users.stats().inFlight()).isZero();
            });
  }

  @Test
  void noEndpointAvailable_emptyResponse() {
    runner
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(
            context -> {
              context.getBean(LoadBalancers.class).get("users").markDown("127.0.0.1:8081", "test");
              ReactiveLoadBalancer<ServiceInstance> bridge =
                  context.getBean(LoadBalancerClientFactory.class).getInstance("users");
              Response<ServiceInstance> response =
                  Mono.from(bridge.choose(new DefaultRequest<>())).block();
              assertThat(response).isNotNull();
              assertThat(response.hasServer()).isFalse();
            });
  }

  @Test
  void discoverySpringCloud_membershipFollowsSpringsInstanceList() {
    runner
        .withPropertyValues(
            "lb.services.users.discovery=spring-cloud",
            "lb.services.users.strategy=least_connections",
            "spring.cloud.discovery.client.simple.instances.users[0].uri=http://127.0.0.1:7001",
            "spring.cloud.discovery.client.simple.instances.users[0].instance-id=users-1",
            "spring.cloud.discovery.client.simple.instances.users[1].uri=http://127.0.0.1:7002")
        .run(
            context -> {
              ReactiveLoadBalancer<ServiceInstance> bridge =
                  context.getBean(LoadBalancerClientFactory.class).getInstance("users");
              assertThat(bridge).isInstanceOf(LbServiceInstanceLoadBalancer.class);
              List<Endpoint> endpoints =
                  context.getBean(LoadBalancers.class).get("users").endpoints();
              assertThat(endpoints)
                  .extracting(Endpoint::address)
                  .containsExactlyInAnyOrder("127.0.0.1:7001", "127.0.0.1:7002");
              assertThat(endpoints).extracting(Endpoint::id).contains("users-1");
            });
  }

  private static EndpointStats stats(LoadBalancer balancer) {
    return balancer.stats().endpoints().get(0);
  }
}
