package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.health.HealthStatus;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hash affinity through a real channel: {@code lb_ring_hash} with {@code hashHeader} keeps each key
 * on one Netty server, and when a server stops only the keys it owned move.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbRingHashTest {
  private static final Metadata.Key<String> USER =
      Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  private final List<TestServer> servers = new ArrayList<>();
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(TestServer::close);
  }

  private static Channel keyed(Channel channel, String key) {
    Metadata headers = new Metadata();
    headers.put(USER, key);
    return ClientInterceptors.intercept(
        channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** The server each of {@code keys} lands on, asking twice to check it is stable. */
  private Map<String, String> owners(List<String> keys) {
    Map<String, String> owners = new LinkedHashMap<>();
    for (String key : keys) {
      String first = Channels.who(keyed(channel, key));
      assertThat(Channels.who(keyed(channel, key))).as("second call of %s", key).isEqualTo(first);
      owners.put(key, first);
    }
    return owners;
  }

  @Test
  void ringHash_keysStayPut_andOnlyTheStoppedServersKeysMove() throws Exception {
    List<String> entries = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      TestServer s = TestServer.netty(name);
      servers.add(s);
      entries.add(s.address());
    }
    String target = "lb:///" + String.join(",", entries);
    channel =
        Channels.builder(target)
            .defaultServiceConfig(
                Channels.serviceConfig("lb_ring_hash", Map.of("hashHeader", "x-user-id")))
            .build();
    // Keyless calls fall back to the strategy's non-hash choice; this waits until all are READY.
    Channels.warmUp(channel, servers, Duration.ofSeconds(10));

    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      keys.add("user-" + i);
    }
    Map<String, String> before = owners(keys);
    assertThat(new HashSet<>(before.values())).containsExactlyInAnyOrder("a", "b", "c");

    TestServer b = servers.get(1);
    b.stopGracefully();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (health(target, b.address()) != HealthStatus.UNHEALTHY) {
      assertThat(System.nanoTime()).as("b is marked down").isLessThan(deadline);
      Channels.who(channel);
    }
    Map<String, String> after = owners(keys);

    Set<String> moved = new HashSet<>();
    for (String key : keys) {
      if (before.get(key).equals("b")) {
        assertThat(after.get(key)).as(key).isIn("a", "c");
        moved.add(key);
      } else {
        assertThat(after.get(key)).as("%s stays on its server", key).isEqualTo(before.get(key));
      }
    }
    assertThat(moved).isNotEmpty();
  }

  private static HealthStatus health(String target, String id) {
    return LbChannels.stats(target).get(0).endpoints().stream()
        .filter(e -> e.endpoint().id().equals(id))
        .findFirst()
        .orElseThrow()
        .health();
  }
}
