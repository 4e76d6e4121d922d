package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSink;
import dev.lb.discovery.EndpointSource;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The name resolver and the policies with in-process servers, through a provider of its own ({@code
 * lb-inprocess} scheme, a private registry, in-process addresses): membership changes in the
 * registry reach the channel.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbInProcessTest {
  private static final EndpointRegistry REGISTRY = new EndpointRegistry();
  private static final LbNameResolverProvider PROVIDER =
      LbNameResolverProvider.builder()
          .scheme("lb-inprocess")
          .registry(REGISTRY)
          .addresses(InProcessSocketAddress.class, e -> new InProcessSocketAddress(e.host()))
          .build();

  private final List<TestServer> servers = new ArrayList<>();
  private ManagedChannel channel;

  @BeforeAll
  static void register() {
    NameResolverRegistry.getDefaultRegistry().register(PROVIDER);
  }

  @AfterAll
  static void deregister() {
    NameResolverRegistry.getDefaultRegistry().deregister(PROVIDER);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(TestServer::close);
    for (String group : REGISTRY.groups()) {
      REGISTRY.remove(group);
    }
  }

  private TestServer server(String name) throws Exception {
    TestServer s = TestServer.inProcess(name);
    servers.add(s);
    return s;
  }

  private static Endpoint endpoint(TestServer s) {
    return Endpoint.builder(s.name, 1).id(s.name).build();
  }

  private ManagedChannel channel(String target, String policy) {
    channel = InProcessChannelBuilder.forTarget(target).defaultLoadBalancingPolicy(policy).build();
    return channel;
  }

  @Test
  void roundRobin_twoInProcessServers_splitEvenly() throws Exception {
    String a = "inproc-even-a";
    String b = "inproc-even-b";
    List<TestServer> s = List.of(server(a), server(b));
    REGISTRY.set("even", List.of(endpoint(s.get(0)), endpoint(s.get(1))));
    ManagedChannel ch = channel("lb-inprocess:///even", "lb_round_robin");
    Channels.warmUp(ch, s, Duration.ofSeconds(10));

    assertThat(Channels.distribution(ch, 100)).isEqualTo(Map.of(a, 50, b, 50));
  }

  @Test
  void registryUpdates_addAndRemoveServers_reachTheChannel() throws Exception {
    TestServer a = server("inproc-upd-a");
    TestServer b = server("inproc-upd-b");
    TestServer c = server("inproc-upd-c");
    REGISTRY.set("updates", List.of(endpoint(a), endpoint(b)));
    String target = "lb-inprocess:///updates";
    ManagedChannel ch = channel(target, "lb_round_robin");
    Channels.warmUp(ch, List.of(a, b), Duration.ofSeconds(10));

    REGISTRY.updater("updates").accept(List.of(endpoint(a), endpoint(b), endpoint(c)));
    Channels.warmUp(ch, List.of(a, b, c), Duration.ofSeconds(10));

    REGISTRY.set("updates", List.of(endpoint(b), endpoint(c)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (memberIds(target).contains(a.name)) {
      assertThat(System.nanoTime()).as("a leaves the balancer").isLessThan(deadline);
      Channels.who(ch);
    }
    assertThat(Channels.distribution(ch, 100)).isEqualTo(Map.of(b.name, 50, c.name, 50));
  }

  @Test
  void boundEndpointSource_feedsTheChannel_andAFailedLookupKeepsTheLastSet() throws Exception {
    TestServer a = server("inproc-src-a");
    TestServer b = server("inproc-src-b");
    PushSource source = new PushSource();
    DiscoveryBinding binding = REGISTRY.bind("discovered", source);
    try {
      source.sink.update(List.of(endpoint(a)));
      ManagedChannel ch = channel("lb-inprocess:///discovered", "lb_round_robin");
      assertThat(Channels.who(ch)).isEqualTo(a.name);

      source.sink.update(List.of(endpoint(a), endpoint(b)));
      Channels.warmUp(ch, List.of(a, b), Duration.ofSeconds(10));

      source.sink.fail(new IllegalStateException("lookup failed"));
      assertThat(REGISTRY.endpoints("discovered")).containsExactly(endpoint(a), endpoint(b));
      assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
      assertThat(Channels.distribution(ch, 10)).isEqualTo(Map.of(a.name, 5, b.name, 5));
    } finally {
      binding.close();
    }
    assertThat(source.closed).isTrue();
  }

  /** An endpoint source the test pushes sets through. */
  private static final class PushSource implements EndpointSource {
    volatile EndpointSink sink;
    volatile boolean closed;

    @Override
    public String name() {
      return "push";
    }

    @Override
    public void start(EndpointSink sink) {
      this.sink = sink;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void unknownGroup_failsCallsNamingIt_untilTheGroupIsSet() throws Exception {
    TestServer a = server("inproc-late-a");
    ManagedChannel ch = channel("lb-inprocess:///late", "lb_round_robin");

    assertThatThrownBy(
            () ->
                Channels.call(
                    ch, TestServer.WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("no endpoint group 'late'");
            });

    REGISTRY.set("late", List.of(endpoint(a)));
    assertThat(Channels.who(ch)).isEqualTo(a.name);
  }

  @Test
  void emptyGroup_failsCalls_untilItHasMembers() throws Exception {
    TestServer a = server("inproc-empty-a");
    REGISTRY.set("empty", List.of());
    ManagedChannel ch = channel("lb-inprocess:///empty", "lb_round_robin");

    assertThatThrownBy(
            () ->
                Channels.call(
                    ch, TestServer.WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    REGISTRY.set("empty", List.of(endpoint(a)));
    assertThat(Channels.who(ch)).isEqualTo(a.name);
  }

  @Test
  void serverGone_waitForReadyCallsWait_andCompleteWhenItComesBack() throws Exception {
    TestServer a = server("inproc-back-a");
    REGISTRY.set("back", List.of(endpoint(a)));
    ManagedChannel ch = channel("lb-inprocess:///back", "lb_least_connections");
    assertThat(Channels.who(ch)).isEqualTo(a.name);

    a.stop();
    assertThatThrownBy(
            () ->
                Channels.call(
                    ch, TestServer.WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    a.restart();
    ch.resetConnectBackoff();
    assertThat(whoAfterRestart(ch)).isEqualTo(a.name);
  }

  /**
   * A wait-for-ready call, retried for up to 5 s while it began on the old server's transport just
   * as that transport's shutdown arrived (gRPC fails such a stream even when waiting for ready).
   */
  private static String whoAfterRestart(ManagedChannel ch) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try {
        return Channels.who(ch);
      } catch (StatusRuntimeException e) {
        String description = e.getStatus().getDescription();
        if (System.nanoTime() - deadline > 0
            || e.getStatus().getCode() != Status.Code.UNAVAILABLE
            || description == null
            || !description.contains("shutdown by the server-side")) {
          throw e;
        }
      }
    }
  }

  private static List<String> memberIds(String target) {
    List<String> ids = new ArrayList<>();
    for (BalancerStats stats : LbChannels.stats(target)) {
      for (EndpointStats e : stats.endpoints()) {
        ids.add(e.endpoint().id());
      }
    }
    return ids;
  }
}
