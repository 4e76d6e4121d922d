package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Asks DNS for the records of one name and type: the resolver a {@link DnsEndpointSource} uses,
 * pluggable through {@link DnsEndpointSource.Builder#resolver}. Two come with lb-core, neither with
 * a dependency:
 *
 * <ul>
 *   <li>{@link #wire}, the default: DNS messages over UDP (TCP when an answer is truncated) to the
 *       configured servers or those of {@code /etc/resolv.conf}, with each answer's TTL, so that a
 *       source refreshes when the records expire;
 *   <li>{@link #jndi}: the JDK's JNDI DNS provider ({@code jdk.naming.dns}), which reports no TTLs
 *       (a source using it refreshes on its {@link RefreshPolicy} alone).
 * </ul>
 *
 * <p>Neither caches: every query is sent. Implementations must be thread-safe; a source makes one
 * query at a time, on its executor, and the query may block up to its timeouts.
 */
@FunctionalInterface
public interface DnsResolver {
  /**
   * Queries {@code name} for records of {@code type}.
   *
   * @param name the fully qualified name, without the trailing dot
   * @param type {@code A}, {@code AAAA} or {@code SRV}
   * @return the answer: the records, or that the name does not exist (NXDOMAIN), with the TTL if
   *     known
   * @throws IOException if the query failed (no answer in time, SERVFAIL, REFUSED, a malformed
   *     response, every server unreachable)
   */
  DnsAnswer query(String name, String type) throws IOException;

  /**
   * A resolver that speaks the DNS protocol itself (RFC 1035) over UDP, and over TCP when an answer
   * is truncated, reporting each answer's TTL. Servers are asked in order; each gets {@code
   * retries} more tries after its first, with the timeout doubling per try.
   *
   * @param servers {@code host:port} of each server, in order (IP literals; IPv6 in brackets);
   *     empty for the {@code nameserver} lines of {@code /etc/resolv.conf} (127.0.0.1:53 if it has
   *     none, as glibc does)
   * @param timeout how long to wait for the first answer
   * @param retries how many times to retry each server after its first try, 0 or more
   * @return the resolver
   * @throws NullPointerException if {@code servers}, one of them or {@code timeout} is null
   * @throws IllegalArgumentException if a server is not {@code host:port}, {@code timeout} is not
   *     positive or {@code retries} is negative
   */
  static DnsResolver wire(List<String> servers, Duration timeout, int retries) {
    checkNotNull(servers, "servers");
    checkNotNull(timeout, "timeout");
    List<String> list =
        servers.isEmpty() ? ResolvConf.read(ResolvConf.SYSTEM).nameservers : List.copyOf(servers);
    return new WireDnsResolver(list, timeout, retries);
  }

  /**
   * The JDK's JNDI DNS provider: no TTLs, so a source using it refreshes on its {@link
   * RefreshPolicy}.
   *
   * @param servers {@code host:port} of each server, in order; empty for the system's
   * @param timeout how long to wait for the first answer; the provider doubles it per retry
   * @param retries how many times to retry each server after its first try, 0 or more
   * @return the resolver
   * @throws NullPointerException if {@code servers} or {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is not positive or {@code retries} is
   *     negative
   */
  static DnsResolver jndi(List<String> servers, Duration timeout, int retries) {
    checkNotNull(servers, "servers");
    checkNotNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive but was " + timeout);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("retries must be 0 or more but was " + retries);
    }
    return new JndiDnsResolver(List.copyOf(servers), timeout, retries);
  }
}
