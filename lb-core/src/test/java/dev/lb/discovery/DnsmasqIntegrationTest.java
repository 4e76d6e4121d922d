package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS discovery against a real DNS server: dnsmasq on 127.0.0.1, started and stopped by each test.
 * Refreshes every ~100 ms, so every wait below is bounded and short.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsmasqIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final RefreshPolicy FAST =
      RefreshPolicy.builder()
          .interval(Duration.ofMillis(100))
          .floor(Duration.ofMillis(50))
          .jitter(0.2)
          .build();

  @TempDir Path dir;

  private final LoadBalancer balancer =
      LoadBalancer.builder().name("dns-it").strategy(Strategies.roundRobin()).build();

  private static List<String> ids(LoadBalancer lb) {
    return lb.endpoints().stream().map(Endpoint::id).toList();
  }

  @Test
  void addresses_followHostsChanges_keepLastGoodSetWhileDown_recoverOnRestart() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.hosts("127.0.0.10 api.test\n127.0.0.11 api.test\n::1 api.test\n");
      dns.start();
      RecordingListener listener = new RecordingListener();
      DnsEndpointSource source =
          DnsEndpointSource.forAddresses("api.test", 8080)
              .dnsServer(dns.address())
              .queryTimeout(Duration.ofMillis(200))
              .retries(0)
              .refresh(FAST)
              .build();
      try (DiscoveryBinding binding =
          DiscoveryBinding.builder(source).listener(listener).bind(balancer)) {
        Duration first =
            Await.until(
                WAIT,
                () ->
                    ids(balancer)
                        .equals(List.of("127.0.0.10:8080", "127.0.0.11:8080", "[::1]:8080")),
                () -> ids(balancer) + " " + binding.status());

        dns.hosts("127.0.0.11 api.test\n127.0.0.12 api.test\n");
        dns.reload();
        Duration followed =
            Await.until(
                WAIT,
                () -> ids(balancer).equals(List.of("127.0.0.11:8080", "127.0.0.12:8080")),
                () -> ids(balancer) + " " + binding.status());

        dns.stop();
        Duration noticed =
            Await.until(
                WAIT,
                () -> binding.status().consecutiveFailures() >= 2,
                () -> binding.status().toString());
        assertThat(ids(balancer)).containsExactly("127.0.0.11:8080", "127.0.0.12:8080");
        assertThat(binding.status().isHealthy()).isFalse();
        // The status changes before the listener is told (outside the lock): wait for the event.
        Await.until(
            WAIT, () -> listener.events.contains("failed#1 kept 2"), listener.events::toString);

        dns.hosts("127.0.0.12 api.test\n127.0.0.13 api.test\n");
        dns.start();
        Duration recovered =
            Await.until(
                WAIT,
                () -> ids(balancer).equals(List.of("127.0.0.12:8080", "127.0.0.13:8080")),
                () -> ids(balancer) + " " + binding.status());
        assertThat(binding.status().isHealthy()).isTrue();
        Await.until(
            WAIT,
            () -> listener.events.stream().anyMatch(e -> e.startsWith("recovered after")),
            listener.events::toString);
        System.out.printf(
            "dnsmasq A/AAAA: first set %d ms, hosts change followed %d ms, outage noticed %d ms,"
                + " recovered %d ms after restart%n",
            first.toMillis(), followed.toMillis(), noticed.toMillis(), recovered.toMillis());
      }
    }
  }

  @Test
  void recordTtl_drivesTheRefresh_wellBeforeALongInterval() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.localTtl(1);
      dns.hosts("127.0.0.40 api.test\n");
      dns.start();
      DnsEndpointSource source =
          DnsEndpointSource.forAddresses("api.test", 8080)
              .dnsServer(dns.address())
              .ipv6(false)
              .queryTimeout(Duration.ofMillis(200))
              .retries(0)
              // A minute between refreshes: only the 1 s TTL can bring a change in sooner.
              .refresh(
                  RefreshPolicy.builder()
                      .interval(Duration.ofMinutes(1))
                      .floor(Duration.ofMillis(200))
                      .jitter(0)
                      .build())
              .build();
      try (DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer)) {
        Await.until(
            WAIT,
            () -> ids(balancer).equals(List.of("127.0.0.40:8080")),
            () -> ids(balancer) + " " + binding.status());

        dns.hosts("127.0.0.40 api.test\n127.0.0.41 api.test\n");
        dns.reload();
        Duration followed =
            Await.until(
                WAIT,
                () -> ids(balancer).equals(List.of("127.0.0.40:8080", "127.0.0.41:8080")),
                () -> ids(balancer) + " " + binding.status());
        // At the TTL (1 s) after the previous lookup, with room for a loaded machine.
        assertThat(followed).isLessThan(Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void shortName_resolvesThroughASearchDomain_fromAResolvConf() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.hosts("127.0.0.30 users.default.svc.test\n127.0.0.31 users.default.svc.test\n");
      dns.start();
      Path resolvConf = dir.resolve("resolv.conf");
      Files.writeString(
          resolvConf, "search default.svc.test svc.test\noptions ndots:5\nnameserver 10.0.0.1\n");
      DnsEndpointSource source =
          DnsEndpointSource.forAddresses("users", 8080)
              .dnsServer(dns.address())
              .resolvConf(resolvConf)
              .ipv6(false)
              .queryTimeout(Duration.ofMillis(200))
              .retries(0)
              .refresh(FAST)
              .build();
      try (DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer)) {
        Await.until(
            WAIT,
            () -> ids(balancer).equals(List.of("127.0.0.30:8080", "127.0.0.31:8080")),
            () -> ids(balancer) + " " + binding.status());
        assertThat(balancer.endpoints().get(0).metadata())
            .containsEntry("dns.name", "users.default.svc.test");
      }
    }
  }

  @Test
  void srv_mapsRecords_andFollowsAChangeAfterRestart() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.hosts("127.0.0.21 a.test\n127.0.0.22 b.test\n127.0.0.23 c.test\n");
      dns.srv(
          List.of("_http._tcp.svc.test,a.test,8080,0,5", "_http._tcp.svc.test,b.test,8081,1,0"));
      dns.start();
      DnsEndpointSource source =
          DnsEndpointSource.forSrv("_http._tcp.svc.test")
              .dnsServer(dns.address())
              .queryTimeout(Duration.ofMillis(200))
              .retries(0)
              .refresh(FAST)
              .build();
      try (DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer)) {
        Await.until(
            WAIT,
            () -> ids(balancer).equals(List.of("a.test:8080", "b.test:8081")),
            () -> ids(balancer) + " " + binding.status());
        Endpoint a = balancer.endpoints().get(0);
        Endpoint b = balancer.endpoints().get(1);
        assertThat(a.priority()).isZero();
        assertThat(a.weight()).isEqualTo(5);
        assertThat(b.priority()).isEqualTo(1);
        assertThat(b.weight()).isEqualTo(1); // SRV weight 0 maps to the smallest weight
        assertThat(b.metadata()).containsEntry("dns.srv.weight", "0");

        dns.srv(
            List.of("_http._tcp.svc.test,c.test,9090,0,2", "_http._tcp.svc.test,a.test,8080,0,5"));
        dns.restart();
        Duration followed =
            Await.until(
                WAIT,
                () -> ids(balancer).equals(List.of("a.test:8080", "c.test:9090")),
                () -> ids(balancer) + " " + binding.status());
        System.out.printf(
            "dnsmasq SRV: change followed %d ms after restart%n", followed.toMillis());
      }
    }
  }

  @Test
  void srv_resolveTargets_givesAddressesFromTheSameServer() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.hosts("127.0.0.31 a.test\n127.0.0.32 a.test\n");
      dns.srv(List.of("_grpc._tcp.svc.test,a.test,7000,0,1"));
      dns.start();
      DnsEndpointSource source =
          DnsEndpointSource.forSrv("_grpc._tcp.svc.test")
              .dnsServer(dns.address())
              .resolveTargets(true)
              .ipv6(false)
              .queryTimeout(Duration.ofMillis(200))
              .refresh(FAST)
              .build();
      try (DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer)) {
        Await.until(
            WAIT,
            () -> ids(balancer).equals(List.of("127.0.0.31:7000", "127.0.0.32:7000")),
            () -> ids(balancer) + " " + binding.status());
        assertThat(balancer.endpoints().get(0).metadata())
            .containsEntry("dns.srv.target", "a.test");
      }
    }
  }

  @Test
  void unknownName_isNxdomain_reportedAsFailure() throws Exception {
    try (Dnsmasq dns = Dnsmasq.in(dir)) {
      dns.start();
      DnsEndpointSource source =
          DnsEndpointSource.forAddresses("missing.test", 80)
              .dnsServer(dns.address())
              .queryTimeout(Duration.ofMillis(200))
              .refresh(FAST)
              .build();
      try (DiscoveryBinding binding = DiscoveryBinding.bind(source, balancer)) {
        Await.until(WAIT, () -> binding.status().failures() > 0, () -> binding.status().toString());
        assertThat(binding.status().lastError())
            .hasMessageContaining("no such DNS name: missing.test");
        assertThat(balancer.endpoints()).isEmpty();
      }
    }
  }
}
