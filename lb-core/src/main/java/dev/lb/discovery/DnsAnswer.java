package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link DnsResolver} got for one query: whether the name exists, its records of the type
 * asked for, in presentation form (an address such as {@code 10.0.0.1} or {@code 2001:db8::1}, or
 * an SRV record as {@code "priority weight port target."}), and how long the answer may be cached
 * (the least TTL of the records that made it, or of the zone's SOA record for a negative answer),
 * if the resolver knows it.
 *
 * <p>Immutable.
 */
public final class DnsAnswer {
  private static final DnsAnswer NO_SUCH_NAME = new DnsAnswer(false, List.of(), null);

  private final boolean nameExists;
  private final List<String> records;
  private final @Nullable Duration ttl;

  private DnsAnswer(boolean nameExists, List<String> records, @Nullable Duration ttl) {
    this.nameExists = nameExists;
    this.records = records;
    this.ttl = ttl;
  }

  /**
   * An answer for a name that exists: its records (none if it has no records of the type asked
   * for), cacheable for {@code ttl}.
   *
   * @param records the records in presentation form
   * @param ttl how long the answer may be cached; null if not known
   * @return the answer
   * @throws NullPointerException if {@code records} or one of them is null
   * @throws IllegalArgumentException if {@code ttl} is negative
   */
  public static DnsAnswer of(List<String> records, @Nullable Duration ttl) {
    checkNotNull(records, "records");
    if (ttl != null && ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative but was " + ttl);
    }
    return new DnsAnswer(true, List.copyOf(records), ttl);
  }

  /**
   * The answer for a name that does not exist (NXDOMAIN).
   *
   * @param negativeTtl how long that may be cached (from the zone's SOA record); null if not known
   * @return the answer
   * @throws IllegalArgumentException if {@code negativeTtl} is negative
   */
  public static DnsAnswer noSuchName(@Nullable Duration negativeTtl) {
    if (negativeTtl == null) {
      return NO_SUCH_NAME;
    }
    if (negativeTtl.isNegative()) {
      throw new IllegalArgumentException("negativeTtl must not be negative but was " + negativeTtl);
    }
    return new DnsAnswer(false, List.of(), negativeTtl);
  }

  /**
   * Whether the name exists; false for NXDOMAIN.
   *
   * @return true if it exists
   */
  public boolean nameExists() {
    return nameExists;
  }

  /**
   * The records of the type asked for.
   *
   * @return an unmodifiable list, empty for a name without such records or one that does not exist
   */
  public List<String> records() {
    return records;
  }

  /**
   * How long this answer may be cached.
   *
   * @return the TTL, or null if the resolver does not know it
   */
  public @Nullable Duration ttl() {
    return ttl;
  }

  @Override
  public String toString() {
    return (nameExists ? records.toString() : "NXDOMAIN") + (ttl == null ? "" : " ttl " + ttl);
  }
}
