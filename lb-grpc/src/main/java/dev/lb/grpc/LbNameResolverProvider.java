package dev.lb.grpc;

import dev.lb.Endpoint;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The name resolver for {@code lb:} channel targets: it publishes the endpoints of a named group of
 * an {@link EndpointRegistry}, or a static list written in the target, as gRPC address groups that
 * carry each endpoint's weight, zone and priority ({@link LbAttributes}). It re-publishes on every
 * change to the group.
 *
 * <ul>
 *   <li>{@code lb:///users} resolves the registry's group {@code users} (group names contain no
 *       {@code :}). Until the group exists, the channel sees an {@code UNAVAILABLE} resolution
 *       error naming it.
 *   <li>{@code lb:///10.0.0.1:8080,10.0.0.2:8080;weight=3;zone=eu-west-1a} is a static list:
 *       comma-separated {@code host:port} entries, each optionally followed by {@code ;weight=N},
 *       {@code ;zone=Z}, {@code ;priority=N} (failover levels, 0 preferred) and {@code ;backup}
 *       (takes calls only when no primary endpoint is available).
 * </ul>
 *
 * <p>The no-argument constructor, which {@code META-INF/services} registers with gRPC's default
 * {@link io.grpc.NameResolverRegistry}, serves the {@code lb} scheme from {@link
 * EndpointRegistry#global()} and connects over TCP. {@link #builder()} makes providers for another
 * scheme, registry or kind of socket address (in-process or Unix domain sockets, say), to register
 * with {@code NameResolverRegistry.getDefaultRegistry().register(provider)}.
 *
 * <p>Host names are resolved to IP addresses on the channel's offload executor whenever the group
 * changes, never on its synchronization context; an entry whose host does not resolve is left out
 * and logged. Immutable and thread-safe.
 */
public final class LbNameResolverProvider extends NameResolverProvider {
  /** The scheme the default provider serves: {@code lb}. */
  public static final String SCHEME = "lb";

  private final String scheme;
  private final EndpointRegistry registry;
  private final Function<Endpoint, SocketAddress> addresses;
  private final Class<? extends SocketAddress> addressType;

  /**
   * The provider {@code META-INF/services} registers: scheme {@code lb}, the global registry, TCP.
   */
  public LbNameResolverProvider() {
    this(builder());
  }

  private LbNameResolverProvider(Builder builder) {
    this.scheme = builder.scheme;
    this.registry = builder.registry;
    this.addresses = builder.addresses;
    this.addressType = builder.addressType;
  }

  /**
   * Returns a builder for a provider of another scheme, registry or socket address type.
   *
   * @return a new builder with the defaults of the registered provider
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a resolver for {@code targetUri} if its scheme is this provider's.
   *
   * @param targetUri the channel's target, such as {@code lb:///users}
   * @param args the channel's resolver arguments (synchronization context, offload executor,
   *     service config parser)
   * @return a new resolver, or null if the scheme is another provider's
   * @throws IllegalArgumentException if the target has an authority, names no group, or has a
   *     malformed static entry
   */
  @Override
  public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!scheme.equals(targetUri.getScheme())) {
      return null;
    }
    String path = targetUri.getPath();
    if (targetUri.getAuthority() != null
        || path == null
        || !path.startsWith("/")
        || path.length() == 1) {
      throw new IllegalArgumentException(
          "target must look like "
              + scheme
              + ":///GROUP or "
              + scheme
              + ":///HOST:PORT,HOST:PORT but was '"
              + targetUri
              + "'");
    }
    String name = path.substring(1);
    String override = args.getOverrideAuthority();
    if (name.indexOf(':') < 0) {
      return new LbNameResolver(
          override != null ? override : name, registry, name, null, addresses, args);
    }
    List<Endpoint> endpoints = parseStaticList(name);
    String authority = override != null ? override : endpoints.get(0).address();
    return new LbNameResolver(authority, registry, null, endpoints, addresses, args);
  }

  /**
   * Parses {@code host:port[;weight=N][;zone=Z][;priority=N][;backup]} entries separated by commas.
   */
  static List<Endpoint> parseStaticList(String list) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (String entry : list.split(",", -1)) {
      String[] parts = entry.trim().split(";", -1);
      String hostPort = parts[0];
      int colon = hostPort.lastIndexOf(':');
      String host = colon > 0 ? hostPort.substring(0, colon) : "";
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port = colon > 0 ? parseInt("port", hostPort.substring(colon + 1), entry) : -1;
      if (host.isBlank() || port < 1 || port > 65535) {
        throw new IllegalArgumentException(
            "static target entries must be HOST:PORT with a port in 1..65535 but one was '"
                + entry
                + "'");
      }
      Endpoint.Builder builder = Endpoint.builder(host, port);
      for (int i = 1; i < parts.length; i++) {
        String option = parts[i];
        int eq = option.indexOf('=');
        String key = eq < 0 ? option : option.substring(0, eq).toLowerCase(Locale.ROOT);
        String value = eq < 0 ? "" : option.substring(eq + 1);
        switch (key) {
          case "weight" -> builder.weight(parseInt("weight", value, entry));
          case "priority" -> builder.priority(parseInt("priority", value, entry));
          case "zone" -> builder.zone(value);
          case "backup" -> builder.backup(parseBackup(value, eq >= 0, entry));
          default ->
              throw new IllegalArgumentException(
                  "static target options must be weight, zone, priority or backup but entry '"
                      + entry
                      + "' has '"
                      + option
                      + "'");
        }
      }
      endpoints.add(builder.build());
    }
    return List.copyOf(endpoints);
  }

  /** {@code ;backup} alone, or {@code ;backup=true|false}. */
  private static boolean parseBackup(String value, boolean hasValue, String entry) {
    if (!hasValue || value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(
        "backup must be true or false but was '" + value + "' in entry '" + entry + "'");
  }

  private static int parseInt(String what, String value, String entry) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + " must be an integer but was '" + value + "' in entry '" + entry + "'", e);
    }
  }

  /**
   * The scheme this provider serves.
   *
   * @return {@code lb} unless built with another
   */
  @Override
  public String getDefaultScheme() {
    return scheme;
  }

  /**
   * Always available: the provider needs nothing beyond gRPC's API.
   *
   * @return true
   */
  @Override
  protected boolean isAvailable() {
    return true;
  }

  /**
   * The default priority of gRPC's own providers; only one provider serves the {@code lb} scheme.
   *
   * @return 5
   */
  @Override
  protected int priority() {
    return 5;
  }

  /**
   * The kind of socket address the resolvers publish, which the channel's transport must support.
   *
   * @return {@link InetSocketAddress} unless built with another type
   */
  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(addressType);
  }

  /** Builds an {@link LbNameResolverProvider}. Not thread-safe. */
  public static final class Builder {
    private String scheme = SCHEME;
    private EndpointRegistry registry = EndpointRegistry.global();
    private Function<Endpoint, SocketAddress> addresses =
        e -> new InetSocketAddress(e.host(), e.port());
    private Class<? extends SocketAddress> addressType = InetSocketAddress.class;

    private Builder() {}

    /**
     * Sets the scheme the provider serves. Defaults to {@code lb}.
     *
     * @param scheme the URI scheme of the targets to resolve, such as {@code lb-inprocess}
     * @return this builder
     * @throws NullPointerException if {@code scheme} is null
     * @throws IllegalArgumentException if {@code scheme} is not a valid URI scheme
     */
    public Builder scheme(String scheme) {
      Objects.requireNonNull(scheme, "scheme must not be null");
      if (!scheme.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
        throw new IllegalArgumentException(
            "scheme must be a URI scheme such as 'lb' but was '" + scheme + "'");
      }
      this.scheme = scheme.toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Sets the registry groups are resolved from. Defaults to {@link EndpointRegistry#global()}.
     *
     * @param registry the registry whose groups {@code SCHEME:///GROUP} targets name
     * @return this builder
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder registry(EndpointRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
      return this;
    }

    /**
     * Sets how an endpoint becomes a socket address, and the type of those addresses. Defaults to
     * an {@link InetSocketAddress} of the endpoint's host and port, resolved when published.
     *
     * @param <A> the socket address type
     * @param type the class of every address {@code addresses} returns, which the channel's
     *     transport must support
     * @param addresses returns the address to connect to for an endpoint; called on the channel's
     *     offload executor, may block (for a DNS lookup, say), must not return null
     * @return this builder
     * @throws NullPointerException if either argument is null
     */
    public <A extends SocketAddress> Builder addresses(
        Class<A> type, Function<Endpoint, ? extends A> addresses) {
      Objects.requireNonNull(type, "type must not be null");
      Objects.requireNonNull(addresses, "addresses must not be null");
      this.addressType = type;
      this.addresses = addresses::apply;
      return this;
    }

    /**
     * Returns the provider.
     *
     * @return a new provider with the options set on this builder
     */
    public LbNameResolverProvider build() {
      return new LbNameResolverProvider(this);
    }
  }
}
