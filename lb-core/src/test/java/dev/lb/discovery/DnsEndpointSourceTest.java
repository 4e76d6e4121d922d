package dev.lb.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DnsEndpointSourceTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final LoadBalancer balancer =
      Fixtures.balancer(Strategies.roundRobin(), List.of(), 1, ticker);
  private final FakeDns dns = new FakeDns();
  private final RecordingListener listener = new RecordingListener();
  private final RefreshPolicy every10s =
      RefreshPolicy.builder().interval(Duration.ofSeconds(10)).jitter(0.2).build();

  /**
   * Answers from tables the test edits: a missing entry is an empty answer, a name in {@code
   * nxdomain} does not exist, an entry in {@code ttls} is the answer's TTL (none otherwise).
   */
  static final class FakeDns implements DnsResolver {
    final Map<String, List<String>> records = new ConcurrentHashMap<>();
    final Map<String, IOException> errors = new ConcurrentHashMap<>();
    final Map<String, Duration> ttls = new ConcurrentHashMap<>();
    final java.util.Set<String> nxdomain = ConcurrentHashMap.newKeySet();
    final AtomicInteger queries = new AtomicInteger();

    @Override
    public DnsAnswer query(String name, String type) throws IOException {
      queries.incrementAndGet();
      String key = name + "/" + type;
      IOException e = errors.get(key);
      if (e != null) {
        throw e;
      }
      if (nxdomain.contains(key)) {
        return DnsAnswer.noSuchName(ttls.get(key));
      }
      return DnsAnswer.of(records.getOrDefault(key, List.of()), ttls.get(key));
    }
  }

  private DnsEndpointSource.Builder addresses() {
    return DnsEndpointSource.forAddresses("api.test", 8080)
        .resolver(dns)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .random(new SplittableRandom(3))
        .refresh(every10s);
  }

  private DiscoveryBinding bind(DnsEndpointSource source) {
    return DiscoveryBinding.builder(source).listener(listener).bind(balancer);
  }

  private static List<String> ids(LoadBalancer lb) {
    return lb.endpoints().stream().map(Endpoint::id).toList();
  }

  @Test
  void addresses_eachARecordAndAaaaRecordBecomesAnEndpointOnThePort() {
    dns.records.put("api.test/A", List.of("10.0.0.2", "10.0.0.1"));
    dns.records.put("api.test/AAAA", List.of("fd00::1"));
    bind(addresses().build());
    scheduler.runDue();

    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "[fd00::1]:8080");
    Endpoint first = balancer.endpoints().get(0);
    assertThat(first.host()).isEqualTo("10.0.0.1");
    assertThat(first.port()).isEqualTo(8080);
    assertThat(first.metadata()).containsEntry("dns.name", "api.test");
  }

  @Test
  void addresses_ipv4Only_skipsAaaa() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    dns.records.put("api.test/AAAA", List.of("fd00::1"));
    bind(addresses().ipv6(false).build());
    scheduler.runDue();
    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080");
  }

  @Test
  void reResolves_onTheJitteredInterval_andMembershipFollows() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    dns.records.put("api.test/AAAA", List.of());
    bind(addresses().build());
    scheduler.runDue();
    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080");
    int queriesAfterFirst = dns.queries.get();

    dns.records.put("api.test/A", List.of("10.0.0.1", "10.0.0.3"));
    scheduler.advance(Duration.ofMillis(7_999)); // below the jitter band: not yet
    assertThat(dns.queries.get()).isEqualTo(queriesAfterFirst);
    scheduler.advance(Duration.ofMillis(4_001)); // by 12 s it has run
    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080", "10.0.0.3:8080");
  }

  @Test
  void ttl_refreshesWhenTheLeastTtlExpires_notOnTheInterval() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    dns.ttls.put("api.test/A", Duration.ofSeconds(3));
    dns.ttls.put("api.test/AAAA", Duration.ofSeconds(5)); // empty answer, SOA TTL 5 s
    bind(addresses().build());
    scheduler.runDue();
    int first = dns.queries.get();

    dns.records.put("api.test/A", List.of("10.0.0.1", "10.0.0.3"));
    scheduler.advance(Duration.ofMillis(2_999));
    assertThat(dns.queries.get()).as("before the least TTL (3 s)").isEqualTo(first);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080", "10.0.0.3:8080");
  }

  @Test
  void ttl_boundedByTtlBounds_zeroIsTheMinimum_hoursTheMaximum() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    dns.ttls.put("api.test/A", Duration.ZERO);
    bind(addresses().ipv6(false).build());
    scheduler.runDue();
    int first = dns.queries.get();
    scheduler.advance(Duration.ofMillis(999));
    assertThat(dns.queries.get()).as("TTL 0: not before the policy's 1 s floor").isEqualTo(first);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(dns.queries.get()).isEqualTo(first + 1);

    dns.ttls.put("api.test/A", Duration.ofHours(1));
    scheduler.advance(Duration.ofSeconds(1)); // the lookup that learns the hour-long TTL
    int afterHour = dns.queries.get();
    scheduler.advance(Duration.ofMillis(9_999));
    assertThat(dns.queries.get()).as("capped at the refresh interval, 10 s").isEqualTo(afterHour);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(dns.queries.get()).isEqualTo(afterHour + 1);
  }

  @Test
  void ttl_configuredBounds_andHonourTtlFalse_fallBackToThePolicy() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    dns.ttls.put("api.test/A", Duration.ofSeconds(1));
    bind(addresses().ipv6(false).ttlBounds(Duration.ofSeconds(2), Duration.ofSeconds(4)).build());
    scheduler.runDue();
    int first = dns.queries.get();
    scheduler.advance(Duration.ofMillis(1_999));
    assertThat(dns.queries.get()).as("TTL 1 s, raised to the 2 s minimum").isEqualTo(first);
    scheduler.advance(Duration.ofMillis(1));
    assertThat(dns.queries.get()).isEqualTo(first + 1);

    FakeDns other = new FakeDns();
    other.records.put("api.test/A", List.of("10.0.0.1"));
    other.ttls.put("api.test/A", Duration.ofSeconds(1));
    LoadBalancer second = LoadBalancer.builder().strategy(Strategies.roundRobin()).build();
    DiscoveryBinding.builder(
            DnsEndpointSource.forAddresses("api.test", 8080)
                .resolver(other)
                .ipv6(false)
                .honourTtl(false)
                .scheduler(scheduler)
                .executor(Runnable::run)
                .random(new SplittableRandom(3))
                .refresh(every10s)
                .build())
        .bind(second);
    scheduler.runDue();
    int otherFirst = other.queries.get();
    scheduler.advance(Duration.ofMillis(7_999));
    assertThat(other.queries.get()).as("TTLs ignored: the 8-12 s interval").isEqualTo(otherFirst);
    second.close();
  }

  @Test
  void ttlBounds_validated() {
    assertThatThrownBy(() -> addresses().ttlBounds(Duration.ofMillis(50), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttlBounds min must be at least 100 ms but was PT0.05S");
    assertThatThrownBy(() -> addresses().ttlBounds(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttlBounds max must be at least min (PT2S) but was PT1S");
    assertThatThrownBy(() -> addresses().resolver(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("resolver");
  }

  @Test
  void rotatedAnswer_isTheSameSet_noMembershipChange() {
    dns.records.put("api.test/A", List.of("10.0.0.1", "10.0.0.2"));
    bind(addresses().build());
    scheduler.runDue();
    dns.records.put("api.test/A", List.of("10.0.0.2", "10.0.0.1"));
    scheduler.advance(Duration.ofSeconds(12));
    assertThat(listener.events).containsExactly("updated 2 changed", "updated 2 same");
  }

  @Test
  void serverUnreachable_keepsLastGoodSet_retriesWithBackoff_thenRecovers() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    RefreshPolicy exact =
        RefreshPolicy.builder()
            .interval(Duration.ofSeconds(10))
            .floor(Duration.ofSeconds(1))
            .jitter(0)
            .build();
    DiscoveryBinding binding = bind(addresses().refresh(exact).build());
    scheduler.runDue(); // t = 0: found

    dns.errors.put("api.test/A", new IOException("DNS error"));
    // Failures at 10 s, then after 1, 2, 4 and 8 s (11, 13, 17, 25 s), then every interval (35 s).
    int[] failuresAt = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4};
    for (int t = 1; t < failuresAt.length; t++) {
      scheduler.advance(Duration.ofSeconds(1));
      assertThat(binding.status().consecutiveFailures())
          .as("failures at %d s", t)
          .isEqualTo(failuresAt[t]);
    }
    scheduler.advance(Duration.ofSeconds(7));
    assertThat(binding.status().consecutiveFailures()).as("at 24 s").isEqualTo(4);
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(binding.status().consecutiveFailures()).as("at 25 s").isEqualTo(5);
    scheduler.advance(Duration.ofSeconds(9));
    assertThat(binding.status().consecutiveFailures())
        .as("at 34 s: capped at the interval")
        .isEqualTo(5);
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(binding.status().consecutiveFailures()).as("at 35 s").isEqualTo(6);
    assertThat(ids(balancer)).containsExactly("10.0.0.1:8080");
    assertThat(binding.status().lastError())
        .isInstanceOf(IOException.class)
        .hasMessage("DNS error");

    dns.errors.clear();
    dns.records.put("api.test/A", List.of("10.0.0.5"));
    scheduler.advance(Duration.ofSeconds(10)); // 45 s: recovered
    assertThat(ids(balancer)).containsExactly("10.0.0.5:8080");
    int queries = dns.queries.get();
    scheduler.advance(Duration.ofSeconds(9));
    assertThat(dns.queries.get()).as("after a success, the full interval again").isEqualTo(queries);
    assertThat(listener.events.subList(0, 3))
        .containsExactly("updated 1 changed", "failed#1 kept 1", "failed#2 kept 1");
    assertThat(listener.events).contains("recovered after 6");
  }

  @Test
  void nxdomain_isAFailureNamingTheName() {
    dns.nxdomain.add("api.test/A");
    DiscoveryBinding binding = bind(addresses().build());
    scheduler.runDue();
    assertThat(binding.status().lastError())
        .isInstanceOf(java.net.UnknownHostException.class)
        .hasMessageContaining("no such DNS name: api.test");
  }

  @Test
  void noRecords_isAnEmptySet_rejectedByTheBindingByDefault() {
    DiscoveryBinding binding = bind(addresses().build());
    scheduler.runDue();
    assertThat(binding.status().lastError()).hasMessageContaining("found no endpoints");
  }

  private DnsEndpointSource.Builder srv() {
    return DnsEndpointSource.forSrv("_http._tcp.svc.test.")
        .resolver(dns)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .random(new SplittableRandom(3))
        .refresh(every10s);
  }

  @Test
  void srv_mapsPriorityWeightPortTarget_andZeroWeightBecomesOne() {
    dns.records.put(
        "_http._tcp.svc.test/SRV",
        List.of("10 0 8082 c.test.", "0 5 8080 a.test.", "0 1 8081 B.test.", "5 1 9000 ."));
    bind(srv().build());
    scheduler.runDue();

    List<Endpoint> got = balancer.endpoints();
    assertThat(got)
        .extracting(Endpoint::id)
        .containsExactly("a.test:8080", "b.test:8081", "c.test:8082");
    assertThat(got).extracting(Endpoint::priority).containsExactly(0, 0, 10);
    assertThat(got).extracting(Endpoint::weight).containsExactly(5, 1, 1);
    assertThat(got.get(2).metadata()).containsEntry("dns.srv.weight", "0");
    assertThat(got.get(0).metadata()).containsEntry("dns.name", "_http._tcp.svc.test");
  }

  @Test
  void srv_sameTargetTwice_keepsTheMostPreferred() {
    dns.records.put("_http._tcp.svc.test/SRV", List.of("5 1 8080 a.test.", "1 3 8080 a.test."));
    bind(srv().build());
    scheduler.runDue();
    assertThat(balancer.endpoints())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.priority()).isEqualTo(1);
              assertThat(e.weight()).isEqualTo(3);
            });
  }

  @Test
  void srv_resolveTargets_oneEndpointPerAddress() {
    dns.records.put("_http._tcp.svc.test/SRV", List.of("0 2 8080 a.test.", "1 1 8081 b.test."));
    dns.records.put("a.test/A", List.of("10.0.0.1", "10.0.0.2"));
    dns.records.put("b.test/A", List.of("10.0.1.1"));
    bind(srv().resolveTargets(true).build());
    scheduler.runDue();

    assertThat(balancer.endpoints())
        .extracting(Endpoint::id)
        .containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "10.0.1.1:8081");
    Endpoint b = balancer.endpoints().get(2);
    assertThat(b.priority()).isEqualTo(1);
    assertThat(b.metadata()).containsEntry("dns.srv.target", "b.test");
    assertThat(balancer.endpoints().get(0).weight()).isEqualTo(2);
  }

  @Test
  void srv_malformedRecord_isAFailure() {
    dns.records.put("_http._tcp.svc.test/SRV", List.of("0 1 notaport a.test."));
    DiscoveryBinding binding = bind(srv().build());
    scheduler.runDue();
    assertThat(binding.status().lastError())
        .hasMessageContaining("malformed SRV record")
        .hasMessageContaining("notaport");
  }

  @Test
  void close_stopsRefreshing() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    DiscoveryBinding binding = bind(addresses().build());
    scheduler.runDue();
    binding.close();
    int queries = dns.queries.get();
    scheduler.advance(Duration.ofMinutes(5));
    assertThat(dns.queries.get()).isEqualTo(queries);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void start_twice_orAfterClose_isRejected() {
    DnsEndpointSource source = addresses().build();
    source.start(new RecordingSink());
    assertThatThrownBy(() -> source.start(new RecordingSink()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already started");
    DnsEndpointSource closed = addresses().build();
    closed.close();
    assertThatThrownBy(() -> closed.start(new RecordingSink()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void rejectedExecution_isAFailure_andPollingGoesOn() {
    dns.records.put("api.test/A", List.of("10.0.0.1"));
    AtomicInteger calls = new AtomicInteger();
    DiscoveryBinding binding =
        bind(
            addresses()
                .executor(
                    r -> {
                      if (calls.getAndIncrement() == 0) {
                        throw new java.util.concurrent.RejectedExecutionException("pool full");
                      }
                      r.run();
                    })
                .build());
    scheduler.runDue();
    assertThat(binding.status().consecutiveFailures()).isEqualTo(1);
    scheduler.advance(Duration.ofSeconds(12));
    assertThat(binding.status().isHealthy()).isTrue();
  }

  @Test
  void names_describeTheQueryAndServers() {
    assertThat(addresses().build().name()).isEqualTo("dns:api.test:8080");
    assertThat(srv().dnsServer("127.0.0.1:5353").dnsServer("::1").build().name())
        .isEqualTo("dns-srv:_http._tcp.svc.test@127.0.0.1:5353,[::1]:53");
    assertThat(addresses().build().toString()).contains("dns:api.test:8080");
  }

  @Test
  void jndiResolver_providerUrlListsServersOrFallsBackToTheSystem() {
    assertThat(new JndiDnsResolver(List.of(), Duration.ofSeconds(1), 1).providerUrl())
        .isEqualTo("dns:");
    assertThat(
            new JndiDnsResolver(List.of("127.0.0.1:5353", "[::1]:53"), Duration.ofSeconds(1), 1)
                .providerUrl())
        .isEqualTo("dns://127.0.0.1:5353 dns://[::1]:53");
  }

  @Test
  void invalidOptions_failWithTheOptionAndValue() {
    assertThatThrownBy(() -> DnsEndpointSource.forAddresses("api.test", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be in 1..65535 but was 0");
    assertThatThrownBy(() -> DnsEndpointSource.forAddresses(" ", 80))
        .hasMessage("hostname must be a DNS name but was ' '");
    assertThatThrownBy(() -> DnsEndpointSource.forSrv(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("serviceName must not be null");
    DnsEndpointSource.Builder b = DnsEndpointSource.forAddresses("api.test", 80);
    assertThatThrownBy(() -> b.dnsServer("127.0.0.1:99999"))
        .hasMessage("dnsServer must be host:port but was '127.0.0.1:99999'");
    assertThatThrownBy(() -> b.dnsServer("[::1"))
        .hasMessage("dnsServer must be host:port but was '[::1'");
    assertThatThrownBy(() -> b.dnsServer("")).hasMessage("dnsServer must be host:port but was ''");
    assertThatThrownBy(() -> b.queryTimeout(Duration.ZERO))
        .hasMessage("queryTimeout must be positive but was PT0S");
    assertThatThrownBy(() -> b.retries(-1)).hasMessage("retries must be 0 or more but was -1");
    assertThatThrownBy(() -> b.refresh(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("refresh must not be null");
    assertThatThrownBy(() -> b.scheduler(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("scheduler must not be null");
    assertThatThrownBy(() -> b.executor(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("executor must not be null");
    assertThatThrownBy(() -> b.random(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("random must not be null");
    assertThatThrownBy(() -> b.ipv4(false).ipv6(false).build())
        .hasMessage("ipv4 and ipv6 must not both be false");
  }

  /** A sink that remembers what it got. */
  static final class RecordingSink implements EndpointSink {
    volatile List<Endpoint> last = List.of();
    volatile Throwable error;

    @Override
    public void update(List<Endpoint> endpoints) {
      last = endpoints;
    }

    @Override
    public void fail(Throwable error) {
      this.error = error;
    }
  }
}
