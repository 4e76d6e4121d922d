package dev.lb.subset;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where one client sits among the clients of the same backends: its index and the client count.
 * Deterministic aperture places the client at offset {@code (index + 1/2) / count} on the unit ring
 * (Finagle's {@code ProcessCoordinate}: the ring is split into {@code count} equal client slices,
 * and each client takes the middle of its own), so that clients numbered {@code 0 .. count-1} cover
 * the backends evenly.
 *
 * <p>The coordinate comes from configuration (a StatefulSet ordinal, a shard number) or from
 * discovery of the clients themselves ({@link #fromPeers}); it may change at run time through
 * {@link dev.lb.LoadBalancer#updateClientCoordinate}, which recomputes the subset on the update
 * path. Indices need not be dense for correctness, only for evenness: a count larger than the real
 * number of clients leaves part of the ring with fewer clients.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClientCoordinate {
  private final int index;
  private final int count;

  private ClientCoordinate(int index, int count) {
    this.index = index;
    this.count = count;
  }

  /**
   * Returns the coordinate of client {@code index} of {@code count}.
   *
   * @param index this client's index, 0 to {@code count - 1}
   * @param count the number of clients, at least 1
   * @return the coordinate
   * @throws IllegalArgumentException if {@code count < 1} or {@code index} is outside {@code 0 ..
   *     count - 1}
   */
  public static ClientCoordinate of(int index, int count) {
    checkArgument(count >= 1, "clientCount must be at least 1 but was %s", count);
    checkArgument(
        index >= 0 && index < count,
        "clientIndex must be in 0..%s (clientCount %s) but was %s",
        count - 1,
        count,
        index);
    return new ClientCoordinate(index, count);
  }

  /**
   * Derives the coordinate from the ids of every client of the same backends, as a discovery source
   * lists them (the pods of this client's own deployment, say): the index is this client's rank
   * among the distinct ids in string order, the count their number. A client that joins or leaves
   * moves the others by at most one index; see {@link Subsetting#deterministicAperture} for what
   * that costs.
   *
   * @param self this client's id; must be among {@code peers}
   * @param peers the ids of all the clients, this one included, in any order; duplicates count once
   * @return the coordinate of {@code self}
   * @throws NullPointerException if an argument or a peer id is null
   * @throws IllegalArgumentException if {@code self} is not among {@code peers}
   */
  public static ClientCoordinate fromPeers(String self, Collection<String> peers) {
    checkNotNull(self, "self");
    checkNotNull(peers, "peers");
    Set<String> distinct = new HashSet<>();
    for (String p : peers) {
      distinct.add(checkNotNull(p, "peer id"));
    }
    checkArgument(
        distinct.contains(self), "peers must contain this client's id '%s' but do not", self);
    List<String> sorted = new ArrayList<>(distinct);
    sorted.sort(null);
    return new ClientCoordinate(sorted.indexOf(self), sorted.size());
  }

  /**
   * This client's index.
   *
   * @return 0 to {@link #count()} - 1
   */
  public int index() {
    return index;
  }

  /**
   * The number of clients.
   *
   * @return at least 1
   */
  public int count() {
    return count;
  }

  /**
   * This client's offset on the unit ring: the middle of its slice, {@code (index + 1/2) / count}.
   *
   * @return a fraction in (0, 1)
   */
  public double offset() {
    return (index + 0.5) / count;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ClientCoordinate c && c.index == index && c.count == count;
  }

  @Override
  public int hashCode() {
    return 31 * index + count;
  }

  @Override
  public String toString() {
    return "client " + index + " of " + count;
  }
}
