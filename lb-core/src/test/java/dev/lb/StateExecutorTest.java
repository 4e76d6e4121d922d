package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.HealthFixture.fail;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.health.HealthStatus;
import dev.lb.health.OutlierDetection;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadBalancer.Builder#stateExecutor}: the balancer's own state changes, from call outcomes
 * and from timers, run only on the given executor, as gRPC's synchronization context needs.
 */
class StateExecutorTest {
  private final HealthFixture f = new HealthFixture();
  private final Queue<Runnable> queued = new ArrayDeque<>();
  private final Executor executor = queued::add;

  private LoadBalancer balancer() {
    return f.builder(endpoints(4))
        .outlierDetection(
            OutlierDetection.builder()
                .consecutiveFailures(5)
                .successRate(false)
                .baseEjectionTime(Duration.ofSeconds(30))
                .build())
        .stateExecutor(executor)
        .build();
  }

  private void runQueued() {
    Runnable task;
    while ((task = queued.poll()) != null) {
      task.run();
    }
  }

  @Test
  void failureStreak_ejectsOnlyWhenTheExecutorRunsTheChange() {
    LoadBalancer lb = balancer();
    fail(lb, "e1", 5);
    f.scheduler.runDue();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY); // reported, not applied
    assertThat(f.events.events()).isEmpty();
    assertThat(queued).hasSize(1);

    runQueued();

    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);
    assertThat(f.events.events()).containsExactly("e1 HEALTHY->EJECTED", "ejected e1 30s");
  }

  @Test
  void timerWork_isHandedToTheExecutor() {
    LoadBalancer lb = balancer();
    fail(lb, "e1", 5);
    runQueued();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED);

    f.scheduler.advance(Duration.ofSeconds(30)); // the ejection's timer fires...
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.EJECTED); // ...and only queues its work
    assertThat(queued).isNotEmpty();
    runQueued();
    assertThat(lb.health("e1")).isEqualTo(HealthStatus.HEALTHY);
    assertThat(f.events.events()).endsWith("e1 EJECTED->HEALTHY", "restored e1");
  }

  @Test
  void callersOwnChanges_runOnTheCallersThread() {
    LoadBalancer lb = balancer();
    lb.markDown("e2", "transport lost");
    assertThat(lb.health("e2")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(queued).isEmpty();
  }
}
