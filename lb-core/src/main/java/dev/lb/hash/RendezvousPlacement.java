package dev.lb.hash;

import dev.lb.strategy.LiveEndpoint;

/**
 * Rendezvous or highest-random-weight hashing (Thaler and Ravishankar, "Using Name-Based Mappings
 * to Increase Hit Rates", IEEE/ACM ToN 1998), weighted by the logarithmic method (Schindelhauer and
 * Schomaker, "Weighted Distributed Hash Tables", SPAA 2005; Resch, "New Hashing Algorithms for Data
 * Storage", 2015): every endpoint scores the key and the highest score wins.
 *
 * <p>The score of endpoint {@code i} for a key is {@code -w(i) / ln(u)}, where {@code u} in (0, 1)
 * is the top 53 bits of {@code XXH64(key hash, seed = XXH64(id))}. Endpoint {@code i} wins with
 * probability {@code w(i) / W} exactly, and a member's arrival or departure changes no other
 * member's score: only the keys it wins or loses move. With equal weights the score is monotonic in
 * {@code u}, so the raw hashes are compared instead (no logarithm), giving the same order.
 *
 * <p>Cost: O(n) hashes per pick (and a logarithm each when weights differ); for hundreds of
 * endpoints prefer {@link MaglevPlacement Maglev} or the ring. Attempt {@code k} is the endpoint
 * with the {@code k+1}-th highest score, found by {@code k + 1} scans (O(n k)); ties, which need
 * equal 64-bit hashes, go to the lower index.
 */
final class RendezvousPlacement implements Placement {
  private final long[] idHashes;
  private final double[] inverseWeights;
  private final boolean weighted;

  RendezvousPlacement(LiveEndpoint[] endpoints, long seed) {
    int n = endpoints.length;
    this.idHashes = new long[n];
    this.inverseWeights = new double[n];
    boolean equal = true;
    for (int i = 0; i < n; i++) {
      idHashes[i] = XxHash64.hash(endpoints[i].endpoint().id(), seed);
      int w = Math.max(1, endpoints[i].weight());
      inverseWeights[i] = 1.0 / w;
      equal &= w == Math.max(1, endpoints[0].weight());
    }
    this.weighted = !equal;
  }

  @Override
  public int locate(long keyHash, int attempt) {
    int k = attempt % idHashes.length;
    return weighted ? weightedRank(keyHash, k) : rank(keyHash, k);
  }

  /** The index with the (k+1)-th highest raw hash, as an unsigned number. */
  private int rank(long keyHash, int k) {
    // Signed comparison of (hash ^ MIN_VALUE) is unsigned comparison of hash.
    long boundScore = Long.MAX_VALUE;
    int boundIndex = -1;
    int best = 0;
    for (int round = 0; round <= k; round++) {
      long bestScore = Long.MIN_VALUE;
      best = -1;
      for (int i = 0; i < idHashes.length; i++) {
        long score = XxHash64.hash(keyHash, idHashes[i]) ^ Long.MIN_VALUE;
        boolean belowBound = score < boundScore || (score == boundScore && i > boundIndex);
        if (belowBound && (best < 0 || score > bestScore)) {
          best = i;
          bestScore = score;
        }
      }
      boundScore = bestScore;
      boundIndex = best;
    }
    return best;
  }

  /** The index with the (k+1)-th highest {@code ln(u) / w}, that is of {@code -w / ln(u)}. */
  private int weightedRank(long keyHash, int k) {
    double boundScore = Double.POSITIVE_INFINITY;
    int boundIndex = -1;
    int best = 0;
    for (int round = 0; round <= k; round++) {
      double bestScore = Double.NEGATIVE_INFINITY;
      best = -1;
      for (int i = 0; i < idHashes.length; i++) {
        double score = score(XxHash64.hash(keyHash, idHashes[i]), inverseWeights[i]);
        boolean belowBound = score < boundScore || (score == boundScore && i > boundIndex);
        if (belowBound && (best < 0 || score > bestScore)) {
          best = i;
          bestScore = score;
        }
      }
      boundScore = bestScore;
      boundIndex = best;
    }
    return best;
  }

  /** {@code ln(u) / w} for {@code u} the top 53 bits of {@code hash} in (0, 1): higher wins. */
  static double score(long hash, double inverseWeight) {
    double u = ((hash >>> 11) + 0.5) * 0x1.0p-53;
    return Math.log(u) * inverseWeight;
  }
}
