package dev.lb.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.lb.LoadBalancer;
import dev.lb.health.HealthStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.HttpServerErrorException;

/** The example application, started as its main method starts it, balancing real calls. */
class SpringBootExampleTest {
  private ExampleBackends backends;
  private ConfigurableApplicationContext app;

  @BeforeEach
  void start() throws IOException {
    backends = ExampleBackends.start();
    app = SpringBootExample.start(backends.endpointsProperty());
  }

  @AfterEach
  void stop() {
    app.close();
    backends.close();
  }

  @Test
  void example_brokenServerEjectedAfterThreeFailures_othersShareTheRestByWeight() {
    SpringBootExample.UsersClient users = app.getBean(SpringBootExample.UsersClient.class);
    Map<String, Integer> answers = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      Throwable thrown = catchThrowable(() -> answers.merge(users.hello(), 1, Integer::sum));
      if (thrown != null) {
        assertThat(thrown).isInstanceOf(HttpServerErrorException.class);
        answers.merge("error", 1, Integer::sum);
      }
    }

    ExampleBackends.Backend broken = backends.all.get(2);
    assertThat(broken.calls.get()).isEqualTo(3);
    assertThat(answers.get("error")).isEqualTo(3);
    int a = answers.get("a");
    int b = answers.get("b");
    assertThat(a + b).isEqualTo(57);
    // Smooth weighted round robin gives 3:1 within a round of each phase; the ejection restarts
    // the phase, and when the update lock is busy (a metrics read) it lands a call or two later,
    // which shifts the split by a call: b is 13 to 15 of the 57 (at random it would vary by ±3).
    assertThat(a).isBetween(3 * b - 6, 3 * b + 6);

    LoadBalancer balancer = app.getBean("usersLoadBalancer", LoadBalancer.class);
    assertThat(balancer.health(broken.address())).isEqualTo(HealthStatus.EJECTED);
    assertThat(balancer.stats().inFlight()).isZero();

    // Spring Boot's metrics auto-configuration bound lb's meters to the application's registry.
    MeterRegistry registry = app.getBean(MeterRegistry.class);
    double calls =
        registry.find("lb.calls").tag("balancer", "users").functionCounters().stream()
            .mapToDouble(FunctionCounter::count)
            .sum();
    assertThat(calls).isEqualTo(60.0);
  }

  @Test
  void main_runsToTheEnd() throws IOException {
    SpringBootExample.main(new String[0]);
  }
}
