package dev.lb.grpc;

import dev.lb.Endpoint;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Resolves one {@code lb:} target: a registry group, re-published on each of its changes, or a
 * static list, published once per {@link #refresh()}.
 *
 * <p>A change starts a resolution on the offload executor (host names may need DNS); its result is
 * published on the synchronization context, where results older than the last published one are
 * dropped, so racing changes cannot publish out of order.
 */
final class LbNameResolver extends NameResolver {
  private final String authority;
  private final EndpointRegistry registry;
  private final @Nullable String group;
  private final @Nullable List<Endpoint> staticEndpoints;
  private final Function<Endpoint, SocketAddress> addresses;
  private final Args args;
  private final SynchronizationContext syncContext;
  private final AtomicLong requested = new AtomicLong();

  // Confined to the synchronization context.
  private @Nullable Listener2 listener;
  private @Nullable Runnable unsubscribe;
  private long published;
  private boolean shutdown;

  LbNameResolver(
      String authority,
      EndpointRegistry registry,
      @Nullable String group,
      @Nullable List<Endpoint> staticEndpoints,
      Function<Endpoint, SocketAddress> addresses,
      Args args) {
    this.authority = authority;
    this.registry = registry;
    this.group = group;
    this.staticEndpoints = staticEndpoints;
    this.addresses = addresses;
    this.args = args;
    this.syncContext = args.getSynchronizationContext();
  }

  @Override
  public String getServiceAuthority() {
    return authority;
  }

  @Override
  public void start(Listener2 listener) {
    if (this.listener != null) {
      throw new IllegalStateException("already started");
    }
    this.listener = listener;
    if (group != null) {
      unsubscribe = registry.subscribe(group, this::resolve);
    }
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  @Override
  public void shutdown() {
    shutdown = true;
    Runnable u = unsubscribe;
    if (u != null) {
      u.run();
      unsubscribe = null;
    }
  }

  /** Starts a resolution of the current state; called on any thread. */
  private void resolve() {
    long sequence = requested.incrementAndGet();
    Executor offload = args.getOffloadExecutor();
    Runnable task = () -> computeAndPublish(sequence);
    if (offload != null) {
      offload.execute(task);
    } else {
      task.run();
    }
  }

  private void computeAndPublish(long sequence) {
    List<Endpoint> endpoints;
    Map<String, ?> serviceConfig = null;
    Status error = null;
    if (group != null) {
      EndpointRegistry.Group g = registry.current(group);
      if (g == null) {
        endpoints = List.of();
        error =
            Status.UNAVAILABLE.withDescription(
                "no endpoint group '"
                    + group
                    + "' in the registry; set it with EndpointRegistry.set(\""
                    + group
                    + "\", endpoints)");
      } else {
        endpoints = g.endpoints;
        serviceConfig = g.serviceConfig;
      }
    } else {
      endpoints = staticEndpoints == null ? List.of() : staticEndpoints;
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
    List<String> unresolved = new ArrayList<>();
    for (Endpoint e : endpoints) {
      SocketAddress address;
      try {
        address = addresses.apply(e);
      } catch (RuntimeException ex) {
        address = null;
      }
      if (address == null || (address instanceof InetSocketAddress inet && inet.isUnresolved())) {
        unresolved.add(e.id());
        continue;
      }
      groups.add(LbAttributes.addressGroup(e, address));
    }
    if (error == null && groups.isEmpty() && !unresolved.isEmpty()) {
      error =
          Status.UNAVAILABLE.withDescription(
              "could not resolve any endpoint of '" + authority + "': " + unresolved);
    }
    Status finalError = error;
    Map<String, ?> finalConfig = serviceConfig;
    syncContext.execute(() -> publish(sequence, groups, unresolved, finalConfig, finalError));
  }

  private void publish(
      long sequence,
      List<EquivalentAddressGroup> groups,
      List<String> unresolved,
      @Nullable Map<String, ?> serviceConfig,
      @Nullable Status error) {
    Listener2 l = listener;
    if (shutdown || l == null || sequence < published) {
      return;
    }
    published = sequence;
    if (error != null) {
      l.onError(error);
      return;
    }
    if (!unresolved.isEmpty()) {
      args.getChannelLogger()
          .log(
              ChannelLogLevel.WARNING,
              "lb: left out endpoints that do not resolve: {0}",
              unresolved);
    }
    ResolutionResult.Builder result =
        ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(List.copyOf(groups)));
    if (serviceConfig != null) {
      result.setServiceConfig(args.getServiceConfigParser().parseServiceConfig(serviceConfig));
    }
    Status accepted = l.onResult2(result.build());
    if (!accepted.isOk()) {
      args.getChannelLogger()
          .log(ChannelLogLevel.DEBUG, "lb: channel did not accept the resolution: {0}", accepted);
    }
  }
}
