package dev.lb.subset;

import dev.lb.Endpoint;
import dev.lb.hash.XxHash64;
import java.util.Arrays;
import java.util.List;

/**
 * gRFC A68 random subsetting by rendezvous hashing: see {@link Subsetting#random(int, long)}.
 * Immutable and thread-safe.
 */
final class RendezvousSubsetting implements Subsetting {
  private final int size;
  private final long seed;

  RendezvousSubsetting(int size, long seed) {
    this.size = size;
    this.seed = seed;
  }

  @Override
  public String name() {
    return "random";
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean usesCoordinate() {
    return false;
  }

  @Override
  public void shares(List<Endpoint> endpoints, ClientCoordinate client, double[] shares) {
    int n = endpoints.size();
    if (n <= size) {
      Arrays.fill(shares, 0, n, 1.0);
      return;
    }
    long[] scores = new long[n];
    for (int i = 0; i < n; i++) {
      scores[i] = XxHash64.hash(endpoints.get(i).id(), seed);
    }
    // Highest score first: the size-th highest is the threshold; equal scores (a 64-bit
    // collision) are ordered by id, so the choice is a function of the set.
    int[] ascending = DeterministicAperture.sortedByKey(scores, endpoints);
    for (int r = n - size; r < n; r++) {
      shares[ascending[r]] = 1.0;
    }
  }

  @Override
  public String toString() {
    return "random(size " + size + ")";
  }
}
