package dev.lb.subset;

import static dev.lb.internal.Checks.checkArgument;

import dev.lb.Endpoint;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the subset of a balancer's members this client routes to, and each member's share of a
 * full weight: 1 for a full member, a fraction for a member at the edge of a deterministic
 * aperture, 0 for a member outside the subset.
 *
 * <p>The balancer applies it on its serialized update path whenever the membership, a member's
 * configuration or the {@link ClientCoordinate} changes, before slow start and routing: members
 * outside the subset stay members (in {@link dev.lb.LoadBalancer#endpoints()} and {@link
 * dev.lb.LoadBalancer#stats()}, where {@link dev.lb.EndpointStats#inSubset()} is false), but no
 * strategy sees them, and health, panic and the priority split are computed over the subset alone.
 * A subset member that is unhealthy or ejected is <em>not</em> replaced (as in Finagle and gRFC
 * A68): the panic threshold applies inside the subset, so a subset that is mostly down spreads
 * calls over all its members rather than reaching outside. Shares multiply the effective weight
 * that weighted strategies read ({@link dev.lb.strategy.LiveEndpoint#weight()}, in steps of 1%) and
 * the ramp factor that {@code round_robin}, {@code random} and {@code least_connections} honour;
 * strategies that ignore both ({@code jump_hash}) give an edge member a full share.
 *
 * <table>
 *   <caption>Which subsetting when</caption>
 *   <tr><th>algorithm</th><th>needs</th><th>load per backend</th><th>one backend added or
 *       removed</th></tr>
 *   <tr><td>{@link #deterministicAperture(int) deterministic_aperture}</td><td>each client's index
 *       and the client count</td><td>even: max/mean 1.00 at 1,000 clients x 1,000 backends, size
 *       20</td><td>at most one member leaves and one enters, for every client (while backends are
 *       at least 2.5 x size)</td></tr>
 *   <tr><td>{@link #random(int) random}</td><td>nothing</td><td>binomial: max/mean 2.0 at the same
 *       scale</td><td>at most one member leaves and one enters, for every client</td></tr>
 * </table>
 *
 * <p>Implementations must be immutable, thread-safe and deterministic: the shares are a function of
 * the set of endpoints (not of their order) and of the coordinate. The balancer calls {@link
 * #shares} under its update lock; it must be fast (it runs on every membership change) and must not
 * block.
 */
public interface Subsetting {
  /**
   * The algorithm's name, as in configuration: {@code deterministic_aperture} or {@code random}.
   *
   * @return the name
   */
  String name();

  /**
   * The most members with a positive share this client routes to: its connections.
   *
   * @return at least 1
   */
  int size();

  /**
   * Whether this algorithm places the client by its {@link ClientCoordinate}; a balancer with such
   * a subsetting refuses to build without one.
   *
   * @return true if {@link #shares} reads the coordinate
   */
  boolean usesCoordinate();

  /**
   * Computes this client's share of each endpoint.
   *
   * @param endpoints the balancer's members, distinct ids, in membership order; the shares must not
   *     depend on this order
   * @param client this client's coordinate
   * @param shares where to write {@code endpoints.get(i)}'s share at index {@code i}: 0 (outside),
   *     or in (0, 1]; as long as {@code endpoints}, and filled with zeros
   */
  void shares(List<Endpoint> endpoints, ClientCoordinate client, double[] shares);

  /**
   * Finagle's deterministic aperture with at most {@code size} connections per client.
   *
   * <p><b>Design note.</b> After Finagle's aperture load balancer ({@code
   * com.twitter.finagle.loadbalancer.aperture}: {@code ProcessCoordinate}, {@code
   * DeterministicAperture}; Twitter Engineering, "Deterministic Aperture: A distributed, load
   * balancing algorithm", 2019). The members are placed on a unit ring in the order of a stable
   * hash of their ids, each an equal slice of {@code 1/N}. Client {@code i} of {@code C} takes the
   * window that starts at its offset {@code (i + 1/2)/C} and is {@code size - 1} slices wide; a
   * member's share is the part of its slice inside the window, so the two members at the edges get
   * fractions, and the window touches at most {@code size} members. Because the windows of all the
   * clients start at equal spacings and have equal widths, every point of the ring is covered by
   * {@code C(size - 1)/N} clients (rounded down or up), and every backend receives the same load:
   * exactly when {@code C(size - 1)/N} is an integer (1,000 clients, 1,000 backends, size 20),
   * otherwise within about {@code 1/floor(C(size - 1)/N)} of the mean, averaged over the slice.
   * When {@code C(size - 1) < N} a window of {@code size - 1} slices would leave backends that no
   * client calls, so the window widens to {@code N/C} slices (every backend covered once) and a
   * client then has up to {@code N/C + 1} connections, more than {@code size}. With no more members
   * than {@code size}, every member is in the subset at full share.
   *
   * <p><b>Where this departs from Finagle, and why.</b> Finagle rounds the window up to a whole
   * number of client slices, which makes coverage exact for every {@code C} and {@code N} but makes
   * the width jump when {@code N} crosses a multiple, moving a member of every client at once; and
   * it numbers the ring from a fixed origin, so that one member added or removed shifts every slice
   * after it, and a client whose window holds both the origin and the change loses two members.
   * Here the width is a constant {@code size - 1} slices, and the ring is rotated by the mean
   * offset of the members' hash positions from their slices, so that the ring's origin follows the
   * members: a backend added or removed then moves each client's window by less than one slice, so
   * that at most one member leaves each subset and at most one enters (the new backend, or the
   * removed one's replacement). That bound is checked exactly for every client at 1,000 x 1,000
   * (and other shapes down to {@code N = 2.5 x size}) over seeded memberships; with fewer backends
   * a window covers most of the ring and a change can move two members. A client that joins,
   * shifting the indices after it by one and the count by one, moves each window by at most {@code
   * N/C} slices. Configured endpoint weights do not change the ring (each backend is one slice);
   * they scale the member's share within the client's subset.
   *
   * @param size the most connections per client, at least 2 (the window's two edges can fall in two
   *     members)
   * @return the {@code deterministic_aperture} subsetting
   * @throws IllegalArgumentException if {@code size < 2}
   */
  static Subsetting deterministicAperture(int size) {
    checkArgument(
        size >= 2,
        "subsetting.size must be at least 2 for deterministic_aperture (a window's two edges can"
            + " fall in two members) but was %s",
        size);
    return new DeterministicAperture(size);
  }

  /**
   * Deterministic aperture sized for a target load per connection: {@code max(minimumSize,
   * ceil(clientLoad / loadPerConnection) + 1)} connections, so that the {@code size - 1} slices of
   * the window carry the client's load at no more than {@code loadPerConnection} each. Load is in
   * any unit, the same for both (calls per second, or calls in flight). This sizes the aperture
   * once, when built; Finagle's dynamic aperture, which resizes it from the load measured at run
   * time, is not implemented.
   *
   * @param clientLoad this client's expected load, positive
   * @param loadPerConnection the load one connection should carry, positive
   * @param minimumSize the fewest connections, at least 2
   * @return the {@code deterministic_aperture} subsetting of that size
   * @throws IllegalArgumentException if a load is not positive and finite, or {@code minimumSize <
   *     2}
   */
  static Subsetting deterministicApertureForLoad(
      double clientLoad, double loadPerConnection, int minimumSize) {
    checkArgument(
        clientLoad > 0 && Double.isFinite(clientLoad),
        "clientLoad must be positive and finite but was %s",
        clientLoad);
    checkArgument(
        loadPerConnection > 0 && Double.isFinite(loadPerConnection),
        "loadPerConnection must be positive and finite but was %s",
        loadPerConnection);
    double needed = Math.ceil(clientLoad / loadPerConnection) + 1;
    int size = needed >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) needed;
    return deterministicAperture(Math.max(minimumSize, size));
  }

  /**
   * gRFC A68 random subsetting with a seed of its own, drawn now: each client keeps the {@code
   * size} members that rank first by a hash of (seed, endpoint id).
   *
   * @param size the number of members per client, at least 1
   * @return the {@code random} subsetting
   * @throws IllegalArgumentException if {@code size < 1}
   * @see #random(int, long)
   */
  static Subsetting random(int size) {
    return random(size, ThreadLocalRandom.current().nextLong());
  }

  /**
   * gRFC A68 random subsetting ("Random subsetting with rendezvous hashing LB policy"): each client
   * ranks every member by a 64-bit hash of its id seeded with the client's own seed (A68's random
   * salt; here XXH64 instead of MurmurHash3), and keeps the first {@code size}; with no more
   * members than {@code size}, all of them. Rendezvous hashing keeps the rank of every other member
   * when one is added or removed, so each client's subset changes by at most one member leaving and
   * one entering, and not at all when the change falls outside it. Clients need no coordinate and
   * no coordination; the price is load that is only even on average: a backend's number of clients
   * is binomial ({@code C x size / N} on average), and its load varies with it (max/mean 2.0,
   * min/mean 0.4, at 1,000 clients x 1,000 backends, size 20, in {@code
   * benchmarks/results/simulation.md}). Weights are ignored when choosing the subset and scale the
   * member's share within it.
   *
   * @param size the number of members per client, at least 1
   * @param seed this client's seed; clients must not share one (they would share their subset)
   * @return the {@code random} subsetting
   * @throws IllegalArgumentException if {@code size < 1}
   */
  static Subsetting random(int size, long seed) {
    checkArgument(size >= 1, "subsetting.size must be at least 1 but was %s", size);
    return new RendezvousSubsetting(size, seed);
  }
}
