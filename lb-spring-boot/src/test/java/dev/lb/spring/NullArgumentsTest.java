package dev.lb.spring;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Null arguments name the parameter; unknown services name the configured ones. */
class NullArgumentsTest {
  @Test
  void nullArguments_throwNullPointerException_namingTheParameter() {
    LoadBalancers balancers =
        LoadBalancers.of(Map.of("users", Map.of("endpoints", "127.0.0.1:8081")), List.of());
    try (LoadBalancer balancer =
        LoadBalancer.builder().addEndpoint(Endpoint.of("127.0.0.1", 8081)).build()) {
      assertThatNullPointerException()
          .isThrownBy(() -> LoadBalancers.of(null, List.of()))
          .withMessage("services");
      assertThatNullPointerException()
          .isThrownBy(() -> LoadBalancers.of(Map.of(), null))
          .withMessage("customizers");
      assertThatNullPointerException()
          .isThrownBy(() -> balancers.find(null))
          .withMessage("serviceName");
      assertThatNullPointerException()
          .isThrownBy(() -> new LbServiceInstanceLoadBalancer(null, balancer, false))
          .withMessage("serviceId");
      assertThatNullPointerException()
          .isThrownBy(() -> new LbServiceInstanceLoadBalancer("users", null, false))
          .withMessage("balancer");
      assertThatNullPointerException()
          .isThrownBy(
              () -> new LbServiceInstanceLoadBalancer("users", balancer, false).follow(null))
          .withMessage("instances");
    } finally {
      balancers.close();
    }
  }

  @Test
  void unknownService_namesTheConfiguredOnes() {
    try (LoadBalancers balancers =
        LoadBalancers.of(
            Map.of("users", Map.of("endpoints", List.of("127.0.0.1:8081"))), List.of())) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> balancers.get("usres"))
          .withMessage("no lb service \"usres\" (lb.services has [users])");
      assertThatIllegalArgumentException().isThrownBy(() -> balancers.discovery("usres"));
      assertThatIllegalArgumentException().isThrownBy(() -> balancers.secure("usres"));
    }
  }
}
