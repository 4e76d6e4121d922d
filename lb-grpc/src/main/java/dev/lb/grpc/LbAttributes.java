package dev.lb.grpc;

import dev.lb.Endpoint;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The address attributes through which endpoints travel from a name resolver to an lb policy: the
 * whole lb-core {@link Endpoint} under {@link #ENDPOINT}, and its weight, zone and priority under
 * their own keys for policies and interceptors that know nothing of lb-core.
 *
 * <p>The {@code lb} name resolver sets all four on every {@link EquivalentAddressGroup} it
 * publishes. The lb policies accept addresses from any resolver: without {@link #ENDPOINT}, an
 * endpoint is made from the first socket address ({@code host:port} for an {@link
 * InetSocketAddress}, its {@code toString()} otherwise) and the weight, zone and priority keys if
 * present. Either way the subchannel connects to the group's socket addresses; the endpoint's host
 * and port only name it.
 *
 * <p>Stateless; the keys are immutable constants.
 */
public final class LbAttributes {
  /** The lb-core endpoint an address group stands for. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<Endpoint> ENDPOINT = Attributes.Key.create("dev.lb.endpoint");

  /** The endpoint's relative weight, a positive {@link Integer}. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("dev.lb.weight");

  /** The endpoint's zone (availability zone, rack, data centre); absent if unknown. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> ZONE = Attributes.Key.create("dev.lb.zone");

  /** The endpoint's failover priority, 0 (most preferred) or more. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<Integer> PRIORITY = Attributes.Key.create("dev.lb.priority");

  private LbAttributes() {}

  /**
   * Returns an address group for {@code endpoint} at {@code address}, carrying all four attributes.
   *
   * @param endpoint the endpoint the group stands for
   * @param address where to connect to it
   * @return a new address group with {@link #ENDPOINT}, {@link #WEIGHT}, {@link #PRIORITY} and, if
   *     the endpoint has one, {@link #ZONE}
   * @throws NullPointerException if either argument is null
   */
  public static EquivalentAddressGroup addressGroup(Endpoint endpoint, SocketAddress address) {
    Objects.requireNonNull(endpoint, "endpoint must not be null");
    Objects.requireNonNull(address, "address must not be null");
    Attributes.Builder attributes =
        Attributes.newBuilder()
            .set(ENDPOINT, endpoint)
            .set(WEIGHT, endpoint.weight())
            .set(PRIORITY, endpoint.priority());
    String zone = endpoint.zone();
    if (zone != null) {
      attributes.set(ZONE, zone);
    }
    return new EquivalentAddressGroup(address, attributes.build());
  }

  /**
   * Returns the endpoint an address group stands for: its {@link #ENDPOINT} attribute, or one made
   * from its first socket address and the {@link #WEIGHT}, {@link #ZONE} and {@link #PRIORITY}
   * attributes.
   *
   * @param group an address group from any name resolver; must have at least one address
   * @return the endpoint to balance over for this group
   * @throws NullPointerException if {@code group} is null
   * @throws IllegalArgumentException if the group's weight or priority attribute is out of range
   */
  public static Endpoint endpointOf(EquivalentAddressGroup group) {
    Objects.requireNonNull(group, "group must not be null");
    Attributes attributes = group.getAttributes();
    Endpoint endpoint = attributes.get(ENDPOINT);
    if (endpoint != null) {
      return endpoint;
    }
    SocketAddress address = group.getAddresses().get(0);
    Endpoint.Builder builder;
    if (address instanceof InetSocketAddress inet) {
      builder = Endpoint.builder(inet.getHostString(), inet.getPort());
    } else {
      // Not an IP endpoint (in-process, Unix domain socket): the address names it; the port is
      // moot.
      builder = Endpoint.builder(address.toString(), 1).id(address.toString());
    }
    Integer weight = attributes.get(WEIGHT);
    if (weight != null) {
      builder.weight(weight);
    }
    Integer priority = attributes.get(PRIORITY);
    if (priority != null) {
      builder.priority(priority);
    }
    @Nullable String zone = attributes.get(ZONE);
    if (zone != null) {
      builder.zone(zone);
    }
    return builder.build();
  }
}
