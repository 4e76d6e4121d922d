package dev.lb.grpc;

import dev.lb.Endpoint;
import dev.lb.discovery.DiscoveryBinding;
import dev.lb.discovery.EndpointSource;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Named groups of endpoints that {@code lb:///NAME} channel targets resolve to. Set a group's
 * endpoints once for a static list, or push every membership change into it, as a discovery source
 * does through {@link #bind(String, EndpointSource)} or {@link #updater(String)}: every channel
 * resolving that group re-publishes its addresses on each change, and its lb policy adds and
 * removes subchannels to match.
 *
 * <pre>{@code
 * EndpointRegistry.global().set("users", List.of(Endpoint.of("10.0.0.1", 8080)));
 * EndpointRegistry.global().bind("orders", DnsEndpointSource.forAddresses("orders.internal", 8080).build());
 * }</pre>
 *
 * <p>A group may also carry a gRPC service config (the JSON object as a map), which its channels
 * publish with the addresses, as a DNS TXT record would; a channel keeps its previous valid config
 * if a new one is invalid.
 *
 * <p>Thread-safe. Updates may come from any thread; channels are told after the update, outside any
 * lock, and apply it on their own synchronization context. Updates that change nothing are skipped.
 */
public final class EndpointRegistry {
  private static final EndpointRegistry GLOBAL = new EndpointRegistry();

  private final Object lock = new Object();
  private final Map<String, Group> groups = new HashMap<>();
  private final Map<String, CopyOnWriteArrayList<Runnable>> listeners = new HashMap<>();

  /** Creates an empty registry, for a {@link LbNameResolverProvider} of its own. */
  public EndpointRegistry() {}

  /**
   * The registry that the {@code lb} scheme's provider, registered through {@code
   * META-INF/services}, resolves from.
   *
   * @return the process-wide registry
   */
  public static EndpointRegistry global() {
    return GLOBAL;
  }

  /**
   * Sets a group's endpoints, creating the group if needed, and tells its channels.
   *
   * @param group the group's name, the path of {@code lb:///NAME}; must not be null or blank
   * @param endpoints the group's complete membership, in order; may be empty; ids must be distinct
   * @return true if the membership changed
   * @throws NullPointerException if {@code group} or {@code endpoints} is null or {@code endpoints}
   *     holds null
   * @throws IllegalArgumentException if {@code group} is blank or two endpoints share an id
   */
  public boolean set(String group, Collection<Endpoint> endpoints) {
    checkName(group);
    List<Endpoint> copy = distinct(endpoints);
    synchronized (lock) {
      Group current = groups.get(group);
      if (current != null && current.endpoints.equals(copy)) {
        return false;
      }
      groups.put(group, new Group(copy, current == null ? null : current.serviceConfig));
    }
    notify(group);
    return true;
  }

  /**
   * Returns a sink that {@linkplain #set sets} the group's endpoints on every list it receives, for
   * a discovery source that pushes {@code List<Endpoint>}.
   *
   * @param group the group's name; must not be null or blank
   * @return a thread-safe consumer that replaces the group's membership with each list
   * @throws NullPointerException if {@code group} is null
   * @throws IllegalArgumentException if {@code group} is blank
   */
  public Consumer<List<Endpoint>> updater(String group) {
    checkName(group);
    return endpoints -> set(group, endpoints);
  }

  /**
   * Starts {@code source} and feeds every set it finds into the group, keeping the last good set
   * when a lookup fails or finds nothing: discovery (DNS, a file, ZooKeeper) behind an {@code
   * lb:///GROUP} target.
   *
   * <pre>{@code
   * EndpointRegistry.global().bind("users", DnsEndpointSource.forAddresses("users.internal", 8080).build());
   * }</pre>
   *
   * @param group the group's name; must not be null or blank
   * @param source the endpoint source, not yet started; the binding starts it
   * @return the running binding, whose {@link DiscoveryBinding#status()} tells how the source is
   *     doing and whose {@link DiscoveryBinding#close()} stops it (the group keeps its last set)
   * @throws NullPointerException if {@code group} or {@code source} is null
   * @throws IllegalArgumentException if {@code group} is blank
   */
  public DiscoveryBinding bind(String group, EndpointSource source) {
    Consumer<List<Endpoint>> updater = updater(group);
    Objects.requireNonNull(source, "source must not be null");
    return DiscoveryBinding.builder(source).bind(updater);
  }

  /**
   * Sets the service config the group's channels publish with its addresses, or removes it.
   *
   * @param group the group's name; must not be null or blank
   * @param serviceConfig the service config as a JSON object (nested maps, lists, strings, doubles,
   *     booleans), such as {@code {"loadBalancingConfig": [{"lb_peak_ewma": {}}]}}; null to publish
   *     none, so that channels fall back to their default service config
   * @return true if the service config changed
   * @throws NullPointerException if {@code group} is null
   * @throws IllegalArgumentException if {@code group} is blank
   */
  public boolean serviceConfig(String group, @Nullable Map<String, ?> serviceConfig) {
    checkName(group);
    // Not Map.copyOf: a JSON object may hold nulls.
    Map<String, ?> copy =
        serviceConfig == null
            ? null
            : Collections.unmodifiableMap(new LinkedHashMap<>(serviceConfig));
    synchronized (lock) {
      Group current = groups.get(group);
      List<Endpoint> endpoints = current == null ? List.of() : current.endpoints;
      if (current != null && Objects.equals(current.serviceConfig, copy)) {
        return false;
      }
      groups.put(group, new Group(endpoints, copy));
    }
    notify(group);
    return true;
  }

  /**
   * Removes a group; its channels report it as unavailable until it is set again.
   *
   * @param group the group's name
   * @return true if the group existed
   */
  public boolean remove(String group) {
    boolean removed;
    synchronized (lock) {
      removed = groups.remove(group) != null;
    }
    if (removed) {
      notify(group);
    }
    return removed;
  }

  /**
   * The group's current endpoints.
   *
   * @param group the group's name
   * @return the group's membership, an immutable list; empty if the group does not exist
   */
  public List<Endpoint> endpoints(String group) {
    Group g = current(group);
    return g == null ? List.of() : g.endpoints;
  }

  /**
   * The names of every group, sorted.
   *
   * @return an immutable sorted set of the group names
   */
  public SortedSet<String> groups() {
    synchronized (lock) {
      return Collections.unmodifiableSortedSet(new TreeSet<>(groups.keySet()));
    }
  }

  /** The group's current state, or null if it does not exist. */
  @Nullable Group current(String group) {
    synchronized (lock) {
      return groups.get(group);
    }
  }

  /**
   * Calls {@code onChange} after every change to the group (including its creation and removal),
   * until the returned handle is run. The callback must be fast and must not block: it runs on the
   * updating thread.
   */
  Runnable subscribe(String group, Runnable onChange) {
    CopyOnWriteArrayList<Runnable> list;
    synchronized (lock) {
      list = listeners.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>());
      list.add(onChange);
    }
    return () -> {
      synchronized (lock) {
        list.remove(onChange);
        if (list.isEmpty()) {
          listeners.remove(group, list);
        }
      }
    };
  }

  private void notify(String group) {
    List<Runnable> list;
    synchronized (lock) {
      list = listeners.get(group);
    }
    if (list != null) {
      for (Runnable r : list) {
        r.run();
      }
    }
  }

  private static void checkName(String group) {
    Objects.requireNonNull(group, "group must not be null");
    if (group.isBlank()) {
      throw new IllegalArgumentException("group must not be blank but was '" + group + "'");
    }
  }

  private static List<Endpoint> distinct(Collection<Endpoint> endpoints) {
    Objects.requireNonNull(endpoints, "endpoints must not be null");
    Map<String, Endpoint> byId = new LinkedHashMap<>();
    for (Endpoint e : endpoints) {
      Objects.requireNonNull(e, "endpoints must not contain null");
      if (byId.put(e.id(), e) != null) {
        throw new IllegalArgumentException(
            "endpoints must have distinct ids but '" + e.id() + "' repeats");
      }
    }
    return List.copyOf(byId.values());
  }

  /** One group's immutable state. */
  static final class Group {
    final List<Endpoint> endpoints;
    final @Nullable Map<String, ?> serviceConfig;

    Group(List<Endpoint> endpoints, @Nullable Map<String, ?> serviceConfig) {
      this.endpoints = endpoints;
      this.serviceConfig = serviceConfig;
    }
  }
}
