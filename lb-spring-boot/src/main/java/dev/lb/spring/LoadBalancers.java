package dev.lb.spring;

import static java.util.Objects.requireNonNull;

import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The application's balancers, one per {@code lb.services.<name>} entry, by service name: what the
 * auto-configuration builds from {@link LbProperties} and what its other beans (the OkHttp client,
 * the Spring Cloud bridge, the health indicator) read. Each balancer is also a bean of its own,
 * named {@code <name>LoadBalancer} and qualified by the service name ({@code @Qualifier("users")
 * LoadBalancer users}).
 *
 * <p>Closing it closes every balancer; the application context does that when it closes.
 * Thread-safe and immutable (the balancers themselves are thread-safe).
 */
public final class LoadBalancers implements AutoCloseable {
  private final Map<String, LoadBalancer> balancers;
  private final Map<String, DiscoverySource> discovery;
  private final Set<String> secure;

  private LoadBalancers(
      Map<String, LoadBalancer> balancers,
      Map<String, DiscoverySource> discovery,
      Set<String> secure) {
    this.balancers = Collections.unmodifiableMap(balancers);
    this.discovery = Collections.unmodifiableMap(discovery);
    this.secure = Set.copyOf(secure);
  }

  /**
   * Builds one balancer per service from its property tree, as {@link LoadBalancerConfig#fromMap}
   * reads it, then applies the customizers to each builder.
   *
   * @param services the services by name, each as its property tree ({@link
   *     LbProperties#getServices()})
   * @param customizers applied to every service's builder, in order
   * @return the balancers
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException naming the property ({@code lb.services.users.strategy}) and
   *     quoting the value, if a service's configuration is invalid
   */
  public static LoadBalancers of(
      Map<String, ? extends Map<String, ?>> services, List<LoadBalancerCustomizer> customizers) {
    requireNonNull(services, "services");
    requireNonNull(customizers, "customizers");
    Map<String, LoadBalancer> balancers = new LinkedHashMap<>();
    Map<String, DiscoverySource> discovery = new LinkedHashMap<>();
    Set<String> secure = new HashSet<>();
    try {
      for (Map.Entry<String, ? extends Map<String, ?>> service : services.entrySet()) {
        String name = service.getKey();
        String prefix = "lb.services." + name;
        Map<String, Object> tree = PropertyTrees.normalize(service.getValue());
        Object source = tree.remove("discovery");
        discovery.put(
            name,
            source == null
                ? DiscoverySource.STATIC
                : DiscoverySource.parse(prefix + ".discovery", source));
        Object https = tree.remove("secure");
        if (https != null && parseBoolean(prefix + ".secure", https)) {
          secure.add(name);
        }
        tree.putIfAbsent("name", name);
        LoadBalancer.Builder builder;
        try {
          builder = LoadBalancerConfig.fromMap(tree).toBuilder();
        } catch (IllegalArgumentException e) {
          // Not chained: the message is the whole story, and Spring reports the root cause.
          throw new IllegalArgumentException(prefix + "." + e.getMessage());
        }
        for (LoadBalancerCustomizer customizer : customizers) {
          customizer.customize(name, builder);
        }
        balancers.put(name, builder.build());
      }
    } catch (RuntimeException e) {
      balancers.values().forEach(LoadBalancer::close);
      throw e;
    }
    return new LoadBalancers(balancers, discovery, secure);
  }

  private static boolean parseBoolean(String path, Object value) {
    String text = String.valueOf(value).trim();
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(path + " must be true or false but was \"" + value + "\"");
  }

  /**
   * The service names, in the order they were configured.
   *
   * @return the names; unmodifiable
   */
  public Set<String> names() {
    return balancers.keySet();
  }

  /**
   * The balancers by service name.
   *
   * @return the balancers; unmodifiable
   */
  public Map<String, LoadBalancer> asMap() {
    return balancers;
  }

  /**
   * A service's balancer, or null when there is no such service.
   *
   * @param serviceName the name under {@code lb.services}
   * @return the balancer, or null
   * @throws NullPointerException if {@code serviceName} is null
   */
  public @Nullable LoadBalancer find(String serviceName) {
    return balancers.get(requireNonNull(serviceName, "serviceName"));
  }

  /**
   * A service's balancer.
   *
   * @param serviceName the name under {@code lb.services}
   * @return the balancer
   * @throws NullPointerException if {@code serviceName} is null
   * @throws IllegalArgumentException naming the configured services, if there is no such service
   */
  public LoadBalancer get(String serviceName) {
    LoadBalancer balancer = find(serviceName);
    if (balancer == null) {
      throw new IllegalArgumentException(
          "no lb service \""
              + serviceName
              + "\" (lb.services has "
              + new TreeMap<>(balancers).keySet()
              + ")");
    }
    return balancer;
  }

  /**
   * Where a service's endpoints come from ({@code lb.services.<name>.discovery}).
   *
   * @param serviceName the name under {@code lb.services}
   * @return the source; {@link DiscoverySource#STATIC} unless configured otherwise
   * @throws NullPointerException if {@code serviceName} is null
   * @throws IllegalArgumentException if there is no such service
   */
  public DiscoverySource discovery(String serviceName) {
    get(serviceName);
    return requireNonNull(discovery.get(serviceName));
  }

  /**
   * Whether a service's instances are reached over https ({@code lb.services.<name>.secure}, false
   * by default): what the Spring Cloud bridge tells Spring's clients.
   *
   * @param serviceName the name under {@code lb.services}
   * @return true for https
   * @throws NullPointerException if {@code serviceName} is null
   * @throws IllegalArgumentException if there is no such service
   */
  public boolean secure(String serviceName) {
    get(serviceName);
    return secure.contains(serviceName);
  }

  /** Closes every balancer. Idempotent. */
  @Override
  public void close() {
    List<RuntimeException> errors = new ArrayList<>();
    for (LoadBalancer balancer : balancers.values()) {
      try {
        balancer.close();
      } catch (RuntimeException e) {
        errors.add(e);
      }
    }
    if (!errors.isEmpty()) {
      RuntimeException first = errors.get(0);
      errors.subList(1, errors.size()).forEach(first::addSuppressed);
      throw first;
    }
  }

  @Override
  public String toString() {
    return "LoadBalancers" + balancers.keySet();
  }
}
