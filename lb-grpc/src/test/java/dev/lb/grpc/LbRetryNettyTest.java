package dev.lb.grpc;

import static dev.lb.grpc.Channels.warmUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.PickContext;
import dev.lb.health.HealthStatus;
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

/**
 * gRPC's own retries and hedges, with {@link LbCallOptions#avoidPreviousEndpoints()}, go to an
 * endpoint the call has not used yet: counted at real Netty servers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbRetryNettyTest {
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

  private static String target(List<TestServer> servers) {
    List<String> entries = new ArrayList<>();
    for (TestServer s : servers) {
      entries.add(s.address());
    }
    return "lb:///" + String.join(",", entries);
  }

  private ManagedChannel channel(String target, Map<String, ?> serviceConfig, boolean avoid) {
    var builder = Channels.builder(target).defaultServiceConfig(serviceConfig).enableRetry();
    if (avoid) {
      builder.intercept(LbCallOptions.avoidPreviousEndpoints());
    }
    ManagedChannel c = builder.build();
    channels.add(c);
    return c;
  }

  private static Map<String, ?> retryConfig(String policy) {
    return Channels.serviceConfigWithRetry(policy, List.of("UNAVAILABLE"));
  }

  /** Waits until the balancer sees the endpoint of {@code server} as {@code status}. */
  private static void awaitHealth(String target, TestServer server, HealthStatus status)
      throws InterruptedException {
    Channels.await(
        () ->
            LbChannels.stats(target).stream()
                .flatMap(b -> b.endpoints().stream())
                .anyMatch(e -> e.endpoint().port() == server.port() && e.health() == status),
        Duration.ofSeconds(10),
        server.name + " " + status);
  }

  @Test
  void attemptObserver_isToldEachAttemptsEndpointAndNumber_forTracing() throws Exception {
    List<TestServer> s = start("refusing", "good");
    TestServer refusing = s.get(0);
    TestServer good = s.get(1);
    ManagedChannel channel = channel(target(s), retryConfig("lb_round_robin"), true);
    warmUp(channel, s, Duration.ofSeconds(10));
    refusing.unavailable(true);

    List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    AttemptObserver observer =
        (endpoint, attempt, transparent) ->
            told.add(endpoint.port() + "#" + attempt + (transparent ? " transparent" : ""));
    CallOptions observed =
        Channels.waitForReady().withOption(LbCallOptions.ATTEMPT_OBSERVER, observer);
    for (int i = 0; i < 4; i++) {
      told.clear();
      assertThat(Channels.call(channel, TestServer.WHO, observed)).isEqualTo("good");
      // Round robin alternates: a call that started on the refusing server was retried (attempt
      // 2) on the good one; one that started on the good one had a single attempt.
      assertThat(told)
          .isIn(List.of(refusing.port() + "#1", good.port() + "#2"), List.of(good.port() + "#1"));
    }
  }

  @Test
  void retry_oneServerKilled_oneUnavailable_landsElsewhereEveryTime() throws Exception {
    List<TestServer> s = start("killed", "refusing", "good");
    TestServer killed = s.get(0);
    TestServer refusing = s.get(1);
    TestServer good = s.get(2);
    String target = target(s);
    ManagedChannel channel = channel(target, retryConfig("lb_random"), true);
    warmUp(channel, s, Duration.ofSeconds(10));

    killed.stop();
    awaitHealth(target, killed, HealthStatus.UNHEALTHY);
    refusing.unavailable(true);
    refusing.resetCalls();
    good.resetCalls();
    killed.resetCalls();

    int calls = 200;
    int refused = 0;
    for (int i = 0; i < calls; i++) {
      int refusingBefore = refusing.calls();
      int goodBefore = good.calls();
      assertThat(Channels.who(channel)).isEqualTo("good");
      // Each call reached the refusing server at most once: its retry went to the good one.
      int refusedNow = refusing.calls() - refusingBefore;
      assertThat(refusedNow)
          .as("call %d: attempts on the refusing server", i)
          .isLessThanOrEqualTo(1);
      assertThat(good.calls() - goodBefore)
          .as("call %d: attempts on the good server", i)
          .isEqualTo(1);
      refused += refusedNow;
    }
    assertThat(killed.calls()).isZero();
    // Random picks between the two live servers: about half the first attempts were refused.
    assertThat(refused).as("calls whose first attempt was refused").isGreaterThan(20);
  }

  @Test
  void retry_sameHashKey_goesToTheNextEndpointNotBackToTheFailedOne() throws Exception {
    List<TestServer> s = start("a", "b");
    String target = target(s);
    ManagedChannel channel = channel(target, retryConfig("lb_ring_hash"), true);
    warmUp(channel, s, Duration.ofSeconds(10));
    CallOptions keyed =
        Channels.waitForReady().withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey("k1"));
    String owner = Channels.call(channel, TestServer.WHO, keyed);
    TestServer ownerServer = owner.equals("a") ? s.get(0) : s.get(1);
    TestServer other = ownerServer == s.get(0) ? s.get(1) : s.get(0);
    ownerServer.unavailable(true);
    ownerServer.resetCalls();
    other.resetCalls();

    for (int i = 0; i < 20; i++) {
      int ownerBefore = ownerServer.calls();
      assertThat(Channels.call(channel, TestServer.WHO, keyed)).isEqualTo(other.name);
      assertThat(ownerServer.calls() - ownerBefore).isLessThanOrEqualTo(1);
    }
    // At most one attempt per call on the key's owner (fewer once its failures eject it), and
    // every call answered by the other server at its first retry.
    assertThat(ownerServer.calls()).isBetween(1, 20);
    assertThat(other.calls()).isEqualTo(20);
  }

  @Test
  void retry_withoutTheInterceptor_sameHashKey_retriesTheFailedEndpoint() throws Exception {
    List<TestServer> s = start("a", "b");
    String target = target(s);
    ManagedChannel channel = channel(target, retryConfig("lb_ring_hash"), false);
    warmUp(channel, s, Duration.ofSeconds(10));
    CallOptions keyed =
        Channels.waitForReady().withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey("k1"));
    String owner = Channels.call(channel, TestServer.WHO, keyed);
    TestServer ownerServer = owner.equals("a") ? s.get(0) : s.get(1);
    ownerServer.unavailable(true);
    ownerServer.resetCalls();

    assertThat(Channels.callStatus(channel, keyed).getCode())
        .isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
    assertThat(ownerServer.calls()).as("all five attempts on the same endpoint").isEqualTo(5);
  }

  @Test
  void onlyUsedEndpointsLeft_retryGoesBackRatherThanFail() throws Exception {
    List<TestServer> s = start("only");
    TestServer only = s.get(0);
    ManagedChannel channel = channel(target(s), retryConfig("lb_round_robin"), true);
    warmUp(channel, s, Duration.ofSeconds(10));
    only.unavailable(true);
    only.resetCalls();

    assertThat(Channels.callStatus(channel, Channels.waitForReady()).getCode())
        .isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
    assertThat(only.calls()).as("every attempt, on the one endpoint there is").isEqualTo(5);
  }

  @Test
  void hedging_sameHashKey_hedgedAttemptGoesToAnotherEndpoint() throws Exception {
    List<TestServer> s = start("a", "b");
    for (TestServer server : s) {
      server.delay(Duration.ofMillis(100));
    }
    Map<String, ?> hedging =
        Map.of(
            "maxAttempts",
            2.0,
            "hedgingDelay",
            "0.01s",
            "nonFatalStatusCodes",
            List.of("UNAVAILABLE"));
    Map<String, ?> config =
        Map.of(
            "loadBalancingConfig",
            List.of(Map.of("lb_ring_hash", Map.of())),
            "methodConfig",
            List.of(
                Map.of("name", List.of(Map.of("service", "test.Echo")), "hedgingPolicy", hedging)));
    ManagedChannel channel = channel(target(s), config, true);
    // Both servers have received an attempt (so both subchannels are ready). Not warmUp(), which
    // waits for each server to win a call: under hedging the earlier attempt usually wins, and
    // without a key the ring may send every first attempt to the same server.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (s.get(0).calls() == 0 || s.get(1).calls() == 0) {
      assertThat(System.nanoTime()).as("both servers reached within 10 s").isLessThan(deadline);
      Channels.who(channel);
    }
    for (TestServer server : s) {
      server.resetCalls();
    }
    CallOptions keyed =
        Channels.waitForReady().withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey("k1"));

    for (int i = 0; i < 5; i++) {
      Channels.call(channel, TestServer.WHO, keyed);
      // Both attempts of the call arrived, one at each server.
      assertThat(s.get(0).awaitCalls(1, Duration.ofSeconds(5))).isTrue();
      assertThat(s.get(1).awaitCalls(1, Duration.ofSeconds(5))).isTrue();
    }
    assertThat(s.get(0).calls()).isEqualTo(5);
    assertThat(s.get(1).calls()).isEqualTo(5);
  }
}
