package dev.lb.grpc;

import static dev.lb.grpc.Channels.serviceConfig;
import static dev.lb.grpc.Channels.who;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Selecting and configuring the lb policies by service config, valid and invalid. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbServiceConfigTest {
  private final List<TestServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<String> groups = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (TestServer s : servers) {
      s.close();
    }
    groups.forEach(EndpointRegistry.global()::remove);
  }

  private TestServer server(String name) throws Exception {
    TestServer s = TestServer.netty(name);
    servers.add(s);
    return s;
  }

  private ManagedChannel channel(String target) {
    ManagedChannel c = Channels.builder(target).build();
    channels.add(c);
    return c;
  }

  private String group(String name, Map<String, ?> serviceConfig, TestServer... members) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (TestServer s : members) {
      endpoints.add(Endpoint.of("127.0.0.1", s.port()));
    }
    EndpointRegistry.global().serviceConfig(name, serviceConfig);
    EndpointRegistry.global().set(name, endpoints);
    groups.add(name);
    return "lb:///" + name;
  }

  private static String strategyOf(String target) {
    List<BalancerStats> stats = LbChannels.stats(target);
    assertThat(stats).hasSize(1);
    return stats.get(0).strategyName();
  }

  @Test
  void defaultServiceConfig_invalidOption_failsTheChannelBuildNamingOptionAndValue() {
    assertThatThrownBy(
            () ->
                Channels.builder("lb:///127.0.0.1:1")
                    .defaultServiceConfig(
                        serviceConfig("lb_peak_ewma", Map.of("decayWindow", "-1s")))
                    .build())
        .hasMessageContaining("lb_peak_ewma")
        .hasMessageContaining("decayWindow must be a positive duration")
        .hasMessageContaining("\"-1s\"");
  }

  @Test
  void genericPolicy_strategyOption_choosesTheStrategy() throws Exception {
    TestServer a = server("a");
    String target =
        group(
            "generic-strategy",
            serviceConfig("lb", Map.of("strategy", "weighted_least_connections")),
            a);
    ManagedChannel channel = channel(target);

    assertThat(who(channel)).isEqualTo("a");
    assertThat(strategyOf(target)).isEqualTo("weighted_least_connections");
  }

  @Test
  void resolverServiceConfig_strategyChange_rebuildsTheBalancer() throws Exception {
    TestServer a = server("a");
    TestServer b = server("b");
    String target =
        group("strategy-change", serviceConfig("lb", Map.of("strategy", "round_robin")), a);
    ManagedChannel channel = channel(target);
    assertThat(who(channel)).isEqualTo("a");
    assertThat(strategyOf(target)).isEqualTo("round_robin");

    // New config and a new member in one step; the new member answering proves it was applied.
    EndpointRegistry.global().serviceConfig("strategy-change", serviceConfig("lb_p2c", Map.of()));
    EndpointRegistry.global()
        .set(
            "strategy-change",
            List.of(Endpoint.of("127.0.0.1", a.port()), Endpoint.of("127.0.0.1", b.port())));
    Channels.warmUp(channel, List.of(a, b), Duration.ofSeconds(10));

    assertThat(strategyOf(target)).isEqualTo("p2c");
  }

  @Test
  void resolverServiceConfig_invalidAfterValid_channelKeepsThePreviousConfig() throws Exception {
    TestServer a = server("a");
    TestServer b = server("b");
    String target = group("keeps-previous", serviceConfig("lb_round_robin", Map.of()), a);
    ManagedChannel channel = channel(target);
    assertThat(who(channel)).isEqualTo("a");

    EndpointRegistry.global()
        .serviceConfig(
            "keeps-previous", serviceConfig("lb_peak_ewma", Map.of("decayWindow", "soon")));
    EndpointRegistry.global()
        .set(
            "keeps-previous",
            List.of(Endpoint.of("127.0.0.1", a.port()), Endpoint.of("127.0.0.1", b.port())));
    Channels.warmUp(channel, List.of(a, b), Duration.ofSeconds(10));

    assertThat(strategyOf(target)).isEqualTo("round_robin");
    assertThat(Channels.distribution(channel, 10)).isEqualTo(Map.of("a", 5, "b", 5));
  }

  @Test
  void resolverServiceConfig_invalidBalancerOption_channelKeepsThePreviousBalancerOptions()
      throws Exception {
    TestServer a = server("a");
    TestServer b = server("b");
    String target =
        group("keeps-options", serviceConfig("lb_round_robin", Map.of("localZone", "z1")), a);
    ManagedChannel channel = channel(target);
    assertThat(who(channel)).isEqualTo("a");

    EndpointRegistry.global()
        .serviceConfig(
            "keeps-options",
            serviceConfig("lb_round_robin", Map.of("localZone", "z2", "panicThreshold", 150.0)));
    EndpointRegistry.global()
        .set(
            "keeps-options",
            List.of(
                Endpoint.builder("127.0.0.1", a.port()).zone("z1").build(),
                Endpoint.builder("127.0.0.1", b.port()).zone("z2").build()));
    awaitMembers(channel, target, 2);

    // Still localZone z1 (the rejected config said z2): every call stays with a.
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("a", 20));
  }

  /** Calls until the channel's balancer has {@code n} members, or fails after 10 s. */
  private static void awaitMembers(ManagedChannel channel, String target, int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (LbChannels.stats(target).get(0).endpoints().size() != n) {
      assertThat(System.nanoTime()).as("%s members", n).isLessThan(deadline);
      who(channel);
    }
  }

  @Test
  void resolverServiceConfig_invalidFromTheStart_failsCallsWithTheConfigError() throws Exception {
    TestServer a = server("a");
    String target =
        group(
            "invalid-first",
            serviceConfig("lb_round_robin", Map.of("failureStatuses", List.of("OK"))),
            a);
    ManagedChannel channel = channel(target);

    assertThatThrownBy(
            () ->
                Channels.call(
                    channel,
                    TestServer.WHO,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains("failureStatuses entries must be status code names")
                  .contains("\"OK\"");
            });
  }
}
