package dev.lb.subset;

import dev.lb.Endpoint;
import dev.lb.hash.XxHash64;
import java.util.Arrays;
import java.util.List;

/**
 * Deterministic aperture: see {@link Subsetting#deterministicAperture(int)} for the algorithm and
 * its bounds. Immutable and thread-safe.
 */
final class DeterministicAperture implements Subsetting {
  /** The ring's hash seed: fixed, so that every client orders the backends the same way. */
  static final long RING_SEED = 0x5eed_a9e7_0e1f_b00cL;

  /** Overlaps below this fraction of a slice are rounding noise, not a connection. */
  static final double EPSILON = 1e-9;

  private final int size;

  DeterministicAperture(int size) {
    this.size = size;
  }

  @Override
  public String name() {
    return "deterministic_aperture";
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean usesCoordinate() {
    return true;
  }

  @Override
  public void shares(List<Endpoint> endpoints, ClientCoordinate client, double[] shares) {
    int n = endpoints.size();
    if (n <= size) {
      Arrays.fill(shares, 0, n, 1.0);
      return;
    }
    shares(ring(endpoints), client, shares);
  }

  /** The members in ring order and the ring's rotation: what every client of them shares. */
  static final class Ring {
    /** Membership index of the member in each slice, in order around the ring. */
    final int[] order;

    /** The rotation, in slices: see {@link #ring}. */
    final double rotation;

    Ring(int[] order, double rotation) {
      this.order = order;
      this.rotation = rotation;
    }
  }

  /**
   * Places the members on the ring: slices in the order of the ids' ring hash (ties by id), and the
   * rotation, the mean offset of the hash positions from the slices' middles. The rotation moves by
   * about (1/2 - position of the change) when a member comes or goes, which keeps every window's
   * movement under one slice (see the design note).
   */
  static Ring ring(List<Endpoint> endpoints) {
    int n = endpoints.size();
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      keys[i] = XxHash64.hash(endpoints.get(i).id(), RING_SEED);
    }
    int[] order = sortedByKey(keys, endpoints);
    double rotation = 0;
    for (int r = 0; r < n; r++) {
      rotation += position(keys[order[r]]) * n - (r + 0.5);
    }
    return new Ring(order, rotation / n);
  }

  /** Indices in ascending unsigned order of {@code keys}, equal keys by id. */
  static int[] sortedByKey(long[] keys, List<Endpoint> endpoints) {
    int n = keys.length;
    // A primitive sort of (key with its sign flipped, so signed order is unsigned order), then
    // each index finds its rank; equal keys (a 64-bit collision) take the general path.
    long[] sorted = new long[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = keys[i] ^ Long.MIN_VALUE;
    }
    Arrays.sort(sorted);
    boolean distinct = true;
    for (int i = 1; i < n && distinct; i++) {
      distinct = sorted[i] != sorted[i - 1];
    }
    int[] order = new int[n];
    if (distinct) {
      for (int i = 0; i < n; i++) {
        order[Arrays.binarySearch(sorted, keys[i] ^ Long.MIN_VALUE)] = i;
      }
      return order;
    }
    Integer[] boxed = new Integer[n];
    for (int i = 0; i < n; i++) {
      boxed[i] = i;
    }
    Arrays.sort(
        boxed,
        (a, b) -> {
          int c = Long.compareUnsigned(keys[a], keys[b]);
          return c != 0 ? c : endpoints.get(a).id().compareTo(endpoints.get(b).id());
        });
    for (int i = 0; i < n; i++) {
      order[i] = boxed[i];
    }
    return order;
  }

  /** This client's shares over a ring of more than {@code size} members. */
  void shares(Ring ring, ClientCoordinate client, double[] shares) {
    int n = ring.order.length;
    double width = Math.max(size - 1, (double) n / client.count());
    if (width >= n) {
      Arrays.fill(shares, 0, n, 1.0);
      return;
    }
    double start = client.offset() * n - ring.rotation;
    start -= Math.floor(start / n) * n;
    double end = start + width;
    for (long r = (long) Math.floor(start); r < end; r++) {
      double overlap = Math.min((double) (r + 1), end) - Math.max((double) r, start);
      if (overlap > EPSILON) {
        int i = ring.order[(int) (r % n)];
        shares[i] = Math.min(1.0, shares[i] + overlap);
      }
    }
  }

  /** A 64-bit hash as a position on the unit ring: its top 53 bits as a fraction. */
  static double position(long hash) {
    return (hash >>> 11) * 0x1.0p-53;
  }

  @Override
  public String toString() {
    return "deterministic_aperture(size " + size + ")";
  }
}
