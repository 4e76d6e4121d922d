package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.PickContext;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * gRPC's own {@code hedgingPolicy} (service config) over lb policies, with {@link
 * LbCallOptions#avoidPreviousEndpoints()}: each hedged attempt goes to an endpoint no sibling
 * attempt of the call used, whatever the strategy, counted at real Netty servers on 127.0.0.1.
 * Every server answers after 500 ms, far beyond the hedging delays (20 ms apart), so each call
 * sends all of its attempts even on a loaded machine.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbHedgingNettyTest {
  private final List<TestServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (TestServer s : servers) {
      s.close();
    }
  }

  private List<TestServer> start(int n, Duration delay) throws Exception {
    List<TestServer> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TestServer s = TestServer.netty("s" + i);
      s.delay(delay);
      servers.add(s);
      started.add(s);
    }
    return started;
  }

  private static String target(List<TestServer> servers) {
    List<String> entries = new ArrayList<>();
    for (TestServer s : servers) {
      entries.add(s.address());
    }
    return "lb:///" + String.join(",", entries);
  }

  private static Map<String, ?> hedgingConfig(String policy, int maxAttempts) {
    Map<String, ?> hedging =
        Map.of(
            "maxAttempts",
            (double) maxAttempts,
            "hedgingDelay",
            "0.02s",
            "nonFatalStatusCodes",
            List.of("UNAVAILABLE"));
    return Map.of(
        "loadBalancingConfig",
        List.of(Map.of(policy, Map.of())),
        "methodConfig",
        List.of(Map.of("name", List.of(Map.of("service", "test.Echo")), "hedgingPolicy", hedging)));
  }

  private ManagedChannel channel(List<TestServer> s, Map<String, ?> config) {
    ManagedChannel c =
        Channels.builder(target(s))
            .defaultServiceConfig(config)
            .enableRetry()
            .intercept(LbCallOptions.avoidPreviousEndpoints())
            .build();
    channels.add(c);
    return c;
  }

  /** Calls until every server has received one, so every subchannel is READY. */
  private static void reachAll(ManagedChannel channel, List<TestServer> s) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (s.stream().anyMatch(server -> server.calls() == 0)) {
      assertThat(System.nanoTime()).as("every server reached within 10 s").isLessThan(deadline);
      Channels.who(channel);
    }
  }

  private static void awaitIdle(List<TestServer> s) throws InterruptedException {
    Channels.await(
        () -> s.stream().allMatch(server -> server.inFlight() == 0),
        Duration.ofSeconds(10),
        "every server idle");
  }

  @ParameterizedTest
  @ValueSource(strings = {"lb_round_robin", "lb_p2c", "lb_peak_ewma", "lb_random", "lb_ring_hash"})
  void threeHedgedAttemptsOverThreeEndpoints_eachOnADistinctEndpoint(String policy)
      throws Exception {
    List<TestServer> s = start(3, Duration.ofMillis(500));
    ManagedChannel channel = channel(s, hedgingConfig(policy, 3));
    reachAll(channel, s);
    awaitIdle(s); // the warm-up calls' hedges are answered before counting starts
    for (TestServer server : s) {
      server.resetCalls();
    }
    CallOptions keyed =
        Channels.waitForReady().withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey("k1"));

    int calls = 3;
    for (int i = 0; i < calls; i++) {
      Channels.call(channel, TestServer.WHO, keyed);
      // All three attempts of the call arrived, one at each server.
      for (TestServer server : s) {
        assertThat(server.awaitCalls(1, Duration.ofSeconds(5)))
            .as("%s: call %s reached %s", policy, i, server.name)
            .isTrue();
      }
    }
    for (TestServer server : s) {
      assertThat(server.calls()).as("%s: attempts on %s", policy, server.name).isEqualTo(calls);
    }
  }

  @Test
  void onlyOneEndpointReady_theHedgeGoesBackToItRatherThanFail() throws Exception {
    List<TestServer> s = start(2, Duration.ofMillis(100));
    ManagedChannel channel = channel(s, hedgingConfig("lb_round_robin", 2));
    reachAll(channel, s);
    TestServer stopped = s.get(1);
    stopped.stop();
    TestServer only = s.get(0);
    // The stopped server's subchannel leaves READY; calls still succeed on the one left.
    Channels.await(
        () -> {
          only.resetCalls();
          return "s0".equals(Channels.who(channel));
        },
        Duration.ofSeconds(10),
        "calls served by s0 alone");
    awaitIdle(s);
    only.resetCalls();

    assertThat(Channels.call(channel, TestServer.WHO, Channels.waitForReady())).isEqualTo("s0");
    // The hedge had no unused endpoint, so it went to the one there is: two attempts there.
    assertThat(only.awaitCalls(2, Duration.ofSeconds(5))).isTrue();
  }
}
