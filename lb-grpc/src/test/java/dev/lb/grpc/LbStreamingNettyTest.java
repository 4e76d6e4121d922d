package dev.lb.grpc;

import static dev.lb.grpc.Channels.warmUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.EndpointStats;
import dev.lb.PickContext;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streaming-aware leases against real Netty servers: a stream's latency sample is its time to the
 * first response, it counts in flight while open, and configured methods give no sample at all.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbStreamingNettyTest {
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

  private TestServer server(String name) throws Exception {
    TestServer s = TestServer.netty(name);
    servers.add(s);
    return s;
  }

  private ManagedChannel channel(String target, String policy, Map<String, ?> options) {
    ManagedChannel c =
        Channels.builder(target)
            .defaultServiceConfig(Channels.serviceConfig(policy, options))
            .build();
    channels.add(c);
    return c;
  }

  private static String target(TestServer... servers) {
    List<String> entries = new ArrayList<>();
    for (TestServer s : servers) {
      entries.add(s.address());
    }
    return "lb:///" + String.join(",", entries);
  }

  private static EndpointStats stats(String target, TestServer server) {
    return LbChannels.stats(target).get(0).endpoints().stream()
        .filter(e -> e.endpoint().port() == server.port())
        .findFirst()
        .orElseThrow();
  }

  /** A watch stream's first message and its end. */
  private static final class Watch implements StreamObserver<String> {
    final CompletableFuture<String> first = new CompletableFuture<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    ClientCall<String, String> call;

    Watch(ManagedChannel channel, CallOptions options) {
      call = channel.newCall(TestServer.WATCH, options);
      ClientCalls.asyncServerStreamingCall(call, "watch", this);
    }

    @Override
    public void onNext(String value) {
      first.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      first.completeExceptionally(t);
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(null);
    }
  }

  private static CallOptions avoiding(TestServer server) {
    return Channels.waitForReady()
        .withOption(
            LbCallOptions.PICK_CONTEXT, PickContext.builder().exclude(server.address()).build());
  }

  @Test
  void peakEwma_longStreamOnFastServer_unaryCallsStillPreferIt() throws Exception {
    TestServer fast = server("fast");
    TestServer slow = server("slow");
    slow.delay(Duration.ofMillis(40));
    String target = target(fast, slow);
    ManagedChannel channel = channel(target, "lb_peak_ewma", Map.of("decayWindow", "1s"));
    warmUp(channel, List.of(fast, slow), Duration.ofSeconds(10));

    // A long-lived stream on the fast server, held open while unary calls go (10 to the slow
    // server: 400 ms at least, ten times its unary latency), then ended by the server.
    Watch watch = new Watch(channel, avoiding(slow));
    assertThat(watch.first.get(10, TimeUnit.SECONDS)).isEqualTo("fast");
    assertThat(stats(target, fast).inFlight()).as("the open stream is in flight").isEqualTo(1);
    for (int i = 0; i < 10; i++) {
      assertThat(Channels.call(channel, TestServer.WHO, avoiding(fast))).isEqualTo("slow");
    }
    fast.endWatches();
    watch.done.get(10, TimeUnit.SECONDS);
    assertThat(stats(target, fast).inFlight()).isZero();

    // Measured to its first message, the stream says the fast server is fast: were its lifetime
    // the sample, peak EWMA would see a 400 ms+ server and send these calls to the slow one.
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < 100; i++) {
      counts.merge(Channels.who(channel), 1, Integer::sum);
    }
    assertThat(counts.getOrDefault("fast", 0)).as("%s", counts).isGreaterThan(80);
  }

  @Test
  void stream_latencySampleIsTimeToFirstMessage_notItsLifetime() throws Exception {
    TestServer a = server("a");
    TestServer b = server("b");
    String target = target(a, b);
    ManagedChannel channel = channel(target, "lb_least_response_time", Map.of());

    Watch watch = new Watch(channel, avoiding(b));
    assertThat(watch.first.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    long openedAt = System.nanoTime();
    // Held open while unary calls go to b, for at least 300 ms: far longer than a first message
    // takes even on a loaded machine, so that the two cannot be confused.
    long heldNanos;
    do {
      assertThat(Channels.call(channel, TestServer.WHO, avoiding(a))).isEqualTo("b");
      heldNanos = System.nanoTime() - openedAt;
    } while (heldNanos < 300_000_000L);
    a.endWatches();
    watch.done.get(10, TimeUnit.SECONDS);

    EndpointStats stats = stats(target, a);
    assertThat(stats.successes()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.latencyEwmaNanos()).isLessThan((double) heldNanos);
  }

  @Test
  void latencyExcludedMethods_streamGivesNoLatencySample_butCountsAsSuccess() throws Exception {
    TestServer a = server("a");
    TestServer b = server("b");
    String target = target(a, b);
    ManagedChannel channel =
        channel(
            target,
            "lb_peak_ewma",
            Map.of(
                "latencyExcludedMethods",
                List.of(Map.of("service", "test.Echo", "method", "Watch"))));

    Watch watch = new Watch(channel, avoiding(b));
    assertThat(watch.first.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    assertThat(stats(target, a).inFlight()).isEqualTo(1);
    a.endWatches();
    watch.done.get(10, TimeUnit.SECONDS);

    EndpointStats stats = stats(target, a);
    assertThat(stats.successes()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.latencyEwmaNanos()).as("no latency sample").isNaN();
  }

  @Test
  void excludeFromLatencyCallOption_unaryCallGivesNoSample() throws Exception {
    TestServer a = server("a");
    String target = target(a);
    ManagedChannel channel = channel(target, "lb_peak_ewma", Map.of());

    Channels.call(
        channel,
        TestServer.WHO,
        Channels.waitForReady().withOption(LbCallOptions.EXCLUDE_FROM_LATENCY, true));
    assertThat(stats(target, a).successes()).isEqualTo(1);
    assertThat(stats(target, a).latencyEwmaNanos()).isNaN();

    Channels.who(channel);
    assertThat(stats(target, a).latencyEwmaNanos()).as("a timed call is sampled").isPositive();
  }

  @Test
  void cancelledStream_isACancellation_andLeavesNothingInFlight() throws Exception {
    TestServer a = server("a");
    String target = target(a);
    ManagedChannel channel = channel(target, "lb_peak_ewma", Map.of());

    Watch watch = new Watch(channel, Channels.waitForReady());
    assertThat(watch.first.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    watch.call.cancel("done watching", null);
    assertThat(watch.done).failsWithin(Duration.ofSeconds(10));

    EndpointStats stats = stats(target, a);
    assertThat(stats.cancellations()).isEqualTo(1);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.latencyEwmaNanos()).isNaN();
  }
}
