package dev.lb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.okhttp.LoadBalancingInterceptor;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Which beans the auto-configuration makes from which properties, and how bad ones fail. */
class LbAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LbAutoConfiguration.class));

  @Test
  void properties_oneBalancerPerService_withStrategyWeightsAndZones() {
    runner
        .withPropertyValues(
            "lb.services.users.strategy=weighted_round_robin",
            "lb.services.users.endpoints=127.0.0.1:8081;weight=3;zone=a,127.0.0.1:8082",
            "lb.services.orders.endpoints=127.0.0.1:9090")
        .withBean(QualifiedUser.class)
        .run(
            context -> {
              LoadBalancers balancers = context.getBean(LoadBalancers.class);
              assertThat(balancers.names()).containsExactly("users", "orders");
              LoadBalancer users = balancers.get("users");
              assertThat(users.name()).isEqualTo("users");
              assertThat(users.strategy().name()).isEqualTo("weighted_round_robin");
              assertThat(users.endpoints())
                  .extracting(Endpoint::address, Endpoint::weight, Endpoint::zone)
                  .containsExactly(
                      org.assertj.core.groups.Tuple.tuple("127.0.0.1:8081", 3, "a"),
                      org.assertj.core.groups.Tuple.tuple("127.0.0.1:8082", 1, null));
              assertThat(context.getBean("usersLoadBalancer")).isSameAs(users);
              assertThat(context.getBean(QualifiedUser.class).users).isSameAs(users);
              assertThat(balancers.discovery("users")).isEqualTo(DiscoverySource.STATIC);
              assertThat(balancers.secure("users")).isFalse();
            });
  }

  @Test
  void indexedEndpoints_andNestedKebabCaseOptions_areRead() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints[0]=127.0.0.1:8081",
            "lb.services.users.endpoints[1]=127.0.0.1:8082;weight=2",
            "lb.services.users.outlier-detection.consecutive-failures=3",
            "lb.services.users.slow-start.window=30s",
            "lb.services.users.discovery=static",
            "lb.services.users.secure=true")
        .run(
            context -> {
              LoadBalancers balancers = context.getBean(LoadBalancers.class);
              assertThat(balancers.get("users").endpoints())
                  .extracting(Endpoint::address)
                  .containsExactly("127.0.0.1:8081", "127.0.0.1:8082");
              assertThat(balancers.secure("users")).isTrue();
            });
  }

  @Test
  void micrometer_everyServicesMeters_boundToTheRegistry_andRemovedWithTheContext() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081,127.0.0.1:8082",
            "lb.services.orders.endpoints=127.0.0.1:9090")
        .run(
            context -> {
              LoadBalancersMeterBinder binder = context.getBean(LoadBalancersMeterBinder.class);
              // What Spring Boot's metrics auto-configuration does with every MeterBinder bean.
              binder.bindTo(registry);
              assertThat(
                      registry.get("lb.endpoints.healthy").tag("balancer", "users").gauge().value())
                  .isEqualTo(2.0);
              assertThat(
                      registry
                          .get("lb.endpoints.healthy")
                          .tag("balancer", "orders")
                          .gauge()
                          .value())
                  .isEqualTo(1.0);
              LoadBalancer users = context.getBean(LoadBalancers.class).get("users");
              users.pick().onSuccess(1_000_000, 0);
              assertThat(registry.find("lb.calls").tag("balancer", "users").functionCounters())
                  .isNotEmpty();
            });
    // The context closed the binder: no lb meter is left behind in the registry.
    assertThat(registry.getMeters())
        .noneSatisfy(m -> assertThat(m.getId().getName()).startsWith("lb."));
  }

  @Test
  void micrometer_absent_noBinder() {
    runner
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .withClassLoader(new FilteredClassLoader("dev.lb.micrometer"))
        .run(context -> assertThat(context).doesNotHaveBean("lbMeterBinder"));
  }

  @Test
  void badOption_failsTheStart_namingThePropertyAndQuotingTheValue() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081",
            "lb.services.users.outlier-detection.base-ejection-time=thirty")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lb.services.users.outlierDetection.baseEjectionTime")
                    .hasMessageContaining("\"thirty\""));
  }

  @Test
  void unknownStrategy_failsTheStart_namingTheProperty() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081", "lb.services.users.strategy=fastest")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lb.services.users.strategy")
                    .hasMessageContaining("fastest"));
  }

  @Test
  void badDiscoveryOrSecure_failsTheStart_namingTheProperty() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081", "lb.services.users.discovery=eureka")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(
                        "lb.services.users.discovery must be \"static\" or \"spring-cloud\" but"
                            + " was \"eureka\""));
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081", "lb.services.users.secure=yes")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage("lb.services.users.secure must be true or false but was \"yes\""));
  }

  @Test
  void noServices_emptyRegistry_noBalancerBeans() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(LoadBalancers.class).names()).isEmpty();
          assertThat(context).doesNotHaveBean(LoadBalancer.class);
          assertThat(context.getBean(LoadBalancers.class).find("users")).isNull();
        });
  }

  @Test
  void customizers_applyToEveryService_inOrder() {
    runner
        .withUserConfiguration(Customizers.class)
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081",
            "lb.services.orders.endpoints=127.0.0.1:8082")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(Customizers.class).seen)
                  .containsExactly("users", "orders");
              // the customizer's endpoint is there beside the configured one
              assertThat(context.getBean(LoadBalancers.class).get("orders").endpoints())
                  .extracting(Endpoint::address)
                  .containsExactly("127.0.0.1:8082", "127.0.0.1:9999");
            });
  }

  @Test
  void contextClose_closesEveryBalancer() {
    LoadBalancer[] seen = new LoadBalancer[1];
    runner
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(context -> seen[0] = context.getBean(LoadBalancers.class).get("users"));
    org.assertj.core.api.Assertions.assertThatIllegalStateException()
        .isThrownBy(() -> seen[0].pick());
  }

  @Test
  void okHttp_interceptorWithEveryService_andAClient() {
    runner
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(
            context -> {
              assertThat(context.getBean(LoadBalancingInterceptor.class).services())
                  .containsOnlyKeys("users");
              assertThat(context.getBean("lbOkHttpClient", OkHttpClient.class).interceptors())
                  .contains(context.getBean(LoadBalancingInterceptor.class));
            });
  }

  @Test
  void withoutLbOkHttp_noOkHttpBeans() {
    runner
        .withClassLoader(new FilteredClassLoader(LoadBalancingInterceptor.class))
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(LoadBalancers.class);
              assertThat(context).doesNotHaveBean("lbOkHttpInterceptor");
              assertThat(context).doesNotHaveBean("lbOkHttpClient");
            });
  }

  @Test
  void springCloud_specificationAddsTheBridgeConfiguration() {
    runner.run(
        context ->
            assertThat(context.getBean(LoadBalancerClientSpecification.class).getConfiguration())
                .containsExactly(LbLoadBalancerClientConfiguration.class));
  }

  @Test
  void withoutSpringCloud_noSpecification() {
    runner
        .withClassLoader(new FilteredClassLoader(ReactorServiceInstanceLoadBalancer.class))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(LoadBalancerClientSpecification.class));
  }

  @Test
  void withoutHealthModule_noIndicator() {
    runner
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .withPropertyValues("lb.services.users.endpoints=127.0.0.1:8081")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("lbHealthIndicator"));
  }

  /** Injects the users balancer by its qualifier, as an application would. */
  static final class QualifiedUser {
    final LoadBalancer users;

    QualifiedUser(@Qualifier("users") LoadBalancer users) {
      this.users = users;
    }
  }

  /** Records which services it customizes; adds an endpoint to the second. */
  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    final List<String> seen = new ArrayList<>();

    @Bean
    @org.springframework.core.annotation.Order(2)
    LoadBalancerCustomizer addsAnEndpoint() {
      return (name, builder) -> {
        if (name.equals("orders")) {
          builder.addEndpoint(Endpoint.of("127.0.0.1", 9999));
        }
      };
    }

    @Bean
    @org.springframework.core.annotation.Order(1)
    LoadBalancerCustomizer records() {
      return (name, builder) -> seen.add(name);
    }
  }
}
