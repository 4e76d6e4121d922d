package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing
 * with Bounded Loads", SODA 2018; the scheme Vimeo and HAProxy use): walk the {@link Ring}
 * clockwise from the key's point and take the first distinct endpoint that can take calls and whose
 * calls in flight are below its capacity.
 *
 * <p>Capacity is computed over the endpoints that can take calls now ({@link
 * LiveEndpoint#available()}), not over all members: the picker is built over every member (stable
 * membership), but an unhealthy, ejected, draining, disabled or marked-down endpoint takes no share
 * of the load. With {@code A} the available endpoints, {@code T} their calls in flight and {@code
 * W} their total weight, the average counting the call being placed is {@code (T + 1) / |A|}, and
 * available endpoint {@code i} may hold {@code ceil((1 + epsilon) x (T + 1) x w(i) / W)} calls
 * ({@code ceil((1 + epsilon) x avg)} when weights are equal). It is taken if it holds fewer than
 * that, so after the call it holds at most its capacity. The capacities of the available endpoints
 * add up to at least {@code (1 + epsilon)(T + 1) > T}, so one of them is always below capacity and
 * the walk ends. If none is available, every member counts as available (the balancer then decides,
 * in panic mode, which may take the call). The paper bounds the expected walk by {@code
 * O(1/epsilon^2)} endpoints and the keys moved per change by {@code O(1/epsilon^2)} times the
 * ideal.
 *
 * <p>Cost: summing {@code T} reads every member's availability and in-flight counter, O(n) per
 * pick. The bound holds for calls placed one at a time; concurrent picks read counters another
 * thread is about to raise, so under concurrency an endpoint may exceed its capacity by the number
 * of racing picks. It also assumes the balancer takes the endpoint offered: if the balancer refuses
 * it (a concurrency limit, a retry's exclusion) it asks for the next attempt, which is the next
 * endpoint below capacity.
 *
 * <p>Alternatives: attempt {@code k} is the {@code k}-th distinct available endpoint below capacity
 * in ring order; when fewer are, the walk goes on with the available ones at capacity, then the
 * unavailable ones, each in ring order, so attempts {@code 0 .. n-1} cover every endpoint once.
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
   * The capacity of endpoint {@code i} when {@code calls} calls (the new one included) are in
   * flight on endpoints of total weight {@code availableWeight}. The division comes last, as in the
   * formula, so that an exact quotient (1.25 x 696 / 29 = 30) is not rounded up past an integer by
   * an earlier inexact factor.
   */
  long capacity(int i, long calls, double availableWeight) {
    return (long) Math.ceil(onePlusEpsilon * calls * weights[i] / availableWeight);
  }

  @Override
  public int locate(long keyHash, int attempt) {
    long calls = 1;
    double availableWeight = 0;
    for (int i = 0; i < endpoints.length; i++) {
      LiveEndpoint e = endpoints[i];
      if (e.available()) {
        calls += e.inFlight();
        availableWeight += weights[i];
      }
    }
    boolean anyAvailable = availableWeight > 0;
    if (!anyAvailable) {
      for (LiveEndpoint e : endpoints) {
        calls += e.inFlight();
      }
      availableWeight = totalWeight;
    }
    int n = endpoints.length;
    int k = attempt % n;
    int start = ring.position(keyHash);
    // Endpoints in three classes, each walked in ring order: available and below capacity,
    // available at capacity, unavailable. Attempt k is the k-th endpoint of that sequence.
    int skip = k;
    for (int wanted = BELOW; wanted <= UNAVAILABLE; wanted++) {
      int seen = 0;
      int size = ring.size();
      for (int step = 0; step < size && seen < n; step++) {
        int p = wrap(start + step, size);
        if (ring.gap(p) > step) {
          seen++;
          int owner = ring.ownerAt(p);
          if (classOf(owner, anyAvailable, calls, availableWeight) == wanted && skip-- == 0) {
            return owner;
          }
        }
      }
    }
    // Availability or counters moved between the walks: take the plain ring order.
    return ring.locate(keyHash, k);
  }

  private static final int BELOW = 0;
  private static final int AT_CAPACITY = 1;
  private static final int UNAVAILABLE = 2;

  private int classOf(int i, boolean anyAvailable, long calls, double availableWeight) {
    LiveEndpoint e = endpoints[i];
    if (anyAvailable && !e.available()) {
      return UNAVAILABLE;
    }
    return e.inFlight() < capacity(i, calls, availableWeight) ? BELOW : AT_CAPACITY;
  }

  private static int wrap(int p, int size) {
    return p >= size ? p - size : p;
  }
}
