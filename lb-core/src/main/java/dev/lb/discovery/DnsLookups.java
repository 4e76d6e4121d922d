package dev.lb.discovery;

import dev.lb.Endpoint;
import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The lookups of a {@link DnsEndpointSource}: the query names tried in order (the search list and
 * ndots rule), SRV or address records, and the endpoints they make, sorted so that an unchanged
 * answer is an unchanged list; and the least TTL of the answers a lookup used, from which the
 * source's next refresh is timed. Separate from the source so tests can drive them with a fake
 * resolver. Not thread-safe: the source's poller runs one lookup at a time.
 */
final class DnsLookups {
  private final DnsResolver resolver;
  private final String queryName;
  private final List<String> candidates;
  private final int port;
  private final boolean srv;
  private final boolean ipv4;
  private final boolean ipv6;
  private final boolean resolveTargets;

  /** The least TTL of the answers the last lookup used, in nanoseconds; -1 if none had one. */
  private long ttlNanos = -1;

  DnsLookups(
      DnsResolver resolver,
      String queryName,
      List<String> candidates,
      int port,
      boolean srv,
      boolean ipv4,
      boolean ipv6,
      boolean resolveTargets) {
    this.resolver = resolver;
    this.queryName = queryName;
    this.candidates = List.copyOf(candidates);
    this.port = port;
    this.srv = srv;
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
    this.resolveTargets = resolveTargets;
  }

  List<Endpoint> lookup() throws IOException {
    ttlNanos = -1;
    return srv ? lookupSrv() : lookupAddresses();
  }

  /**
   * The least TTL of the answers the last lookup used (the negative answers of the names it tried
   * first included); -1 if no answer had one (or the lookup failed).
   */
  long ttlNanos() {
    return ttlNanos;
  }

  private DnsAnswer query(String name, String type) throws IOException {
    DnsAnswer answer = resolver.query(name, type);
    Duration ttl = answer.ttl();
    if (ttl != null) {
      long nanos = ttl.toNanos();
      ttlNanos = ttlNanos < 0 ? nanos : Math.min(ttlNanos, nanos);
    }
    return answer;
  }

  private List<Endpoint> lookupAddresses() throws IOException {
    List<Endpoint> found = new ArrayList<>();
    String name = null;
    for (String candidate : candidates) {
      List<String> ips = addressesOrNull(candidate);
      if (ips != null) {
        name = candidate;
        if (!ips.isEmpty()) {
          for (String ip : ips) {
            found.add(Endpoint.builder(ip, port).metadata("dns.name", candidate).build());
          }
          return sorted(found);
        }
      }
    }
    if (name == null) {
      throw noSuchName();
    }
    return found; // the name exists but has no address records: an empty set
  }

  /** The addresses of {@code host}, or null if it does not exist (NXDOMAIN). */
  private @Nullable List<String> addressesOrNull(String host) throws IOException {
    List<String> ips = new ArrayList<>();
    if (ipv4) {
      DnsAnswer a = query(host, "A");
      if (!a.nameExists()) {
        return null;
      }
      ips.addAll(a.records());
    }
    if (ipv6) {
      DnsAnswer aaaa = query(host, "AAAA");
      if (!aaaa.nameExists()) {
        return null;
      }
      ips.addAll(aaaa.records());
    }
    return ips;
  }

  /** The addresses of an SRV target, an absolute name. */
  private List<String> addresses(String host) throws IOException {
    List<String> ips = addressesOrNull(host);
    if (ips == null) {
      throw new UnknownHostException("no such DNS name: " + host);
    }
    return ips;
  }

  private UnknownHostException noSuchName() {
    return new UnknownHostException(
        "no such DNS name: "
            + queryName
            + (candidates.size() == 1 && candidates.get(0).equals(queryName)
                ? ""
                : " (tried " + String.join(", ", candidates) + ")"));
  }

  private List<Endpoint> lookupSrv() throws IOException {
    List<String> records = null;
    for (String candidate : candidates) {
      DnsAnswer answer = query(candidate, "SRV");
      if (!answer.nameExists()) {
        continue;
      }
      records = answer.records();
      if (!records.isEmpty()) {
        break;
      }
    }
    if (records == null) {
      throw noSuchName();
    }
    // Two records may name the same target and port; the first in sorted order (the most
    // preferred priority) wins, so an endpoint id is never delivered twice.
    Map<String, Endpoint> byId = new LinkedHashMap<>();
    for (Endpoint e : sorted(parseSrv(records))) {
      if (resolveTargets) {
        for (String ip : addresses(e.host())) {
          Endpoint resolved =
              Endpoint.builder(ip, e.port())
                  .weight(e.weight())
                  .priority(e.priority())
                  .metadata(e.metadata())
                  .metadata("dns.srv.target", e.host())
                  .build();
          byId.putIfAbsent(resolved.id(), resolved);
        }
      } else {
        byId.putIfAbsent(e.id(), e);
      }
    }
    return sorted(new ArrayList<>(byId.values()));
  }

  private List<Endpoint> parseSrv(List<String> records) throws IOException {
    List<Endpoint> found = new ArrayList<>();
    for (String record : records) {
      String[] f = record.strip().split("\\s+", -1);
      if (f.length != 4) {
        throw new IOException("malformed SRV record for " + queryName + ": '" + record + "'");
      }
      String target = f[3].endsWith(".") ? f[3].substring(0, f[3].length() - 1) : f[3];
      if (target.isEmpty()) {
        continue; // RFC 2782: a target of "." means the service is decidedly not available here
      }
      int priority;
      int weight;
      int srvPort;
      try {
        priority = Integer.parseInt(f[0]);
        weight = Integer.parseInt(f[1]);
        srvPort = Integer.parseInt(f[2]);
      } catch (NumberFormatException e) {
        throw new IOException("malformed SRV record for " + queryName + ": '" + record + "'");
      }
      if (srvPort < 1 || srvPort > 65535 || priority < 0 || weight < 0) {
        throw new IOException("malformed SRV record for " + queryName + ": '" + record + "'");
      }
      found.add(
          Endpoint.builder(target.toLowerCase(Locale.ROOT), srvPort)
              .priority(priority)
              .weight(Math.max(1, weight))
              .metadata("dns.name", queryName)
              .metadata("dns.srv.weight", Integer.toString(weight))
              .build());
    }
    return found;
  }

  private static final Comparator<Endpoint> ORDER =
      Comparator.comparingInt(Endpoint::priority)
          .thenComparing(Endpoint::host)
          .thenComparingInt(Endpoint::port);

  private static List<Endpoint> sorted(List<Endpoint> endpoints) {
    endpoints.sort(ORDER);
    return endpoints;
  }
}
