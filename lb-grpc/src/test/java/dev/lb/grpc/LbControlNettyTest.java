package dev.lb.grpc;

import static dev.lb.grpc.Channels.warmUp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.PickContext;
import dev.lb.health.DrainResult;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runtime control ({@link LbControl}) and static backups against real Netty servers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbControlNettyTest {
  private static final AtomicInteger GROUPS = new AtomicInteger();

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
    for (String name : names) {
      servers.add(TestServer.netty(name));
    }
    return List.copyOf(servers);
  }

  private ManagedChannel track(ManagedChannel c) {
    channels.add(c);
    return c;
  }

  private static String staticTarget(List<TestServer> servers) {
    List<String> entries = new ArrayList<>();
    for (TestServer s : servers) {
      entries.add(s.address());
    }
    return "lb:///" + String.join(",", entries);
  }

  @Test
  void disableThenEnable_takesTheEndpointOutAndBack() throws Exception {
    List<TestServer> s = start("a", "b");
    String target = staticTarget(s);
    ManagedChannel channel = track(Channels.lbChannel(target, "lb_round_robin"));
    warmUp(channel, s, Duration.ofSeconds(10));
    LbControl control = LbChannels.control(target);

    assertThat(control.disable(s.get(1).address())).isTrue();
    assertThat(control.disable(s.get(1).address())).as("already disabled").isFalse();
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("a", 20));

    assertThat(control.enable(s.get(1).address())).isTrue();
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("a", 10, "b", 10));
    assertThat(control.stats()).hasSize(1);
    assertThat(control.target()).isEqualTo(target);
  }

  @Test
  void drain_waitsForTheOpenStream_whileNewCallsGoElsewhere() throws Exception {
    List<TestServer> s = start("a", "b");
    TestServer b = s.get(1);
    String target = staticTarget(s);
    ManagedChannel channel = track(Channels.lbChannel(target, "lb_round_robin"));
    warmUp(channel, s, Duration.ofSeconds(10));
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    ClientCalls.asyncServerStreamingCall(
        channel.newCall(
            TestServer.WATCH,
            Channels.waitForReady()
                .withOption(
                    LbCallOptions.PICK_CONTEXT,
                    PickContext.builder().exclude(s.get(0).address()).build())),
        "watch",
        new StreamObserver<String>() {
          @Override
          public void onNext(String value) {
            first.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("b");

    CompletableFuture<DrainResult> drained =
        LbChannels.control(target).drain(b.address(), Duration.ofSeconds(30)).toCompletableFuture();
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("a", 20));
    assertThat(drained).as("the stream is still open").isNotDone();

    b.endWatches();
    done.get(10, TimeUnit.SECONDS);
    assertThat(drained.get(10, TimeUnit.SECONDS)).isEqualTo(DrainResult.DRAINED);
    assertThat(Channels.distribution(channel, 10))
        .as("drained stays out")
        .isEqualTo(Map.of("a", 10));
  }

  @Test
  void disabledEndpoint_staysOut_whenAnOptionChangeRebuildsTheBalancer() throws Exception {
    List<TestServer> s = start("a", "b");
    String group = "control-" + GROUPS.incrementAndGet();
    EndpointRegistry registry = EndpointRegistry.global();
    registry.set(
        group,
        List.of(
            Endpoint.of("127.0.0.1", s.get(0).port()), Endpoint.of("127.0.0.1", s.get(1).port())));
    registry.serviceConfig(
        group, Channels.serviceConfig("lb_round_robin", Map.of("decayWindow", "10s")));
    String target = "lb:///" + group;
    Set<LoadBalancer> balancers = balancersOf(target);
    ManagedChannel channel = track(Channels.builder(target).build());
    warmUp(channel, s, Duration.ofSeconds(10));
    LbControl control = LbChannels.control(target);
    control.disable(s.get(1).address());
    Channels.distribution(channel, 10);

    registry.serviceConfig(
        group, Channels.serviceConfig("lb_round_robin", Map.of("decayWindow", "5s")));
    Channels.await(() -> balancers.size() == 2, Duration.ofSeconds(10), "a rebuilt balancer");

    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("a", 20));
    control.enable(s.get(1).address());
    Channels.await(
        () -> Channels.distribution(channel, 20).containsKey("b"),
        Duration.ofSeconds(10),
        "b back in rotation");
  }

  @Test
  void optionChange_keepsEachEndpointsStatisticsAndEjection() throws Exception {
    List<TestServer> s = start("a", "b", "c");
    String group = "control-" + GROUPS.incrementAndGet();
    EndpointRegistry registry = EndpointRegistry.global();
    List<Endpoint> endpoints = new ArrayList<>();
    for (TestServer server : s) {
      endpoints.add(Endpoint.of("127.0.0.1", server.port()));
    }
    registry.set(group, endpoints);
    Map<String, ?> outliers =
        Map.of(
            "outlierDetection",
            Map.of(
                "consecutiveFailures", 2.0,
                "maxEjectionPercent", 50.0,
                "baseEjectionTime", "5m"));
    registry.serviceConfig(group, Channels.serviceConfig("lb_round_robin", outliers));
    String target = "lb:///" + group;
    Set<LoadBalancer> balancers = balancersOf(target);
    ManagedChannel channel = track(Channels.builder(target).build());
    warmUp(channel, s, Duration.ofSeconds(10));
    Channels.distribution(channel, 30);
    s.get(2).unavailable(true);
    Channels.await(
        () -> {
          Channels.callStatus(channel, Channels.waitForReady());
          return LbChannels.stats(target).get(0).endpoints().stream()
              .anyMatch(e -> e.health() == dev.lb.health.HealthStatus.EJECTED);
        },
        Duration.ofSeconds(10),
        "c ejected");
    Map<String, EndpointStats> before = byId(target);
    assertThat(before.get(s.get(2).address()).ejections()).isEqualTo(1);

    Map<String, Object> changed = new java.util.HashMap<>(outliers);
    changed.put("decayWindow", "5s");
    registry.serviceConfig(group, Channels.serviceConfig("lb_round_robin", changed));
    Channels.await(() -> balancers.size() == 2, Duration.ofSeconds(10), "a rebuilt balancer");

    Map<String, EndpointStats> after = byId(target);
    for (TestServer server : s) {
      String id = server.address();
      assertThat(after.get(id).successes())
          .as("%s's successes carried over", id)
          .isGreaterThanOrEqualTo(before.get(id).successes());
      assertThat(after.get(id).failures()).isEqualTo(before.get(id).failures());
    }
    EndpointStats c = after.get(s.get(2).address());
    assertThat(c.health()).isEqualTo(dev.lb.health.HealthStatus.EJECTED);
    assertThat(c.ejections()).isEqualTo(1);
    assertThat(Channels.distribution(channel, 30)).doesNotContainKey("c");
  }

  /** The balancers the channel of {@code target} builds, as their events name them. */
  private static Set<LoadBalancer> balancersOf(String target) {
    Set<LoadBalancer> seen = ConcurrentHashMap.newKeySet();
    LbChannels.addListener(
        target,
        new LoadBalancerListener() {
          @Override
          public void onRoutingChanged(LoadBalancer lb) {
            seen.add(lb);
          }
        });
    return seen;
  }

  private static Map<String, EndpointStats> byId(String target) {
    Map<String, EndpointStats> byId = new java.util.HashMap<>();
    for (EndpointStats e : LbChannels.stats(target).get(0).endpoints()) {
      byId.put(e.endpoint().id(), e);
    }
    return byId;
  }

  @Test
  void staticBackup_takesCallsOnlyWhenThePrimaryIsDown() throws Exception {
    List<TestServer> s = start("primary", "backup");
    String target = "lb:///" + s.get(0).address() + "," + s.get(1).address() + ";backup";
    // Retries on UNAVAILABLE: a call racing the primary's stop is retried, on the backup.
    ManagedChannel channel =
        track(
            Channels.builder(target)
                .defaultServiceConfig(Channels.serviceConfigWithRetry("lb_round_robin"))
                .build());
    // The first call may go to the backup while the primary is still connecting: wait until
    // both are READY (healthy in the balancer).
    Channels.who(channel);
    Channels.await(
        () ->
            LbChannels.stats(target).get(0).endpoints().stream()
                .allMatch(e -> e.health() == dev.lb.health.HealthStatus.HEALTHY),
        Duration.ofSeconds(10),
        "both endpoints connected");
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("primary", 20));

    s.get(0).stop();
    Channels.await(
        () -> "backup".equals(Channels.who(channel)), Duration.ofSeconds(10), "the backup answers");
    assertThat(Channels.distribution(channel, 20)).isEqualTo(Map.of("backup", 20));
  }

  @Test
  void control_unknownEndpointOrNoPolicy_throwsNamingThem() {
    LbControl none = LbChannels.control("lb:///nobody-here");
    assertThatThrownBy(() -> none.disable("10.0.0.1:80"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "no live lb policy of 'lb:///nobody-here' has endpoint '10.0.0.1:80'");
    assertThatThrownBy(() -> none.drain("10.0.0.1:80", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be positive but was PT0S");
    assertThatThrownBy(() -> LbChannels.control(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThat(none.stats()).isEmpty();
  }
}
