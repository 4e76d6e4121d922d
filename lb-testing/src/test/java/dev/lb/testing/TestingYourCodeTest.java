package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "Testing your code against lb" snippet, compiled and run: keep the two in step. Also
 * the proof that the fakes drive a real balancer.
 */
class TestingYourCodeTest {
  @Test
  void failingChecks_takeAnEndpointOut_onFakeTime() {
    FakeScheduler scheduler = new FakeScheduler(); // on a new FakeTicker
    FakeHealthChecker checker = new FakeHealthChecker(); // healthy until told otherwise
    RecordingListener events = new RecordingListener();
    LoadBalancer lb =
        LoadBalancer.builder()
            .endpoints(
                List.of(
                    Endpoint.builder("10.0.0.1", 8080).id("a").build(),
                    Endpoint.builder("10.0.0.2", 8080).id("b").build()))
            .ticker(scheduler.ticker())
            .scheduler(scheduler)
            .healthCheck(
                HealthCheckConfig.builder(checker)
                    .interval(Duration.ofSeconds(5))
                    .jitter(0)
                    .unhealthyThreshold(2)
                    .build())
            .listener(events)
            .build();

    checker.fail("a");
    scheduler.advance(Duration.ofSeconds(5)); // checks at 0 s and 5 s, no waiting

    assertThat(lb.health("a")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(events.events()).contains("a HEALTHY->UNHEALTHY");
    assertThat(checker.probes("a")).isEqualTo(2);
    lb.close();
  }
}
