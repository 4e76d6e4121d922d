package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Endpoint;
import dev.lb.Scheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from DNS, re-resolved when the answers' TTLs expire (within {@link Builder#ttlBounds})
 * or on a {@link RefreshPolicy}: the A/AAAA records of a name (every address on one port), or the
 * SRV records of a service (each its own host, port, priority and weight). JDK only: queries go
 * through lb's own DNS stub resolver ({@link DnsResolver#wire}) or any {@link DnsResolver}.
 *
 * <pre>{@code
 * // every address of api.internal, port 8080, re-resolved about every 10 s
 * EndpointSource addresses = DnsEndpointSource.forAddresses("api.internal", 8080)
 *     .refresh(RefreshPolicy.builder().interval(Duration.ofSeconds(10)).build())
 *     .build();
 *
 * // a Kubernetes headless service or Consul's DNS interface
 * EndpointSource srv = DnsEndpointSource.forSrv("_http._tcp.users.default.svc.cluster.local")
 *     .dnsServer("127.0.0.1:8600")
 *     .build();
 * DiscoveryBinding.bind(srv, balancer);
 * }</pre>
 *
 * <h2>Every refresh is a real lookup</h2>
 *
 * <p>The JDK's resolver ({@link java.net.InetAddress}) caches every answer for {@code
 * networkaddress.cache.ttl} seconds (30 by default, and forever when a security manager is
 * installed) and every failure for {@code networkaddress.cache.negative.ttl} (10 seconds), whatever
 * the records' own TTLs. Re-resolving through it every few seconds would return the same stale
 * answer, which is why a client that resolves once, or through that cache, never sees pods added by
 * a scale-up. This source does not use it: it sends its own query each time, over the DNS protocol
 * ({@link DnsResolver#wire}: UDP, TCP for truncated answers), which caches nothing, to the {@link
 * Builder#dnsServer configured servers} or, if none, to the {@code nameserver}s of {@code
 * /etc/resolv.conf}. The one cache left is the DNS server's own, which honours the records' TTLs.
 *
 * <h2>When it looks again</h2>
 *
 * <p>After a successful lookup, when the least TTL of the answers it used expires (the CNAMEs on
 * the way and the negative answers of search-list names tried first included), but not sooner than
 * the {@link Builder#ttlBounds minimum} (the policy's floor, 1 s, by default: servers answer local
 * records with TTL 0) nor later than the maximum (the policy's interval): a record with a 5 s TTL
 * is looked up again after 5 s even under a 30 s interval. A resolver that reports no TTLs ({@link
 * DnsResolver#jndi}) or {@link Builder#honourTtl honourTtl(false)} leaves it to the policy. A
 * failed lookup is retried on the policy's backoff (its floor, doubling up to the interval).
 *
 * <h2>How records become endpoints</h2>
 *
 * <ul>
 *   <li><b>A/AAAA</b>: one endpoint per address, host = the IP literal, port = the configured one,
 *       id = {@code ip:port} ({@code [v6]:port}), weight 1, metadata {@code dns.name} = the name.
 *       Both families are queried by default ({@link Builder#ipv4}, {@link Builder#ipv6}).
 *   <li><b>SRV</b> ({@code priority weight port target}): host = target (without the trailing dot),
 *       port = port, {@link Endpoint#priority() priority} = priority (0 is the most preferred in
 *       both), id = {@code target:port}, metadata {@code dns.name} = the service name and {@code
 *       dns.srv.weight} = the record's weight. {@link Endpoint#weight() weight} = weight, except
 *       that an SRV weight of 0 (RFC 2782: "very small chance of being selected") becomes 1, the
 *       smallest weight an endpoint can have. A target of {@code "."} (service not available)
 *       yields no endpoint. With {@link Builder#resolveTargets(boolean)} each target is itself
 *       resolved (A/AAAA, through the same servers) and yields one endpoint per address, host = the
 *       IP, with metadata {@code dns.srv.target}: then no connection goes through the JDK resolver
 *       cache either.
 * </ul>
 *
 * <p>Endpoints are sorted (by priority, host, port), so that an unchanged answer in a rotated order
 * is an unchanged set. A refresh is all or nothing: if any query fails the refresh is reported as
 * failed and the last good set stays. A name that does not exist (NXDOMAIN) is a failure; a name
 * without records of the asked types yields an empty set (which a {@link DiscoveryBinding} rejects
 * unless it {@link DiscoveryBinding.Builder#allowEmpty allows empty sets}).
 *
 * <p>Thread-safe. Lookups run one at a time on the {@link Builder#executor executor}; timing runs
 * on the {@link Builder#scheduler scheduler}.
 */
public final class DnsEndpointSource implements EndpointSource {
  private final String name;
  private final Poller poller;

  private DnsEndpointSource(String name, Poller poller) {
    this.name = name;
    this.poller = poller;
  }

  /**
   * Returns a builder for the A/AAAA records of {@code hostname}, every address on {@code port}.
   *
   * @param hostname the name to resolve, such as {@code api.internal} or the short {@code users}; a
   *     trailing dot makes it absolute, so no {@linkplain Builder#searchDomains search domain} is
   *     appended
   * @param port the port every address serves on, in 1..65535
   * @return a new builder with the defaults
   * @throws NullPointerException if {@code hostname} is null
   * @throws IllegalArgumentException if {@code hostname} is blank or not a DNS name, or {@code
   *     port} is not in 1..65535
   */
  public static Builder forAddresses(String hostname, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be in 1..65535 but was " + port);
    }
    return new Builder(normalize(hostname, "hostname"), isAbsolute(hostname), port);
  }

  /**
   * Returns a builder for the SRV records of {@code serviceName}.
   *
   * @param serviceName the full SRV name, such as {@code
   *     _http._tcp.users.default.svc.cluster.local} or {@code users.service.consul}; a trailing dot
   *     makes it absolute, so no {@linkplain Builder#searchDomains search domain} is appended
   * @return a new builder with the defaults
   * @throws NullPointerException if {@code serviceName} is null
   * @throws IllegalArgumentException if {@code serviceName} is blank or not a DNS name
   */
  public static Builder forSrv(String serviceName) {
    return new Builder(normalize(serviceName, "serviceName"), isAbsolute(serviceName), 0);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(EndpointSink sink) {
    poller.start(sink, name);
  }

  @Override
  public void close() {
    poller.close();
  }

  @Override
  public String toString() {
    return "DnsEndpointSource{" + name + '}';
  }

  private static boolean isAbsolute(String name) {
    return name.strip().endsWith(".");
  }

  private static String normalize(@Nullable String name, String option) {
    String n = checkNotNull(name, option).strip();
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (n.isEmpty() || n.contains(" ")) {
      throw new IllegalArgumentException(option + " must be a DNS name but was '" + name + "'");
    }
    return n.toLowerCase(Locale.ROOT);
  }

  /** Builds a {@link DnsEndpointSource}. Not thread-safe; every setter validates at once. */
  public static final class Builder {
    private final String queryName;
    private final int port;
    private final boolean srv;
    private final List<String> dnsServers = new ArrayList<>();
    private RefreshPolicy refresh = RefreshPolicy.defaults();
    private Duration queryTimeout = Duration.ofSeconds(2);
    private int retries = 1;
    private boolean ipv4 = true;
    private boolean ipv6 = true;
    private boolean resolveTargets;
    private Scheduler scheduler = Scheduler.systemScheduler();
    private @Nullable Executor executor;
    private @Nullable RandomGenerator random;
    private @Nullable DnsResolver resolver;
    private @Nullable Duration minTtl;
    private @Nullable Duration maxTtl;
    private boolean honourTtl = true;
    private final boolean absolute;
    private @Nullable List<String> searchDomains;
    private int ndots = -1;
    private Path resolvConf = ResolvConf.SYSTEM;

    private Builder(String queryName, boolean absolute, int port) {
      this.queryName = queryName;
      this.absolute = absolute;
      this.port = port;
      this.srv = port == 0;
    }

    /**
     * Sets the search domains a relative name is tried with, as a resolver does: a name with fewer
     * dots than {@link #ndots} (such as the Kubernetes short names {@code users} or {@code
     * users.default}) is tried with each domain appended first and then as it is; a name with at
     * least that many dots as it is first; a name given with a trailing dot only as it is. The
     * first name that exists gives the endpoints. Defaults to the {@code search} (or {@code
     * domain}) line of the {@linkplain #resolvConf resolv.conf}; an empty list turns the search
     * off.
     *
     * @param domains the domains, such as {@code default.svc.cluster.local}, in the order to try
     * @return this builder
     * @throws NullPointerException if {@code domains} or one of them is null
     * @throws IllegalArgumentException if a domain is blank or not a DNS name
     */
    public Builder searchDomains(List<String> domains) {
      List<String> list = new ArrayList<>();
      for (String d : checkNotNull(domains, "domains")) {
        String n = ResolvConf.DnsNames.normalizeDomain(checkNotNull(d, "search domain"));
        if (n == null || n.contains(" ")) {
          throw new IllegalArgumentException(
              "search domain must be a DNS name but was '" + d + "'");
        }
        list.add(n);
      }
      this.searchDomains = List.copyOf(list);
      return this;
    }

    /**
     * Sets how many dots make a name be tried as it is before the {@linkplain #searchDomains search
     * domains}. Defaults to the {@code options ndots:N} of the {@linkplain #resolvConf
     * resolv.conf}, else 1 (Kubernetes pods have 5).
     *
     * @param ndots 0 to 15
     * @return this builder
     * @throws IllegalArgumentException if {@code ndots} is not in 0..15
     */
    public Builder ndots(int ndots) {
      if (ndots < 0 || ndots > ResolvConf.MAX_NDOTS) {
        throw new IllegalArgumentException("ndots must be in 0..15 but was " + ndots);
      }
      this.ndots = ndots;
      return this;
    }

    /**
     * Sets the resolv.conf file the defaults of {@link #searchDomains} and {@link #ndots} are read
     * from, when the source is built. Defaults to {@code /etc/resolv.conf}; a missing file means no
     * search domains and ndots 1. Its {@code nameserver} lines are not read here: the system's
     * servers are used when no {@link #dnsServer} is given.
     *
     * @param file the file
     * @return this builder
     * @throws NullPointerException if {@code file} is null
     */
    public Builder resolvConf(Path file) {
      this.resolvConf = checkNotNull(file, "file");
      return this;
    }

    /**
     * Adds a DNS server to ask, as {@code host:port}, {@code host} (port 53) or {@code [v6]:port};
     * servers are tried in the order added. Defaults to the system's nameservers.
     *
     * @param hostAndPort the server's address, such as {@code 127.0.0.1:8600} (Consul) or {@code
     *     10.96.0.10} (kube-dns)
     * @return this builder
     * @throws NullPointerException if {@code hostAndPort} is null
     * @throws IllegalArgumentException if {@code hostAndPort} is blank or has a bad port
     */
    public Builder dnsServer(String hostAndPort) {
      dnsServers.add(parseServer(hostAndPort));
      return this;
    }

    /**
     * Sets when to look again. Defaults to {@link RefreshPolicy#defaults()}.
     *
     * @param refresh the refresh policy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code refresh} is null
     */
    public Builder refresh(RefreshPolicy refresh) {
      this.refresh = checkNotNull(refresh, "refresh");
      return this;
    }

    /**
     * Sets how long to wait for a server's first answer; the JNDI provider doubles the wait on each
     * retry. Defaults to 2 seconds.
     *
     * @param queryTimeout the initial timeout; must be positive
     * @return this builder
     * @throws NullPointerException if {@code queryTimeout} is null
     * @throws IllegalArgumentException if {@code queryTimeout} is not positive
     */
    public Builder queryTimeout(Duration queryTimeout) {
      checkNotNull(queryTimeout, "queryTimeout");
      if (queryTimeout.isNegative() || queryTimeout.isZero()) {
        throw new IllegalArgumentException("queryTimeout must be positive but was " + queryTimeout);
      }
      this.queryTimeout = queryTimeout;
      return this;
    }

    /**
     * Sets how many times each server is retried within one lookup. Defaults to 1.
     *
     * @param retries the number of retries, 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code retries} is negative
     */
    public Builder retries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("retries must be 0 or more but was " + retries);
      }
      this.retries = retries;
      return this;
    }

    /**
     * Whether to query A (IPv4) records. Defaults to true.
     *
     * @param ipv4 false to skip A records
     * @return this builder
     */
    public Builder ipv4(boolean ipv4) {
      this.ipv4 = ipv4;
      return this;
    }

    /**
     * Whether to query AAAA (IPv6) records. Defaults to true.
     *
     * @param ipv6 false to skip AAAA records
     * @return this builder
     */
    public Builder ipv6(boolean ipv6) {
      this.ipv6 = ipv6;
      return this;
    }

    /**
     * For SRV sources: whether to resolve each target to its addresses (one endpoint per address)
     * instead of handing the target name on as the endpoint's host. Defaults to false.
     *
     * @param resolveTargets true to resolve targets through the same DNS servers
     * @return this builder
     */
    public Builder resolveTargets(boolean resolveTargets) {
      this.resolveTargets = resolveTargets;
      return this;
    }

    /**
     * Sets the scheduler that times the refreshes. Defaults to {@link Scheduler#systemScheduler()}.
     *
     * @param scheduler the scheduler; must not be null
     * @return this builder
     * @throws NullPointerException if {@code scheduler} is null
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = checkNotNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the executor that runs the (blocking) queries. Defaults to a shared pool of daemon
     * threads named {@code lb-discovery-N}.
     *
     * @param executor the executor; must not be null
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder executor(Executor executor) {
      this.executor = checkNotNull(executor, "executor");
      return this;
    }

    /**
     * Sets the random source of the refresh jitter. Defaults to a new unseeded generator.
     *
     * @param random the generator; must not be null; used from one thread at a time
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = checkNotNull(random, "random");
      return this;
    }

    /**
     * Sets the resolver that asks DNS. Defaults to {@link DnsResolver#wire} over the {@link
     * #dnsServer servers} given (else resolv.conf's), with the {@link #queryTimeout} and {@link
     * #retries} set here, which configure only that default. {@link DnsResolver#jndi} is the JDK's
     * JNDI provider (no TTLs); any other implementation plugs in the same way.
     *
     * @param resolver the resolver
     * @return this builder
     * @throws NullPointerException if {@code resolver} is null
     */
    public Builder resolver(DnsResolver resolver) {
      this.resolver = checkNotNull(resolver, "resolver");
      return this;
    }

    /**
     * Sets the bounds of the TTL-driven refresh: after a successful lookup the source looks again
     * when the least TTL of the answers it used expires, but never sooner than {@code min} nor
     * later than {@code max}. A resolver that reports no TTL ({@link DnsResolver#jndi}) leaves the
     * refresh to the {@link #refresh RefreshPolicy}; a failed lookup is always retried on the
     * policy's backoff. Defaults to the refresh policy's {@linkplain RefreshPolicy#floor floor} (1
     * second by default) and its interval: with these defaults TTLs make refreshes sooner, never
     * later; a {@code max} above the interval lets a long TTL delay one.
     *
     * @param min the shortest delay, at least 100 ms (a TTL of 0 is common: DNS servers for local
     *     records answer with it)
     * @param max the longest delay, at least {@code min}
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code min} is under 100 ms or {@code max} under {@code
     *     min}
     */
    public Builder ttlBounds(Duration min, Duration max) {
      checkNotNull(min, "min");
      checkNotNull(max, "max");
      if (min.compareTo(Duration.ofMillis(100)) < 0) {
        throw new IllegalArgumentException("ttlBounds min must be at least 100 ms but was " + min);
      }
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            "ttlBounds max must be at least min (" + min + ") but was " + max);
      }
      this.minTtl = min;
      this.maxTtl = max;
      return this;
    }

    /**
     * Whether the refresh follows the answers' TTLs (within {@link #ttlBounds}). Defaults to true;
     * false refreshes on the {@link #refresh RefreshPolicy} alone.
     *
     * @param honour whether to follow TTLs
     * @return this builder
     */
    public Builder honourTtl(boolean honour) {
      this.honourTtl = honour;
      return this;
    }

    /**
     * Returns the source; it does nothing until started (usually by a {@link DiscoveryBinding}).
     *
     * @return a new source
     * @throws IllegalArgumentException if neither IPv4 nor IPv6 is queried
     */
    public DnsEndpointSource build() {
      if (!ipv4 && !ipv6) {
        throw new IllegalArgumentException("ipv4 and ipv6 must not both be false");
      }
      DnsResolver r =
          resolver != null ? resolver : DnsResolver.wire(dnsServers, queryTimeout, retries);
      List<String> search = searchDomains;
      int dots = ndots;
      if (search == null || dots < 0) {
        ResolvConf conf = ResolvConf.read(resolvConf);
        search = search != null ? search : conf.search;
        dots = dots >= 0 ? dots : conf.ndots;
      }
      List<String> candidates = ResolvConf.DnsNames.candidates(queryName, absolute, search, dots);
      DnsLookups lookups =
          new DnsLookups(r, queryName, candidates, port, srv, ipv4, ipv6, resolveTargets);
      String name =
          (srv ? "dns-srv:" + queryName : "dns:" + queryName + ":" + port)
              + (dnsServers.isEmpty() ? "" : "@" + String.join(",", dnsServers));
      long min = (minTtl != null ? minTtl : refresh.floor()).toNanos();
      long max = Math.max(min, maxTtl != null ? maxTtl.toNanos() : refresh.interval().toNanos());
      boolean ttls = honourTtl;
      Poller.Lookup lookup =
          new Poller.Lookup() {
            @Override
            public List<Endpoint> lookup() throws IOException {
              return lookups.lookup();
            }

            @Override
            public long nextDelayNanos() {
              long ttl = lookups.ttlNanos();
              return !ttls || ttl < 0 ? -1 : Math.min(max, Math.max(min, ttl));
            }
          };
      Poller poller =
          new Poller(
              refresh,
              scheduler,
              executor != null ? executor : DiscoveryExecutor.shared(),
              random != null ? random : RandomGenerator.of("L64X128MixRandom"),
              lookup);
      return new DnsEndpointSource(name, poller);
    }

    private static String parseServer(@Nullable String hostAndPort) {
      String s = checkNotNull(hostAndPort, "dnsServer").strip();
      if (s.isEmpty()) {
        throw new IllegalArgumentException(
            "dnsServer must be host:port but was '" + hostAndPort + "'");
      }
      String host;
      String portText = null;
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("dnsServer must be host:port but was '" + s + "'");
        }
        host = s.substring(0, close + 1);
        if (close + 1 < s.length()) {
          if (s.charAt(close + 1) != ':') {
            throw new IllegalArgumentException("dnsServer must be host:port but was '" + s + "'");
          }
          portText = s.substring(close + 2);
        }
      } else {
        int colon = s.lastIndexOf(':');
        if (colon >= 0 && s.indexOf(':') != colon) {
          host = "[" + s + "]"; // a bare IPv6 literal
        } else if (colon >= 0) {
          host = s.substring(0, colon);
          portText = s.substring(colon + 1);
        } else {
          host = s;
        }
      }
      int port = 53;
      if (portText != null) {
        try {
          port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
          port = -1;
        }
      }
      if (host.isEmpty() || port < 1 || port > 65535) {
        throw new IllegalArgumentException("dnsServer must be host:port but was '" + s + "'");
      }
      return host + ":" + port;
    }
  }
}
