package dev.lb.kubernetes;

import dev.lb.Endpoint;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The pure part of {@link KubernetesEndpointSource}: one EndpointSlice to lb endpoints, and several
 * slices' endpoints to one sorted set. No state, no I/O; every rule is unit-tested on its own.
 */
final class SliceMapping {
  /** Metadata key: the name of the pod behind the endpoint ({@code targetRef.name}). */
  static final String POD = "kubernetes.pod";

  /** Metadata key: the node the endpoint runs on ({@code nodeName}). */
  static final String NODE = "kubernetes.node";

  /** Metadata key: the zones the endpoint is hinted for ({@code hints.forZones}), comma-joined. */
  static final String FOR_ZONES = "kubernetes.forZones";

  private SliceMapping() {}

  /**
   * The endpoints of {@code slice} that take new calls: those whose {@code conditions.ready} is
   * true or unset (the API says consumers should take an unknown state as ready) and that are not
   * terminating. Terminating endpoints, serving or not, and endpoints that are not ready are left
   * out; a balancer drains the members that leave.
   *
   * @param portName the port to use, or null for the slice's only port
   * @throws IllegalArgumentException if the slice cannot be read: the port is missing or out of
   *     range, or an endpoint has no address or an address that is not an IP or DNS name
   */
  static List<Endpoint> endpoints(EndpointSlice slice, @Nullable String portName) {
    String name = sliceName(slice);
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> entries = slice.getEndpoints();
    if (entries == null || entries.isEmpty()) {
      // A service scaled to zero has slices without endpoints, often without ports too.
      return List.of();
    }
    int port = port(slice, name, portName);
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      io.fabric8.kubernetes.api.model.discovery.v1.Endpoint entry = entries.get(i);
      List<String> addresses = entry.getAddresses();
      if (addresses == null || addresses.isEmpty()) {
        throw new IllegalArgumentException(
            "EndpointSlice " + name + ": endpoint " + i + " has no addresses");
      }
      if (!takesCalls(entry.getConditions())) {
        continue;
      }
      for (String address : addresses) {
        try {
          out.add(endpoint(entry, address, port));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "EndpointSlice " + name + ": endpoint " + i + ": " + e.getMessage(), e);
        }
      }
    }
    return out;
  }

  /** Ready (or unknown) and not terminating. */
  static boolean takesCalls(@Nullable EndpointConditions conditions) {
    if (conditions == null) {
      return true;
    }
    return !Boolean.FALSE.equals(conditions.getReady())
        && !Boolean.TRUE.equals(conditions.getTerminating());
  }

  /** Terminating but still serving: a pod on its way out that finishes what it has. */
  static boolean draining(@Nullable EndpointConditions conditions) {
    return conditions != null
        && Boolean.TRUE.equals(conditions.getTerminating())
        && !Boolean.FALSE.equals(conditions.getServing());
  }

  private static Endpoint endpoint(
      io.fabric8.kubernetes.api.model.discovery.v1.Endpoint entry, String address, int port) {
    Endpoint.Builder b = Endpoint.builder(address, port);
    String zone = entry.getZone();
    if (zone != null && !zone.isBlank()) {
      b.zone(zone);
    }
    ObjectReference target = entry.getTargetRef();
    if (target != null && target.getName() != null && "Pod".equals(target.getKind())) {
      b.metadata(POD, target.getName());
    }
    if (entry.getNodeName() != null) {
      b.metadata(NODE, entry.getNodeName());
    }
    EndpointHints hints = entry.getHints();
    if (hints != null && hints.getForZones() != null && !hints.getForZones().isEmpty()) {
      b.metadata(
          FOR_ZONES,
          hints.getForZones().stream()
              .map(ForZone::getName)
              .filter(z -> z != null && !z.isBlank())
              .collect(Collectors.joining(",")));
    }
    return b.build();
  }

  private static int port(EndpointSlice slice, String name, @Nullable String portName) {
    List<EndpointPort> ports = slice.getPorts() == null ? List.of() : slice.getPorts();
    EndpointPort chosen = null;
    if (portName == null) {
      if (ports.size() != 1) {
        throw new IllegalArgumentException(
            "EndpointSlice "
                + name
                + " has "
                + ports.size()
                + " ports "
                + portNames(ports)
                + "; name the one to use with portName");
      }
      chosen = ports.get(0);
    } else {
      for (EndpointPort p : ports) {
        if (portName.equals(p.getName() == null ? "" : p.getName())) {
          chosen = p;
          break;
        }
      }
      if (chosen == null) {
        throw new IllegalArgumentException(
            "EndpointSlice "
                + name
                + " has no port named '"
                + portName
                + "' (ports: "
                + portNames(ports)
                + ")");
      }
    }
    Integer number = chosen.getPort();
    if (number == null || number < 1 || number > 65535) {
      throw new IllegalArgumentException(
          "EndpointSlice "
              + name
              + ": port '"
              + (chosen.getName() == null ? "" : chosen.getName())
              + "' must be in 1..65535 but was "
              + number);
    }
    return number;
  }

  private static List<String> portNames(List<EndpointPort> ports) {
    List<String> names = new ArrayList<>(ports.size());
    for (EndpointPort p : ports) {
      names.add(p.getName() == null ? "" : p.getName());
    }
    return names;
  }

  static String sliceName(EndpointSlice slice) {
    return slice.getMetadata() == null || slice.getMetadata().getName() == null
        ? "(unnamed)"
        : slice.getMetadata().getName();
  }

  /**
   * One set from several slices' endpoints, sorted by id. An address may appear in two slices while
   * the controller moves it; the first slice (by the caller's order) wins.
   */
  static List<Endpoint> merge(Collection<List<Endpoint>> slices) {
    Map<String, Endpoint> byId = new LinkedHashMap<>();
    for (List<Endpoint> slice : slices) {
      for (Endpoint e : slice) {
        byId.putIfAbsent(e.id(), e);
      }
    }
    List<Endpoint> set = new ArrayList<>(byId.values());
    set.sort(Comparator.comparing(Endpoint::id));
    return List.copyOf(set);
  }
}
