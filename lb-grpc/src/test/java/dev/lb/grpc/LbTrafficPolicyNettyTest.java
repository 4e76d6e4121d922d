package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.TrafficPolicy;
import dev.lb.strategy.Strategies;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A policy following a {@link TrafficPolicy} in a real channel against Netty servers on 127.0.0.1:
 * drops fail calls as gRPC drops (not retried, wait-for-ready or not), counted at the servers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbTrafficPolicyNettyTest {
  private static final String POLICY = "lb_test_traffic_policy";

  private final TrafficPolicy traffic = TrafficPolicy.create();
  private final LbLoadBalancerProvider provider =
      new LbLoadBalancerProvider(POLICY, Strategies.roundRobin(), traffic);
  private final List<TestServer> servers = new ArrayList<>();
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(TestServer::close);
    LoadBalancerRegistry.getDefaultRegistry().deregister(provider);
  }

  private List<TestServer> start(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      servers.add(TestServer.netty("s" + i));
    }
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    StringBuilder target = new StringBuilder("lb:///");
    for (TestServer s : servers) {
      target.append(target.length() > 6 ? "," : "").append(s.address());
    }
    // Retries on UNAVAILABLE (5 attempts): a drop must not be retried all the same.
    channel =
        Channels.builder(target.toString())
            .defaultServiceConfig(Channels.serviceConfigWithRetry(POLICY))
            .build();
    Channels.warmUp(channel, servers, Duration.ofSeconds(10));
    servers.forEach(TestServer::resetCalls);
    return servers;
  }

  private int callsAtServers() {
    int n = 0;
    for (TestServer s : servers) {
      n += s.calls();
    }
    return n;
  }

  @Test
  void everythingDropped_waitForReadyCallsWithRetriesFailAtOnce_andNoServerSeesOne()
      throws Exception {
    start(2);
    traffic.setDrops(List.of(TrafficPolicy.Drop.of("lb", 1.0)));
    for (int i = 0; i < 20; i++) {
      Status status = Channels.callStatus(channel, Channels.waitForReady());
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(status.getDescription()).contains("dropped the call", "'lb'");
    }
    assertThat(callsAtServers()).isZero();

    traffic.setDrops(List.of());
    assertThat(Channels.distribution(channel, 20)).containsOnlyKeys("s0", "s1");
    assertThat(callsAtServers()).isEqualTo(20);
  }

  @Test
  void halfDropped_aboutHalfTheCallsReachTheServers_dropsAreNotRetried() throws Exception {
    start(2);
    traffic.setDrops(List.of(TrafficPolicy.Drop.of("throttle", 0.5)));
    int ok = 0;
    int n = 400;
    for (int i = 0; i < n; i++) {
      Status status = Channels.callStatus(channel, Channels.waitForReady());
      if (status.isOk()) {
        ok++;
      } else {
        assertThat(status.getDescription()).contains("'throttle'");
      }
    }
    // Retried drops would let 1 - 0.5^5 = 97% through. Binomial(400, 0.5): 150..250 is > 7 sigma.
    assertThat(ok).isBetween(150, 250);
    assertThat(callsAtServers()).isEqualTo(ok);
  }

  @Test
  void aServiceConfigSettingTheFactorIsRefused_thePolicyOwnsIt() {
    assertThat(
            provider
                .parseLoadBalancingPolicyConfig(Map.of("overprovisioningFactor", 2.0))
                .getError())
        .isNotNull()
        .extracting(Status::getDescription)
        .asString()
        .contains("overprovisioningFactor cannot be set");
    assertThat(provider.parseLoadBalancingPolicyConfig(Map.of()).getError()).isNull();
  }
}
