package dev.lb.grpc;

import static dev.lb.grpc.Channels.warmUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.RecordingListener;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One source of availability, against real Netty servers: a subchannel's state reaches lb-core for
 * that endpoint alone, and lb-core's routing changes reach the channel through {@code
 * onRoutingChanged}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbAvailabilityNettyTest {
  private final List<TestServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final RecordingListener events = new RecordingListener();
  private String target = "";

  @AfterEach
  void tearDown() throws InterruptedException {
    LbChannels.removeListener(target, events);
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (TestServer s : servers) {
      s.close();
    }
  }

  private List<TestServer> start(String... names) throws Exception {
    List<String> entries = new ArrayList<>();
    for (String name : names) {
      TestServer s = TestServer.netty(name);
      servers.add(s);
      entries.add(s.address());
    }
    target = "lb:///" + String.join(",", entries);
    LbChannels.addListener(target, events);
    return List.copyOf(servers);
  }

  private ManagedChannel channel(String policy) {
    ManagedChannel c =
        Channels.builder(target)
            .defaultServiceConfig(Channels.serviceConfig(policy, Map.of()))
            .build();
    channels.add(c);
    return c;
  }

  @Test
  void serverStopsAndReturns_onlyItsEndpointChangesHealth_andCallsFollow() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    TestServer b = s.get(1);
    ManagedChannel channel = channel("lb_round_robin");
    warmUp(channel, s, Duration.ofSeconds(10));
    Channels.await(
        () -> events.events().stream().filter(e -> e.endsWith("->HEALTHY")).count() == 3,
        Duration.ofSeconds(10),
        "all three healthy: " + events);
    events.clear();

    b.stop();
    Channels.await(
        () -> events.events().contains(b.address() + " HEALTHY->UNHEALTHY"),
        Duration.ofSeconds(10),
        "b marked down: " + events);
    b.resetCalls();
    Map<String, Integer> counts = Channels.distribution(channel, 60);
    assertThat(counts).isEqualTo(Map.of("a", 30, "c", 30));

    b.restart();
    channel.resetConnectBackoff();
    Channels.await(
        () -> events.events().contains(b.address() + " UNHEALTHY->HEALTHY"),
        Duration.ofSeconds(10),
        "b marked up: " + events);
    assertThat(Channels.distribution(channel, 60)).containsEntry("b", 20);

    // Nothing but b's own transitions: the other endpoints were not touched by b's changes.
    assertThat(events.events()).allMatch(e -> e.startsWith(b.address() + " "));
    assertThat(events.routingChanges()).as("routing changes heard").isGreaterThanOrEqualTo(2);
  }

  @Test
  void everyServerDown_callFailsWithAOneLineDescription_causeKept() throws Exception {
    List<TestServer> s = start("a", "b");
    ManagedChannel channel = channel("lb_round_robin");
    warmUp(channel, s, Duration.ofSeconds(10));
    for (TestServer server : s) {
      server.stop();
    }
    Channels.await(
        () -> channel.getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE,
        Duration.ofSeconds(10),
        "channel in TRANSIENT_FAILURE");

    io.grpc.Status status =
        Channels.callStatus(
            channel, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));

    assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .startsWith("none of the 2 endpoints of '127.0.0.1:")
        .contains("is reachable; last connection error: UNAVAILABLE")
        .doesNotContain("\n")
        .doesNotContain("\tat ");
    assertThat(status.getCause()).as("the connection error, kept as the cause").isNotNull();
  }
}
