package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Search domains and ndots, as a resolver applies them: Kubernetes short names resolve. */
class DnsSearchDomainsTest {
  private static final String KUBERNETES_RESOLV_CONF =
      """
      # written by the kubelet
      search default.svc.cluster.local svc.cluster.local cluster.local
      nameserver 10.96.0.10
      options ndots:5 timeout:2 ; trailing comment
      """;
  private static final List<String> KUBERNETES_SEARCH =
      List.of("default.svc.cluster.local", "svc.cluster.local", "cluster.local");

  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final LoadBalancer balancer =
      Fixtures.balancer(Strategies.roundRobin(), List.of(), 1, ticker);
  private final RecordingListener listener = new RecordingListener();

  /** Knows some names; every other name is NXDOMAIN, as a real server answers. */
  private final Map<String, List<String>> zone = new java.util.HashMap<>();

  private final List<String> asked = new CopyOnWriteArrayList<>();
  private final DnsResolver resolver =
      (name, type) -> {
        asked.add(name + "/" + type);
        List<String> records = zone.get(name + "/" + type);
        if (records == null) {
          if (zone.keySet().stream().anyMatch(k -> k.startsWith(name + "/"))) {
            return DnsAnswer.of(List.of(), null); // the name exists, without such records
          }
          return DnsAnswer.noSuchName(null);
        }
        return DnsAnswer.of(records, null);
      };

  private DnsEndpointSource.Builder forAddresses(String name) {
    return DnsEndpointSource.forAddresses(name, 8080)
        .resolver(resolver)
        .ipv6(false)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .random(new SplittableRandom(1));
  }

  private DiscoveryBinding bind(DnsEndpointSource source) {
    DiscoveryBinding b = DiscoveryBinding.builder(source).listener(listener).bind(balancer);
    scheduler.runDue();
    return b;
  }

  private List<String> ids() {
    return balancer.endpoints().stream().map(Endpoint::id).toList();
  }

  @Test
  void kubernetesShortName_resolvesThroughTheFirstSearchDomainThatHasIt() {
    zone.put("users.default.svc.cluster.local/A", List.of("10.1.0.7"));
    zone.put("users/A", List.of("192.0.2.1")); // a same-named host outside the cluster
    bind(forAddresses("users").searchDomains(KUBERNETES_SEARCH).ndots(5).build());

    assertThat(ids()).containsExactly("10.1.0.7:8080");
    assertThat(asked).first().isEqualTo("users.default.svc.cluster.local/A");
    assertThat(balancer.endpoints().get(0).metadata())
        .containsEntry("dns.name", "users.default.svc.cluster.local");
  }

  @Test
  void nameWithNamespace_triesEachDomainInOrder_thenTheNameItself() {
    zone.put("users.payments.svc.cluster.local/A", List.of("10.2.0.1"));
    bind(forAddresses("users.payments").searchDomains(KUBERNETES_SEARCH).ndots(5).build());

    assertThat(ids()).containsExactly("10.2.0.1:8080");
    assertThat(asked)
        .containsExactly(
            "users.payments.default.svc.cluster.local/A", "users.payments.svc.cluster.local/A");
  }

  @Test
  void nameWithAtLeastNdotsDots_isTriedAsItIsFirst() {
    zone.put("api.example.com/A", List.of("203.0.113.5"));
    zone.put("api.example.com.corp.local/A", List.of("10.9.9.9"));
    bind(forAddresses("api.example.com").searchDomains(List.of("corp.local")).ndots(2).build());
    assertThat(ids()).containsExactly("203.0.113.5:8080");
    assertThat(asked).containsExactly("api.example.com/A");
  }

  @Test
  void absoluteName_withATrailingDot_neverGetsADomain() {
    zone.put("users.default.svc.cluster.local/A", List.of("10.1.0.7"));
    DiscoveryBinding binding =
        bind(forAddresses("users.").searchDomains(KUBERNETES_SEARCH).ndots(5).build());
    assertThat(asked).containsExactly("users/A");
    assertThat(binding.status().lastError())
        .isInstanceOf(java.net.UnknownHostException.class)
        .hasMessage("no such DNS name: users");
  }

  @Test
  void noCandidateExists_failureNamesEveryNameTried_andKeepsTheLastGoodSet() {
    zone.put("users.default.svc.cluster.local/A", List.of("10.1.0.7"));
    DiscoveryBinding binding =
        bind(forAddresses("users").searchDomains(KUBERNETES_SEARCH).ndots(5).build());
    zone.clear();
    scheduler.advance(java.time.Duration.ofSeconds(40));

    assertThat(ids()).containsExactly("10.1.0.7:8080");
    assertThat(binding.status().lastError())
        .isInstanceOf(java.net.UnknownHostException.class)
        .hasMessage(
            "no such DNS name: users (tried users.default.svc.cluster.local,"
                + " users.svc.cluster.local, users.cluster.local, users)");
  }

  @Test
  void existingNameWithoutAddresses_isNotSkippedForALaterDomainWithout_butOneWithAddressesWins() {
    zone.put("users.default.svc.cluster.local/AAAA", List.of("fd00::1")); // exists, no A records
    zone.put("users.svc.cluster.local/A", List.of("10.3.0.1"));
    bind(forAddresses("users").searchDomains(KUBERNETES_SEARCH).ndots(5).build());
    assertThat(ids()).containsExactly("10.3.0.1:8080");
  }

  @Test
  void srvShortName_usesTheSearchListToo() {
    zone.put("_http._tcp.users.default.svc.cluster.local/SRV", List.of("0 1 8080 a.test."));
    bind(
        DnsEndpointSource.forSrv("_http._tcp.users")
            .resolver(resolver)
            .searchDomains(KUBERNETES_SEARCH)
            .ndots(5)
            .scheduler(scheduler)
            .executor(Runnable::run)
            .build());
    assertThat(ids()).containsExactly("a.test:8080");
  }

  @Test
  void defaults_areReadFromResolvConf(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("resolv.conf");
    Files.writeString(conf, KUBERNETES_RESOLV_CONF);
    zone.put("users.svc.cluster.local/A", List.of("10.4.0.1"));
    bind(forAddresses("users").resolvConf(conf).build());

    assertThat(ids()).containsExactly("10.4.0.1:8080");
    assertThat(asked)
        .containsExactly("users.default.svc.cluster.local/A", "users.svc.cluster.local/A");
  }

  @Test
  void explicitOptions_overrideResolvConf_andAnEmptyListTurnsTheSearchOff(@TempDir Path dir)
      throws Exception {
    Path conf = dir.resolve("resolv.conf");
    Files.writeString(conf, KUBERNETES_RESOLV_CONF);
    zone.put("users/A", List.of("10.5.0.1"));
    bind(forAddresses("users").resolvConf(conf).searchDomains(List.of()).build());
    assertThat(asked).containsExactly("users/A");
    assertThat(ids()).containsExactly("10.5.0.1:8080");
  }

  @Test
  void resolvConf_parsing_lastSearchOrDomainWins_ndotsCapped_junkIgnored() {
    ResolvConf conf =
        ResolvConf.parse(
            """
            domain corp.example.
            search a.example b.example.
            options rotate ndots:40
            options ndots:x
            nameserver 10.0.0.2
            """);
    assertThat(conf.search).containsExactly("a.example", "b.example");
    assertThat(conf.ndots).isEqualTo(15);
    assertThat(ResolvConf.parse("search a\ndomain only.example\n").search)
        .containsExactly("only.example");
    ResolvConf none = ResolvConf.read(Path.of("/nonexistent/resolv.conf"));
    assertThat(none.search).isEmpty();
    assertThat(none.ndots).isEqualTo(1);
  }

  @Test
  void candidates_followTheResolverRules() {
    List<String> search = List.of("x.local", "y.local");
    assertThat(ResolvConf.DnsNames.candidates("a", false, search, 1))
        .containsExactly("a.x.local", "a.y.local", "a");
    assertThat(ResolvConf.DnsNames.candidates("a.b", false, search, 1))
        .containsExactly("a.b", "a.b.x.local", "a.b.y.local");
    assertThat(ResolvConf.DnsNames.candidates("a.b", true, search, 1)).containsExactly("a.b");
    assertThat(ResolvConf.DnsNames.candidates("a", false, List.of(), 5)).containsExactly("a");
    assertThat(ResolvConf.DnsNames.candidates("a", false, search, 0))
        .containsExactly("a", "a.x.local", "a.y.local");
  }

  @Test
  void badOptions_failEarly() {
    DnsEndpointSource.Builder b = DnsEndpointSource.forAddresses("users", 80);
    assertThatThrownBy(() -> b.ndots(16)).hasMessage("ndots must be in 0..15 but was 16");
    assertThatThrownBy(() -> b.ndots(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.searchDomains(List.of("ok.local", " ")))
        .hasMessage("search domain must be a DNS name but was ' '");
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> b.searchDomains(withNull))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("search domain");
    assertThatThrownBy(() -> b.searchDomains(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("domains");
    assertThatThrownBy(() -> b.resolvConf(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("file");
  }
}
