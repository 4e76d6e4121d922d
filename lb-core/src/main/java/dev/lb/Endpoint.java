package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotBlank;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One backend instance that calls can be sent to: an immutable value of id, host, port, weight,
 * zone and metadata.
 *
 * <p>The <b>id</b> is the endpoint's identity within a {@link LoadBalancer}: two endpoints with the
 * same id are the same backend, and the balancer keeps its live statistics (in-flight calls,
 * latency) under that id while the endpoint's other fields (weight, metadata) change. It defaults
 * to {@code host:port}.
 *
 * <p>The <b>weight</b> is relative: an endpoint of weight 2 gets twice the share of one of weight 1
 * under weighted strategies; unweighted strategies ignore it. It must be positive and defaults to
 * 1.
 *
 * <pre>{@code
 * Endpoint a = Endpoint.of("10.0.0.1", 8080);
 * Endpoint b = Endpoint.builder("10.0.0.2", 8080).weight(3).zone("eu-west-1a").build();
 * Endpoint heavier = b.toBuilder().weight(5).build();
 * }</pre>
 *
 * <p>The <b>priority</b> orders failover levels: 0 is the most preferred, and a balancer sends
 * traffic to level 1 only when level 0 lacks healthy capacity (DNS SRV priorities map here). A
 * <b>backup</b> endpoint receives calls only when no primary endpoint of any priority is available,
 * as nginx's {@code backup} servers do.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Endpoint {
  private final String id;
  private final String host;
  private final int port;
  private final int weight;
  private final @Nullable String zone;
  private final int priority;
  private final boolean backup;
  private final Map<String, String> metadata;

  private Endpoint(Builder builder) {
    this.host = builder.host;
    this.port = builder.port;
    this.id = builder.id != null ? builder.id : defaultId(builder.host, builder.port);
    this.weight = builder.weight;
    this.zone = builder.zone;
    this.priority = builder.priority;
    this.backup = builder.backup;
    this.metadata = Map.copyOf(builder.metadata);
  }

  /**
   * Returns an endpoint of weight 1 whose id is {@code host:port}.
   *
   * @param host the DNS name, IPv4 literal or IPv6 literal (without brackets) to connect to
   * @param port the port to connect to, in 1..65535
   * @return a new endpoint with no zone and no metadata
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if {@code host} is not a DNS name, an IPv4 literal or an IPv6
   *     literal without brackets (a {@code host:port}, a URL, white space), or {@code port} is not
   *     in 1..65535
   */
  public static Endpoint of(String host, int port) {
    return builder(host, port).build();
  }

  /**
   * Returns a builder for an endpoint at {@code host:port}.
   *
   * @param host the DNS name, IPv4 literal or IPv6 literal (without brackets) to connect to
   * @param port the port to connect to, in 1..65535
   * @return a new builder with weight 1, the default id {@code host:port}, no zone and no metadata
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if {@code host} is not a DNS name, an IPv4 literal or an IPv6
   *     literal without brackets (a {@code host:port}, a URL, white space), or {@code port} is not
   *     in 1..65535
   */
  public static Builder builder(String host, int port) {
    return new Builder(host, port);
  }

  /**
   * Returns a builder initialized with every field of this endpoint.
   *
   * @return a new builder with this endpoint's id, host, port, weight, zone and metadata, whose
   *     changes do not affect this endpoint
   */
  public Builder toBuilder() {
    Builder b =
        new Builder(host, port)
            .id(id)
            .weight(weight)
            .priority(priority)
            .backup(backup)
            .metadata(metadata);
    if (zone != null) {
      b.zone(zone);
    }
    return b;
  }

  /**
   * The endpoint's identity within a balancer; {@code host:port} unless set.
   *
   * @return the id, never blank
   */
  public String id() {
    return id;
  }

  /**
   * The host name or IP literal to connect to.
   *
   * @return the host as given to the builder, never blank
   */
  public String host() {
    return host;
  }

  /**
   * The port to connect to, in 1..65535.
   *
   * @return the port number, in 1..65535
   */
  public int port() {
    return port;
  }

  /**
   * The configured relative weight, at least 1.
   *
   * @return the weight, at least 1; 1 unless set
   */
  public int weight() {
    return weight;
  }

  /**
   * The zone (availability zone, rack, data centre) this endpoint runs in, or null if unknown.
   *
   * @return the zone, never blank, or null if none was set
   */
  public @Nullable String zone() {
    return zone;
  }

  /**
   * Free-form labels (version, canary flag, ...); an immutable map, empty unless set.
   *
   * @return the metadata as an immutable map from label key to value, empty if none was set
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The failover level, 0 being the most preferred.
   *
   * @return the priority, 0 or more; 0 unless set
   */
  public int priority() {
    return priority;
  }

  /**
   * Whether this is a backup endpoint, used only when no primary endpoint is available.
   *
   * @return true if the endpoint was built as a backup; false by default
   */
  public boolean backup() {
    return backup;
  }

  /**
   * Returns {@code host:port}, bracketing IPv6 literals.
   *
   * @return the address to connect to, such as {@code 10.0.0.1:8080} or {@code [::1]:8080},
   *     whatever the id
   */
  public String address() {
    return defaultId(host, port);
  }

  /**
   * Returns {@code host} if it is a DNS name (labels of ASCII letters, digits, {@code -} and {@code
   * _}, each 1 to 63 characters and not starting or ending with {@code -}, 253 characters in all,
   * an optional final dot), an IPv4 literal ({@code 10.0.0.1}) or an IPv6 literal without brackets
   * ({@code ::1}, {@code fe80::1%eth0}); a name whose last label is all digits must be an IPv4
   * literal.
   */
  static String checkHost(String host) {
    String problem = hostProblem(host);
    if (problem != null) {
      throw new IllegalArgumentException(
          "host must be a DNS name, an IPv4 literal or an IPv6 literal"
              + problem
              + " but was '"
              + host
              + "'");
    }
    return host;
  }

  /** Null if {@code host} is valid; otherwise a hint to add to the message, maybe empty. */
  private static @Nullable String hostProblem(String host) {
    if (host.startsWith("[")) {
      return " (without brackets)";
    }
    if (host.indexOf(':') >= 0) {
      if (host.indexOf('/') >= 0
          || (host.indexOf('.') >= 0 && host.indexOf(':') == host.lastIndexOf(':'))) {
        return " (give the port separately, without a scheme or path)";
      }
      return isIpv6(host) ? null : "";
    }
    if (host.indexOf('/') >= 0) {
      return " (without a scheme or path)";
    }
    return isDnsNameOrIpv4(host) ? null : "";
  }

  private static boolean isDnsNameOrIpv4(String host) {
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (name.isEmpty() || name.length() > 253) {
      return false;
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
        return false;
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '_';
        if (!ok) {
          return false;
        }
      }
    }
    String last = labels[labels.length - 1];
    return !allDigits(last) || isIpv4(name);
  }

  private static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !allDigits(part) || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv6(String host) {
    int percent = host.indexOf('%');
    String address = host;
    if (percent >= 0) {
      String zone = host.substring(percent + 1);
      if (zone.isEmpty() || !zone.chars().allMatch(c -> c > ' ' && c < 127 && c != '%')) {
        return false;
      }
      address = host.substring(0, percent);
    }
    int gap = address.indexOf("::");
    if (gap >= 0 && address.indexOf("::", gap + 1) >= 0) {
      return false;
    }
    int groups;
    if (gap < 0) {
      groups = ipv6Groups(address, true);
      return groups == 8;
    }
    int head = gap == 0 ? 0 : ipv6Groups(address.substring(0, gap), false);
    int tail = gap + 2 == address.length() ? 0 : ipv6Groups(address.substring(gap + 2), true);
    return head >= 0 && tail >= 0 && head + tail <= 7;
  }

  /**
   * The number of 16-bit groups in {@code part} (colon-separated hex groups, an IPv4 literal last
   * counting two when {@code last}), or -1 if it is malformed.
   */
  private static int ipv6Groups(String part, boolean last) {
    String[] groups = part.split(":", -1);
    int count = 0;
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (last && i == groups.length - 1 && g.indexOf('.') >= 0) {
        if (!isIpv4(g)) {
          return -1;
        }
        count += 2;
        continue;
      }
      if (g.isEmpty() || g.length() > 4) {
        return -1;
      }
      for (int j = 0; j < g.length(); j++) {
        if (Character.digit(g.charAt(j), 16) < 0) {
          return -1;
        }
      }
      count++;
    }
    return count;
  }

  private static boolean allDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return !s.isEmpty();
  }

  private static String defaultId(String host, int port) {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Endpoint that)) {
      return false;
    }
    return port == that.port
        && weight == that.weight
        && priority == that.priority
        && backup == that.backup
        && id.equals(that.id)
        && host.equals(that.host)
        && Objects.equals(zone, that.zone)
        && metadata.equals(that.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, host, port, weight, zone, priority, backup, metadata);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Endpoint{").append(id);
    if (!id.equals(address())) {
      sb.append(" @ ").append(address());
    }
    sb.append(", weight=").append(weight);
    if (zone != null) {
      sb.append(", zone=").append(zone);
    }
    if (priority != 0) {
      sb.append(", priority=").append(priority);
    }
    if (backup) {
      sb.append(", backup");
    }
    if (!metadata.isEmpty()) {
      sb.append(", metadata=").append(new java.util.TreeMap<>(metadata));
    }
    return sb.append('}').toString();
  }

  /** Builds an {@link Endpoint}. Not thread-safe; every setter validates its argument at once. */
  public static final class Builder {
    private final String host;
    private final int port;
    private @Nullable String id;
    private int weight = 1;
    private @Nullable String zone;
    private int priority;
    private boolean backup;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(@Nullable String host, int port) {
      this.host = checkHost(checkNotBlank(host, "host"));
      checkArgument(port >= 1 && port <= 65535, "port must be in 1..65535 but was %s", port);
      this.port = port;
    }

    /**
     * Sets the endpoint's id; defaults to {@code host:port}. Must not be null or blank.
     *
     * @param id the endpoint's identity within a balancer; must not be null or blank
     * @return this builder
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Builder id(@Nullable String id) {
      this.id = checkNotBlank(id, "id");
      return this;
    }

    /**
     * Sets the relative weight; must be positive. Defaults to 1.
     *
     * @param weight the endpoint's share relative to the other endpoints under weighted strategies;
     *     must be positive
     * @return this builder
     * @throws IllegalArgumentException if {@code weight} is not positive
     */
    public Builder weight(int weight) {
      checkArgument(weight > 0, "weight must be positive but was %s", weight);
      this.weight = weight;
      return this;
    }

    /**
     * Sets the zone; must not be blank. Unset by default.
     *
     * @param zone the availability zone, rack or data centre the endpoint runs in; must not be null
     *     or blank
     * @return this builder
     * @throws NullPointerException if {@code zone} is null
     * @throws IllegalArgumentException if {@code zone} is blank
     */
    public Builder zone(@Nullable String zone) {
      this.zone = checkNotBlank(zone, "zone");
      return this;
    }

    /**
     * Sets the failover level; 0, the default, is the most preferred.
     *
     * @param priority the endpoint's priority level, 0 or more; higher levels take traffic only
     *     when lower ones lack healthy capacity
     * @return this builder
     * @throws IllegalArgumentException if {@code priority} is negative
     */
    public Builder priority(int priority) {
      checkArgument(priority >= 0, "priority must be 0 or more but was %s", priority);
      this.priority = priority;
      return this;
    }

    /**
     * Marks the endpoint as a backup (or not): a backup receives calls only when no primary
     * endpoint is available. Defaults to false.
     *
     * @param backup true to make the endpoint a backup
     * @return this builder
     */
    public Builder backup(boolean backup) {
      this.backup = backup;
      return this;
    }

    /**
     * Adds one metadata entry, replacing any earlier value for {@code key}.
     *
     * @param key the label's name; must not be null or blank
     * @param value the label's value; must not be null, may be empty
     * @return this builder
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if {@code key} is blank
     */
    public Builder metadata(@Nullable String key, @Nullable String value) {
      String k = checkNotBlank(key, "metadata key");
      if (value == null) {
        throw new NullPointerException("metadata value for '" + k + "' must not be null");
      }
      metadata.put(k, value);
      return this;
    }

    /**
     * Adds every entry of {@code entries}.
     *
     * @param entries labels to add, each as by {@link #metadata(String, String)}, replacing any
     *     earlier value for the same key
     * @return this builder
     * @throws NullPointerException if {@code entries}, a key or a value is null
     * @throws IllegalArgumentException if a key is blank
     */
    public Builder metadata(Map<String, String> entries) {
      checkNotNull(entries, "entries").forEach(this::metadata);
      return this;
    }

    /**
     * Returns the endpoint.
     *
     * @return a new immutable endpoint with the fields set on this builder
     */
    public Endpoint build() {
      return new Endpoint(this);
    }
  }
}
