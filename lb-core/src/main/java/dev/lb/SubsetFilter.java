package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.subset.ClientCoordinate;
import dev.lb.subset.Subsetting;
import java.util.ArrayList;
import java.util.List;

/**
 * The membership filter before routing: sets each member's {@link Member#subsetShare} from the
 * balancer's {@link Subsetting} and this client's {@link ClientCoordinate}, on the serialized path,
 * before slow start sets effective weights and {@link Routing} builds the snapshot. Picks never see
 * it: members outside the subset are simply not in the snapshot's pickers.
 */
final class SubsetFilter {
  private final Subsetting subsetting;

  // Guarded by the update lock.
  private ClientCoordinate coordinate;

  SubsetFilter(Subsetting subsetting, ClientCoordinate coordinate) {
    this.subsetting = subsetting;
    this.coordinate = coordinate;
  }

  Subsetting subsetting() {
    return subsetting;
  }

  ClientCoordinate coordinate() {
    return coordinate;
  }

  /** Sets the coordinate; true if it changed (the caller republishes). */
  boolean coordinate(ClientCoordinate next) {
    if (next.equals(coordinate)) {
      return false;
    }
    coordinate = next;
    return true;
  }

  /** Sets every member's share of a full weight: 0 outside the subset. */
  void apply(List<Member> members) {
    int n = members.size();
    List<Endpoint> endpoints = new ArrayList<>(n);
    for (Member m : members) {
      endpoints.add(m.endpoint());
    }
    double[] shares = new double[n];
    subsetting.shares(endpoints, coordinate, shares);
    for (int i = 0; i < n; i++) {
      double s = shares[i];
      if (!(s >= 0 && s <= 1)) {
        throw new IllegalStateException(
            "subsetting "
                + subsetting.name()
                + " gave endpoint '"
                + endpoints.get(i).id()
                + "' a share of "
                + s
                + ", outside [0, 1]");
      }
      members.get(i).subsetShare = s;
    }
  }

  static SubsetFilter of(Subsetting subsetting, ClientCoordinate coordinate) {
    return new SubsetFilter(
        checkNotNull(subsetting, "subsetting"), checkNotNull(coordinate, "clientCoordinate"));
  }
}
