package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.strategy.Prequal;
import dev.lb.strategy.Strategies;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
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
 * {@code lb_prequal} in a real channel against real Netty servers on 127.0.0.1: each server tracks
 * its own requests in flight ({@link ProbeService#tracking}) and answers lb's probe RPC ({@link
 * ProbeService#definition}); the policy probes every server over its subchannel and sends the calls
 * to the servers that report the least load, counted at the servers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbPrequalNettyTest {
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

  private TestServer start(String name) throws Exception {
    TestServer s = TestServer.netty(name);
    servers.add(s);
    return s;
  }

  /** Opens {@code n} watch streams straight to {@code server}: load that the server counts. */
  private void loadDirectly(TestServer server, int n) throws Exception {
    ManagedChannel direct = Channels.builder(server.address()).build();
    channels.add(direct);
    for (int i = 0; i < n; i++) {
      ClientCall<String, String> call =
          direct.newCall(TestServer.WATCH, CallOptions.DEFAULT.withWaitForReady());
      call.start(
          new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {}
          },
          new Metadata());
      call.request(Integer.MAX_VALUE);
      call.sendMessage("hi");
      call.halfClose();
    }
    Channels.await(
        () -> server.probeLoad.requestsInFlight() == n,
        Duration.ofSeconds(10),
        n + " streams in flight at " + server.name);
  }

  @Test
  void callsAvoidTheServerReportingLoad_probesTravelOverEachSubchannel() throws Exception {
    TestServer a = start("a");
    TestServer b = start("b");
    TestServer busy = start("busy");
    loadDirectly(busy, 20); // another client's 20 calls in flight there
    ManagedChannel channel =
        Channels.builder("lb:///" + a.address() + "," + b.address() + "," + busy.address())
            .defaultServiceConfig(
                Channels.serviceConfig(
                    "lb_prequal",
                    // With three servers a pool of answers holds the busy one's often enough for
                    // it to reach the 0.8 quantile itself (and so count as cold): the median makes
                    // the wire test independent of that.
                    Map.of("minEndpoints", 2.0, "probesPerPick", 2.0, "hotQuantile", 0.5)))
            .build();
    channels.add(channel);
    Channels.warmUp(channel, List.of(a, b, busy), Duration.ofSeconds(10));
    for (TestServer s : servers) {
      s.resetCalls();
    }
    Map<String, Integer> counts = Channels.distribution(channel, 300);
    // At random the busy server would take a third (100); probes see its 20 calls in flight. It
    // still takes some: a pick with no usable answer is peak EWMA's, which sees no difference
    // between the servers from this client, and serial calls on loopback can outrun the probes (31
    // of the 300 in one full build here). Half the random share is the bound, clear of both.
    assertThat(busy.calls()).as("%s", counts).isLessThan(50);
    assertThat(a.calls() + b.calls() + busy.calls()).isEqualTo(300); // probes are not calls
    for (TestServer s : servers) {
      assertThat(s.probes()).as("probes answered by %s", s.name).isPositive();
    }
  }

  @Test
  void serviceConfig_prequalOptions_parsedAndValidated() {
    PolicyConfig c =
        PolicyConfig.parseOrThrow(
            "lb_prequal",
            Strategies.prequal(),
            Map.of(
                "poolSize",
                4.0,
                "hotQuantile",
                0.5,
                "maxProbeAge",
                "2s",
                "probeTimeout",
                "0.1s",
                "reuseBudget",
                3.0));
    Prequal p = (Prequal) c.strategy;
    assertThat(p.poolSize()).isEqualTo(4);
    assertThat(p.hotQuantile()).isEqualTo(0.5);
    assertThat(p.maxProbeAge()).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.probeTimeout()).isEqualTo(Duration.ofMillis(100));
    assertThat(p.reuseBudget()).isEqualTo(3);
    assertThatThrownBy(
            () ->
                PolicyConfig.parseOrThrow(
                    "lb_prequal", Strategies.prequal(), Map.of("poolSize", 1.5)))
        .hasMessageContaining("poolSize")
        .hasMessageContaining("1.5");
    assertThatThrownBy(
            () ->
                PolicyConfig.parseOrThrow(
                    "lb_prequal", Strategies.prequal(), Map.of("hotQuantile", 2.0)))
        .hasMessageContaining("hotQuantile")
        .hasMessageContaining("2.0");
    assertThatThrownBy(
            () ->
                PolicyConfig.parseOrThrow(
                    "lb_round_robin", Strategies.roundRobin(), Map.of("poolSize", 4.0)))
        .hasMessageContaining("unknown field 'poolSize'");
    assertThatThrownBy(
            () ->
                PolicyConfig.parseOrThrow(
                    "lb", null, Map.of("strategy", "round_robin", "poolSize", 4.0)))
        .hasMessageContaining("poolSize is an option of prequal only");
  }
}
