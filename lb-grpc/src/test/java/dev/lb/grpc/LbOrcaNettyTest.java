package dev.lb.grpc;

import static dev.lb.grpc.Channels.distribution;
import static dev.lb.grpc.Channels.warmUp;
import static org.assertj.core.api.Assertions.assertThat;

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
 * {@code lb_orca_weighted_round_robin} in a real channel against real Netty servers on 127.0.0.1
 * that send ORCA's {@code endpoint-load-metrics-bin} trailer with gRPC's own server interceptor:
 * traffic follows the reported utilization.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbOrcaNettyTest {
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

  @Test
  void trafficShiftsToTheServerReportingLowerUtilization() throws Exception {
    TestServer cool = start("cool").reportLoad(0.2, 100);
    TestServer hot = start("hot").reportLoad(0.8, 100);
    ManagedChannel channel = weighted(cool, hot, Map.of());
    // Until weights are computed the split is even; once they are, four to one.
    awaitMostCallsTo(channel, "cool");
    Map<String, Integer> counts = distribution(channel, 1000);
    assertThat(counts.get("cool")).as("%s", counts).isBetween(750, 850);
  }

  /**
   * A warmed-up channel over {@code a} and {@code b} with {@code lb_orca_weighted_round_robin}: no
   * blackout and a short update period (real time, so the test does not wait 10 s), then {@code
   * options}.
   */
  private ManagedChannel weighted(TestServer a, TestServer b, Map<String, ?> options) {
    Map<String, Object> all = new java.util.HashMap<>(options);
    all.put("blackoutPeriod", "0s");
    all.put("weightUpdatePeriod", "0.1s");
    ManagedChannel channel =
        Channels.builder("lb:///" + a.address() + "," + b.address())
            .defaultServiceConfig(Channels.serviceConfig("lb_orca_weighted_round_robin", all))
            .build();
    channels.add(channel);
    warmUp(channel, List.of(a, b), Duration.ofSeconds(10));
    return channel;
  }

  private static void awaitMostCallsTo(ManagedChannel channel, String server)
      throws InterruptedException {
    Channels.await(
        () -> distribution(channel, 100).getOrDefault(server, 0) >= 75,
        Duration.ofSeconds(20),
        server + " takes most calls");
  }

  @Test
  void outOfBandReports_streamedByTheServers_steerTraffic_whileTrailersAreIgnored()
      throws Exception {
    // Out of band, cool reports 0.2 and hot 0.8; in trailers they claim the opposite, which the
    // policy must not read when it asked for out-of-band reports (A58).
    TestServer cool = start("cool").reportOutOfBand(0.2, 100).reportLoad(0.8, 100);
    TestServer hot = start("hot").reportOutOfBand(0.8, 100).reportLoad(0.2, 100);
    ManagedChannel channel =
        weighted(cool, hot, Map.of("enableOobLoadReport", true, "oobReportingPeriod", "0.05s"));
    awaitMostCallsTo(channel, "cool");
    Map<String, Integer> counts = distribution(channel, 1000);
    assertThat(counts.get("cool")).as("%s", counts).isBetween(750, 850);
    String target = "lb:///" + cool.address() + "," + hot.address();
    assertThat(LbChannels.stats(target).get(0).endpoints())
        .allSatisfy(e -> assertThat(e.loadReport()).isNotNull());

    // The load moves: the streamed reports follow it without a call carrying anything new.
    cool.reportOutOfBand(0.9, 100);
    hot.reportOutOfBand(0.1, 100);
    awaitMostCallsTo(channel, "hot");
  }

  @Test
  void serversThatReportNothing_keepTheStaticWeights() throws Exception {
    TestServer a = start("a");
    TestServer b = start("b");
    ManagedChannel channel =
        Channels.builder("lb:///" + a.address() + ";weight=3," + b.address())
            .defaultServiceConfig(
                Channels.serviceConfig(
                    "lb_orca_weighted_round_robin",
                    Map.of("blackoutPeriod", "0s", "weightUpdatePeriod", "0.1s")))
            .build();
    channels.add(channel);
    warmUp(channel, List.of(a, b), Duration.ofSeconds(10));
    Map<String, Integer> counts = distribution(channel, 800);
    assertThat(counts.get("a")).as("%s", counts).isBetween(560, 640);
  }
}
