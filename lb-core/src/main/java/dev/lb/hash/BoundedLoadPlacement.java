package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing
 * with Bounded Loads", SODA 2018; the scheme Vimeo and HAProxy use): walk the {@link Ring}
 * clockwise from the key's point and take the first distinct endpoint whose calls in flight are
 * below its capacity.
 *
 * <p>Capacity, counting the call being placed: with {@code T} calls in flight over all members, the
 * average is {@code (T + 1) / n}, and endpoint {@code i} may hold {@code ceil((1 + epsilon) x (T +
 * 1) x w(i) / W)} calls, {@code W} being the total weight ({@code ceil((1 + epsilon) x avg)} when
 * weights are equal). It is taken if it holds fewer than that, so after the call it holds at most
 * its capacity. The capacities add up to at least {@code (1 + epsilon)(T + 1) > T}, so some
 * endpoint is always below its capacity and the walk ends. The paper bounds the expected walk by
 * {@code O(1/epsilon^2)} endpoints and the keys moved per change by {@code O(1/epsilon^2)} times
 * the ideal.
 *
 * <p>Cost: summing {@code T} reads every member's in-flight counter, O(n) per pick. The bound holds
 * for calls placed one at a time; concurrent picks read counters another thread is about to raise,
 * so under concurrency an endpoint may exceed its capacity by the number of racing picks.
 *
 * <p>Alternatives: attempt {@code k} is the {@code k}-th distinct endpoint below capacity in ring
 * order; when fewer are below capacity, the walk goes on with the ones at capacity, in ring order,
 * so attempts {@code 0 .. n-1} cover every endpoint once.
 */
final class BoundedLoadPlacement implements Placement {
  private final Ring ring;
  private final LiveEndpoint[] endpoints;

  private final double onePlusEpsilon;
  private final double[] weights;
  private final double totalWeight;

  BoundedLoadPlacement(Ring ring, LiveEndpoint[] endpoints, double epsilon) {
    this.ring = ring;
    this.endpoints = endpoints;
    this.onePlusEpsilon = 1 + epsilon;
    this.weights = new double[endpoints.length];
    double total = 0;
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = Math.max(1, endpoints[i].weight());
      total += weights[i];
    }
    this.totalWeight = total;
  }

  Ring ring() {
    return ring;
  }

  /**
   * The capacity of endpoint {@code i} when {@code calls} calls (the new one included) exist. The
   * division comes last, as in the formula, so that an exact quotient (1.25 x 696 / 29 = 30) is not
   * rounded up past an integer by an earlier inexact factor.
   */
  long capacity(int i, long calls) {
    return (long) Math.ceil(onePlusEpsilon * calls * weights[i] / totalWeight);
  }

  @Override
  public int locate(long keyHash, int attempt) {
    long calls = 1;
    for (LiveEndpoint e : endpoints) {
      calls += e.inFlight();
    }
    int n = endpoints.length;
    int k = attempt % n;
    int start = ring.position(keyHash);
    int size = ring.size();
    int below = 0;
    int seen = 0;
    for (int step = 0; step < size && seen < n; step++) {
      int p = wrap(start + step, size);
      if (ring.gap(p) > step) {
        seen++;
        int owner = ring.ownerAt(p);
        if (endpoints[owner].inFlight() < capacity(owner, calls) && below++ == k) {
          return owner;
        }
      }
    }
    // Fewer than k + 1 endpoints are below capacity: continue with those at capacity.
    int atCapacity = 0;
    seen = 0;
    for (int step = 0; step < size && seen < n; step++) {
      int p = wrap(start + step, size);
      if (ring.gap(p) > step) {
        seen++;
        int owner = ring.ownerAt(p);
        if (endpoints[owner].inFlight() >= capacity(owner, calls) && atCapacity++ == k - below) {
          return owner;
        }
      }
    }
    // Counters moved between the two walks: take the plain ring order.
    return ring.locate(keyHash, k);
  }

  private static int wrap(int p, int size) {
    return p >= size ? p - size : p;
  }
}
