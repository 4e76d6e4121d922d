package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.PickContext;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Affinity keys reach the strategy: from the configured header and from {@link
 * LbCallOptions#PICK_CONTEXT}. The strategy here is a test double that maps the key to an endpoint
 * by hash, so the test sees exactly which key the policy passed; consistent-hashing strategies
 * (ring hash, Maglev) plug in the same way once lb-core has them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbHashKeyTest {
  private static final LbLoadBalancerProvider KEY_MOD =
      new LbLoadBalancerProvider("test_key_mod", new KeyModStrategy());

  private final List<TestServer> servers = new ArrayList<>();
  private ManagedChannel channel;

  @BeforeAll
  static void register() {
    LoadBalancerRegistry.getDefaultRegistry().register(KEY_MOD);
  }

  @AfterAll
  static void deregister() {
    LoadBalancerRegistry.getDefaultRegistry().deregister(KEY_MOD);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(TestServer::close);
  }

  private ManagedChannel start(Map<String, ?> options) throws Exception {
    List<String> entries = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      TestServer s = TestServer.netty(name);
      servers.add(s);
      entries.add(s.address());
    }
    channel =
        Channels.builder("lb:///" + String.join(",", entries))
            .defaultServiceConfig(Channels.serviceConfig("test_key_mod", options))
            .build();
    // Keyless calls go round the endpoints, so this waits until all three are READY.
    Channels.warmUp(channel, servers, Duration.ofSeconds(10));
    return channel;
  }

  private static Channel withHeader(Channel channel, String name, String value) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return ClientInterceptors.intercept(
        channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void hashHeader_eachKeyStaysOnOneServer_andKeysSpreadOverServers() throws Exception {
    ManagedChannel ch = start(Map.of("hashHeader", "x-user-id"));

    Map<String, Set<String>> serversByKey = new HashMap<>();
    for (int round = 0; round < 5; round++) {
      for (int user = 0; user < 30; user++) {
        String key = "user-" + user;
        serversByKey
            .computeIfAbsent(key, k -> new HashSet<>())
            .add(Channels.who(withHeader(ch, "x-user-id", key)));
      }
    }

    Set<String> used = new HashSet<>();
    serversByKey.forEach(
        (key, set) -> {
          assertThat(set).as("servers of %s", key).hasSize(1);
          assertThat(set).containsExactly(KeyModStrategy.owner(key, servers));
          used.addAll(set);
        });
    assertThat(used).containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void binaryHashHeader_givesAByteArrayKey() throws Exception {
    ManagedChannel ch = start(Map.of("hashHeader", "x-session-bin"));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("x-session-bin", Metadata.BINARY_BYTE_MARSHALLER),
        "user-7".getBytes(StandardCharsets.UTF_8));
    Channel keyed =
        ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(headers));

    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      answered.add(Channels.who(keyed));
    }
    assertThat(answered).containsExactly(KeyModStrategy.owner("user-7", servers));
  }

  @Test
  void pickContextCallOption_takesPrecedenceOverTheHeader() throws Exception {
    ManagedChannel ch = start(Map.of("hashHeader", "x-user-id"));
    Channel headed = withHeader(ch, "x-user-id", "user-1");
    CallOptions keyed =
        Channels.waitForReady().withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey("user-2"));

    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      answered.add(Channels.call(headed, TestServer.WHO, keyed));
    }
    assertThat(answered).containsExactly(KeyModStrategy.owner("user-2", servers));
  }

  /**
   * Sends a keyed call to the endpoint at {@code hash(key) mod n} of the endpoints sorted by port,
   * and a keyless call round the endpoints. Immutable.
   */
  static final class KeyModStrategy implements Strategy {
    @Override
    public String name() {
      return "key_mod";
    }

    @Override
    public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
      List<LiveEndpoint> sorted = new ArrayList<>(endpoints);
      sorted.sort(Comparator.comparingInt(e -> e.endpoint().port()));
      int[] next = {0};
      return ctx -> {
        if (!ctx.hasKey()) {
          synchronized (next) {
            return sorted.get(next[0]++ % sorted.size());
          }
        }
        return sorted.get(Math.floorMod(hash(ctx), sorted.size()));
      };
    }

    private static int hash(PickContext ctx) {
      return switch (ctx.keyKind()) {
        case CHARS -> ctx.charsKey().toString().hashCode();
        case BYTES -> new String(ctx.bytesKey(), StandardCharsets.UTF_8).hashCode();
        default -> Long.hashCode(ctx.longKey());
      };
    }

    /** The name of the server a key maps to. */
    static String owner(String key, List<TestServer> servers) {
      List<TestServer> sorted = new ArrayList<>(servers);
      sorted.sort(Comparator.comparingInt(TestServer::port));
      return sorted.get(Math.floorMod(key.hashCode(), sorted.size())).name;
    }
  }
}
