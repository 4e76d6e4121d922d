package dev.lb.grpc;

import static dev.lb.grpc.Channels.call;
import static dev.lb.grpc.Channels.distribution;
import static dev.lb.grpc.Channels.lbChannel;
import static dev.lb.grpc.Channels.warmUp;
import static dev.lb.grpc.Channels.who;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.health.HealthStatus;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lb policies in real gRPC channels against real Netty servers on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbPolicyNettyTest {
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

  private List<TestServer> start(String... names) throws Exception {
    List<TestServer> started = new ArrayList<>();
    for (String name : names) {
      TestServer s = TestServer.netty(name);
      servers.add(s);
      started.add(s);
    }
    return started;
  }

  private ManagedChannel track(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  private static String staticTarget(List<TestServer> servers) {
    List<String> entries = new ArrayList<>();
    for (TestServer s : servers) {
      entries.add(s.address());
    }
    return "lb:///" + String.join(",", entries);
  }

  @Test
  void roundRobin_threeServers_spreadsEvenly() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    ManagedChannel channel = track(lbChannel(staticTarget(s), "lb_round_robin"));
    warmUp(channel, s, Duration.ofSeconds(10));

    assertThat(distribution(channel, 300)).isEqualTo(Map.of("a", 100, "b", 100, "c", 100));
  }

  @Test
  void weightedRoundRobin_registryWeights3to1_gives3to1Traffic() throws Exception {
    List<TestServer> s = start("heavy", "light");
    EndpointRegistry.global()
        .set(
            "weighted-3-1",
            List.of(
                Endpoint.builder("127.0.0.1", s.get(0).port()).weight(3).zone("z1").build(),
                Endpoint.of("127.0.0.1", s.get(1).port())));
    ManagedChannel channel = track(lbChannel("lb:///weighted-3-1", "lb_weighted_round_robin"));
    warmUp(channel, s, Duration.ofSeconds(10));

    assertThat(distribution(channel, 400)).isEqualTo(Map.of("heavy", 300, "light", 100));
  }

  @Test
  void weightedRandom_staticTargetWeights3to1_givesAbout3to1Traffic() throws Exception {
    List<TestServer> s = start("heavy", "light");
    String target = "lb:///" + s.get(0).address() + ";weight=3," + s.get(1).address();
    ManagedChannel channel = track(lbChannel(target, "lb_weighted_random"));
    warmUp(channel, s, Duration.ofSeconds(10));

    Map<String, Integer> counts = distribution(channel, 2000);
    // Binomial(2000, 0.75): mean 1500, standard deviation 19.4; 1400..1600 is beyond 5 sigma.
    assertThat(counts.get("heavy")).isBetween(1400, 1600);
  }

  @Test
  void peakEwma_oneSlowServer_getsLittleTraffic() throws Exception {
    List<TestServer> s = start("fast1", "fast2", "slow");
    s.get(2).delay(Duration.ofMillis(40));
    // A short decay window, so that a cold first call (class loading, JIT) is forgotten in
    // milliseconds, as a real service forgets it over its default 10 s.
    ManagedChannel channel =
        track(
            Channels.builder(staticTarget(s))
                .defaultServiceConfig(
                    Channels.serviceConfig("lb_peak_ewma", Map.of("decayWindow", "0.1s")))
                .build());
    warmUp(channel, s, Duration.ofSeconds(10));

    Map<String, Integer> counts = distribution(channel, 300);
    assertThat(counts.getOrDefault("slow", 0)).as("%s", counts).isLessThan(30);
    assertThat(counts.get("fast1")).as("%s", counts).isGreaterThan(60);
    assertThat(counts.get("fast2")).as("%s", counts).isGreaterThan(60);
  }

  @Test
  void serverStoppedMidRun_callsMoveWithNoFailures_andItReturnsAfterRestart() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    TestServer victim = s.get(0);
    ManagedChannel channel =
        track(
            Channels.builder(staticTarget(s))
                .defaultServiceConfig(Channels.serviceConfigWithRetry("lb_round_robin"))
                .build());
    warmUp(channel, s, Duration.ofSeconds(10));

    CallLoad load = new CallLoad(channel, 4);
    try {
      assertThat(load.awaitCalls(200, 10, TimeUnit.SECONDS)).isTrue();
      // A graceful stop: a killed server resets the calls it holds with RST_STREAM(CANCEL), which
      // the client sees as CANCELLED and gRPC does not retry.
      victim.stopGracefully();
      int victimCallsAtStop = victim.calls();
      assertThat(load.awaitCalls(400, 10, TimeUnit.SECONDS)).isTrue();
      assertThat(victim.calls()).isEqualTo(victimCallsAtStop);

      victim.resetCalls();
      victim.restart();
      channel.resetConnectBackoff();
      assertThat(victim.awaitCalls(20, Duration.ofSeconds(10)))
          .as("the restarted server gets calls again")
          .isTrue();
    } finally {
      load.stop();
    }
    assertThat(load.failures()).as("failed calls, first: %s", load.firstFailure()).isZero();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void serverKilledMidRun_retryOnUnavailableAndCancelled_noFailures_noLeaseLeft() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    TestServer victim = s.get(0);
    String target = staticTarget(s);
    // What a user configures for an idempotent method: a kill resets the calls the server holds
    // (RST_STREAM CANCEL, seen as CANCELLED) and fails those racing with it as UNAVAILABLE.
    ManagedChannel channel =
        track(
            Channels.builder(target)
                .defaultServiceConfig(
                    Channels.serviceConfigWithRetry(
                        "lb_least_connections", List.of("UNAVAILABLE", "CANCELLED")))
                .build());
    warmUp(channel, s, Duration.ofSeconds(10));

    CallLoad load = new CallLoad(channel, 8);
    try {
      assertThat(load.awaitCalls(200, 10, TimeUnit.SECONDS)).isTrue();
      // The victim stops answering, so that the kill certainly catches calls in flight on it.
      // Delay first: every call counted after the reset has read the delay after it was set.
      victim.delay(Duration.ofMinutes(1));
      victim.resetCalls();
      assertThat(victim.awaitCalls(2, Duration.ofSeconds(10))).isTrue();
      assertThat(victim.inFlight()).isGreaterThanOrEqualTo(2);
      victim.stop(); // shutdownNow: connections closed, calls in flight reset
      assertThat(load.awaitCalls(400, 10, TimeUnit.SECONDS)).isTrue();

      victim.resetCalls();
      victim.delay(Duration.ZERO);
      victim.restart();
      channel.resetConnectBackoff();
      assertThat(victim.awaitCalls(20, Duration.ofSeconds(10)))
          .as("the restarted server gets calls again")
          .isTrue();
    } finally {
      load.stop();
    }
    assertThat(load.failures()).as("failed calls, first: %s", load.firstFailure()).isZero();
    // Every call has returned, so every lease must have been reported: the kill dropped picks
    // onto the victim's dying transport, and those leases were cancelled, not leaked.
    List<BalancerStats> stats = LbChannels.stats(target);
    assertThat(stats).hasSize(1);
    assertThat(stats.get(0).endpoints())
        .allSatisfy(e -> assertThat(e.inFlight()).as("%s in flight", e.endpoint().id()).isZero());
  }

  @Test
  void healthCheck_notServingServerIsDrained_andBackAfterTheRiseThreshold() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    TestServer b = s.get(1);
    String target = staticTarget(s);
    Map<String, ?> healthCheck =
        Map.of(
            "interval",
            "0.02s",
            "timeout",
            "1s",
            "healthyThreshold",
            3.0,
            "unhealthyThreshold",
            2.0);
    ManagedChannel channel =
        track(
            Channels.builder(target)
                .defaultServiceConfig(
                    Channels.serviceConfig("lb_round_robin", Map.of("healthCheck", healthCheck)))
                .build());
    warmUp(channel, s, Duration.ofSeconds(10));
    for (TestServer server : s) {
      awaitHealth(channel, target, server.address(), HealthStatus.HEALTHY);
    }
    String bId = b.address();

    b.health.setStatus("", ServingStatus.NOT_SERVING);
    awaitHealth(channel, target, bId, HealthStatus.UNHEALTHY);
    assertThat(stats(target, bId).lastCheck().reason()).isEqualTo("NOT_SERVING");
    assertThat(distribution(channel, 100)).isEqualTo(Map.of("a", 50, "c", 50));

    b.health.setStatus("", ServingStatus.SERVING);
    awaitHealth(channel, target, bId, HealthStatus.HEALTHY);
    warmUp(channel, s, Duration.ofSeconds(10));
    assertThat(distribution(channel, 90)).isEqualTo(Map.of("a", 30, "b", 30, "c", 30));
  }

  /** Keeps calling until the endpoint has {@code health}, or fails after 10 s. */
  private static void awaitHealth(
      ManagedChannel channel, String target, String id, HealthStatus health) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (stats(target, id).health() != health) {
      assertThat(System.nanoTime()).as("%s becomes %s", id, health).isLessThan(deadline);
      who(channel);
    }
  }

  private static EndpointStats stats(String target, String id) {
    for (EndpointStats e : LbChannels.stats(target).get(0).endpoints()) {
      if (e.endpoint().id().equals(id)) {
        return e;
      }
    }
    throw new AssertionError("no endpoint " + id + " in " + LbChannels.stats(target));
  }

  @Test
  void finalStatus_isReportedOnTheLease_asConfigured() throws Exception {
    TestServer server = start("only").get(0);
    String target = "lb:///" + server.address() + ";zone=z1";
    ManagedChannel channel = track(lbChannel(target, "lb_least_connections"));
    CallOptions opts = Channels.waitForReady();

    assertThat(who(channel)).isEqualTo("only");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> call(channel, TestServer.FAIL, opts))
          .isInstanceOf(StatusRuntimeException.class)
          .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
          .isEqualTo(Status.Code.UNAVAILABLE);
    }
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> call(channel, TestServer.MISSING, opts))
          .isInstanceOf(StatusRuntimeException.class);
    }

    EndpointStats stats = onlyEndpoint(target);
    assertThat(stats.endpoint().zone()).isEqualTo("z1");
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.failures()).as("UNAVAILABLE counts against the endpoint").isEqualTo(3);
    assertThat(stats.successes()).as("OK and NOT_FOUND are the server's answers").isEqualTo(3);
    assertThat(stats.latencyEwmaNanos()).isPositive();
  }

  @Test
  void failureStatuses_option_changesTheClassification() throws Exception {
    TestServer server = start("only").get(0);
    String target = "lb:///" + server.address();
    ManagedChannel channel =
        track(
            Channels.builder(target)
                .defaultServiceConfig(
                    Channels.serviceConfig(
                        "lb_round_robin", Map.of("failureStatuses", List.of("NOT_FOUND"))))
                .build());
    CallOptions opts = Channels.waitForReady();

    assertThatThrownBy(() -> call(channel, TestServer.MISSING, opts))
        .isInstanceOf(StatusRuntimeException.class);
    assertThatThrownBy(() -> call(channel, TestServer.FAIL, opts))
        .isInstanceOf(StatusRuntimeException.class);

    EndpointStats stats = onlyEndpoint(target);
    assertThat(stats.failures()).isEqualTo(1);
    assertThat(stats.successes()).isEqualTo(1);
  }

  @Test
  void stats_nameTheChannelsStrategy_andDisappearWhenTheChannelShutsDown() throws Exception {
    List<TestServer> s = start("a", "b");
    String target = staticTarget(s);
    ManagedChannel channel = lbChannel(target, "lb_p2c");
    warmUp(channel, s, Duration.ofSeconds(10));

    List<BalancerStats> stats = LbChannels.stats(target);
    assertThat(stats).hasSize(1);
    assertThat(stats.get(0).strategyName()).isEqualTo("p2c");
    assertThat(stats.get(0).endpoints()).hasSize(2);
    assertThat(LbChannels.targets()).contains(target);

    channel.shutdownNow();
    assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    assertThat(LbChannels.stats(target)).isEmpty();
  }

  private static EndpointStats onlyEndpoint(String target) {
    List<BalancerStats> stats = LbChannels.stats(target);
    assertThat(stats).hasSize(1);
    assertThat(stats.get(0).endpoints()).hasSize(1);
    return stats.get(0).endpoints().get(0);
  }

  /** Threads calling {@code who} in a loop until stopped, counting calls and failures. */
  private static final class CallLoad {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final Semaphore done = new Semaphore(0);
    private final ExecutorService workers;
    private final List<Future<?>> futures = new ArrayList<>();

    CallLoad(Channel channel, int threads) {
      workers = Executors.newFixedThreadPool(threads);
      for (int w = 0; w < threads; w++) {
        futures.add(
            workers.submit(
                () -> {
                  while (running.get()) {
                    try {
                      who(channel);
                    } catch (StatusRuntimeException e) {
                      failures.incrementAndGet();
                      firstFailure.compareAndSet(null, e);
                    }
                    done.release();
                  }
                }));
      }
    }

    /** Waits for {@code n} more calls to end, successful or not; false on timeout. */
    boolean awaitCalls(int n, long timeout, TimeUnit unit) throws InterruptedException {
      return done.tryAcquire(n, timeout, unit);
    }

    /** Stops the threads and waits for their last calls. */
    void stop() throws Exception {
      running.set(false);
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      workers.shutdownNow();
    }

    int failures() {
      return failures.get();
    }

    Throwable firstFailure() {
      return firstFailure.get();
    }
  }
}
