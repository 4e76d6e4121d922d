package dev.lb.discovery;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * Queries DNS servers directly through the JDK's JNDI DNS provider ({@code jdk.naming.dns}); it
 * reports no TTLs.
 *
 * <p>Why not {@link java.net.InetAddress#getAllByName}: the JDK resolver caches answers for {@code
 * networkaddress.cache.ttl} seconds (30 by default, forever under a security manager) and failures
 * for {@code networkaddress.cache.negative.ttl} (10), whatever the records' TTLs, and it cannot ask
 * for SRV records. The JNDI provider sends a real query every time and caches nothing, to the
 * configured servers or, if none, to the system's (read from {@code /etc/resolv.conf} on Unix).
 *
 * <p>A new context per query: contexts are not thread-safe and cost little next to the query.
 */
final class JndiDnsResolver implements DnsResolver {
  private final String providerUrl;
  private final String timeoutMillis;
  private final String retries;

  /**
   * @param servers {@code host:port} of each server to ask, in order; empty for the system's
   * @param timeout how long to wait for the first answer; the JNDI provider doubles it per retry
   * @param retries how many times to retry each server after its first attempt
   */
  JndiDnsResolver(List<String> servers, Duration timeout, int retries) {
    if (servers.isEmpty()) {
      this.providerUrl = "dns:";
    } else {
      StringBuilder sb = new StringBuilder();
      for (String s : servers) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append("dns://").append(s);
      }
      this.providerUrl = sb.toString();
    }
    this.timeoutMillis = Long.toString(Math.max(1, timeout.toMillis()));
    // The provider's "retries" is the number of attempts per server: 0 would send nothing at all.
    this.retries = Integer.toString(retries + 1);
  }

  String providerUrl() {
    return providerUrl;
  }

  // BanJNDI guards against lookup() of LDAP/RMI references that deserialize remote objects (the
  // Log4Shell vector). Here the factory is pinned to the DNS provider, the provider URL is ours,
  // and
  // getAttributes returns record data as strings: nothing is ever deserialized.
  // JdkObsolete: InitialDirContext takes a Hashtable; there is no other way to pass its
  // environment.
  @Override
  public DnsAnswer query(String name, String type) throws IOException {
    try {
      return DnsAnswer.of(records(name, type), null);
    } catch (NameNotFoundException e) {
      return DnsAnswer.noSuchName(null);
    } catch (NamingException e) {
      throw new IOException("DNS query " + type + " " + name + " failed: " + e.getExplanation(), e);
    }
  }

  /** The JNDI query itself; also the dnsmasq fixture's readiness probe. */
  @SuppressWarnings({"BanJNDI", "JdkObsolete"}) // see above
  List<String> records(String name, String type) throws NamingException {
    Hashtable<String, Object> env = new Hashtable<>();
    env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
    env.put(Context.PROVIDER_URL, providerUrl);
    env.put("com.sun.jndi.dns.timeout.initial", timeoutMillis);
    env.put("com.sun.jndi.dns.timeout.retries", retries);
    DirContext context = new InitialDirContext(env);
    try {
      // The trailing dot makes the name absolute, so no search domain is ever appended.
      Attributes attributes = context.getAttributes(name + ".", new String[] {type});
      Attribute attribute = attributes.get(type);
      List<String> records = new ArrayList<>();
      if (attribute != null) {
        NamingEnumeration<?> values = attribute.getAll();
        while (values.hasMore()) {
          records.add(String.valueOf(values.next()));
        }
      }
      return records;
    } finally {
      context.close();
    }
  }
}
