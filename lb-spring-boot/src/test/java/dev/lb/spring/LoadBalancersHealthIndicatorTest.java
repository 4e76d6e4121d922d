package dev.lb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The {@code lb} health component on Spring Boot 4's health module. (Boot 3.5 has its health API in
 * another package; spring-boot3-check/ leaves this class out.)
 */
class LoadBalancersHealthIndicatorTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(LbAutoConfiguration.class));

  @Test
  void health_upWhileEveryServiceHasAHealthyEndpoint_downWhenOneHasNone() {
    runner
        .withPropertyValues(
            "lb.services.users.endpoints=127.0.0.1:8081,127.0.0.1:8082",
            "lb.services.orders.endpoints=127.0.0.1:9090")
        .run(
            context -> {
              LoadBalancersHealthIndicator health =
                  context.getBean("lbHealthIndicator", LoadBalancersHealthIndicator.class);
              Health up = health.health();
              assertThat(up.getStatus()).isEqualTo(Status.UP);
              assertThat(up.getDetails()).containsOnlyKeys("users", "orders");
              assertThat(up.getDetails().get("users").toString())
                  .contains("endpoints=2", "healthy=2", "inFlight=0", "panic=false");

              context.getBean(LoadBalancers.class).get("orders").markDown("127.0.0.1:9090", "test");
              Health down = health.health();
              assertThat(down.getStatus()).isEqualTo(Status.DOWN);
              assertThat(down.getDetails().get("orders").toString())
                  .contains("status=DOWN", "healthy=0");
              assertThat(down.getDetails().get("users").toString()).contains("status=UP");
            });
  }

  @Test
  void nullBalancers_throwNullPointerException_namingTheParameter() {
    org.assertj.core.api.Assertions.assertThatNullPointerException()
        .isThrownBy(() -> new LoadBalancersHealthIndicator(null))
        .withMessage("balancers");
  }
}
