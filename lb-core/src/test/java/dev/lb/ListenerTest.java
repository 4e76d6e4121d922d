package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import dev.lb.testing.HealthFixture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenerTest {
  private final HealthFixture f = new HealthFixture();

  @Test
  void throwingListener_isIsolated_andOthersStillHearTheEvent() {
    LoadBalancer lb =
        f.builder(endpoints(3))
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onHealthChanged(
                      LoadBalancer b,
                      Endpoint e,
                      HealthStatus from,
                      HealthStatus to,
                      HealthChangeCause cause,
                      String r) {
                    throw new IllegalStateException("listener bug");
                  }
                })
            .build();
    assertThat(lb.markDown("e0", "gone")).isTrue();
    assertThat(lb.health("e0")).isEqualTo(HealthStatus.UNHEALTHY);
    assertThat(f.events.events()).containsExactly("e0 HEALTHY->UNHEALTHY");
  }

  @Test
  void listener_isCalledOutsideTheLock_andMayCallBackIntoTheBalancer() {
    List<HealthStatus> seen = new ArrayList<>();
    LoadBalancer[] self = new LoadBalancer[1];
    self[0] =
        f.builder(endpoints(2))
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onHealthChanged(
                      LoadBalancer b,
                      Endpoint e,
                      HealthStatus from,
                      HealthStatus to,
                      HealthChangeCause cause,
                      String r) {
                    seen.add(b.health(e.id())); // the change is already published
                    if (to == HealthStatus.UNHEALTHY) {
                      b.disable(e.id());
                    }
                  }
                })
            .build();
    self[0].markDown("e1", "gone");
    assertThat(seen).containsExactly(HealthStatus.UNHEALTHY, HealthStatus.DISABLED);
    assertThat(self[0].health("e1")).isEqualTo(HealthStatus.DISABLED);
    assertThat(LoadBalancerListener.NONE).isNotNull();
  }

  @Test
  void membershipEvents_areDelivered() {
    LoadBalancer lb = f.builder(endpoints(1)).build();
    lb.addEndpoint(Endpoint.builder("h", 1).id("x").build());
    lb.removeEndpoint("x");
    assertThat(f.events.events())
        .containsExactly(
            "added x",
            "removed x",
            "x HEALTHY->DRAINING",
            "drain started x 0",
            "drain finished x DRAINED");
  }
}
