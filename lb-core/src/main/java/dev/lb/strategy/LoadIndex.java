package dev.lb.strategy;

import dev.lb.Ticker;
import dev.lb.internal.LoadSignal;
import dev.lb.internal.LoadWatcher;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A tournament tree over the endpoints' {@link Load} scores, kept up to date by the endpoints
 * themselves, so that the least-loaded endpoint is found without a scan.
 *
 * <p><b>Design.</b> A complete binary tree with one leaf per endpoint (HAProxy keeps its leastconn
 * servers in a tree for the same reason; a segment tree of minima is the textbook form). Each leaf
 * holds its endpoint's score; each inner node holds the index of the lowest-scoring leaf below it
 * and the total weight of the leaves tied at that score. Every change of an endpoint's load ({@link
 * LoadWatcher#loadChanged}, called by the endpoint after the change) rescores its leaf and repairs
 * the path to the root: O(log n) per change. A pick reads the root: if one endpoint holds the
 * lowest score it is the answer, O(1); if all are tied (an idle group), one is drawn by weight,
 * O(1); if some are tied, one walk down the tree draws among them in proportion to weight from a
 * single random number, O(log n). So a pick costs what a scan's tie-break costs, exactly: on one
 * thread, each pick returns the endpoint the scan would, ties drawn with the same probabilities.
 *
 * <p><b>Concurrency.</b> Leaves and inner nodes (leaf index and tied weight packed in one {@code
 * long}) are written with release stores; a repair writes its path, issues one full fence and
 * re-reads the path, starting again from the first node that no longer matches its children (see
 * {@link #update}). Of two repairs racing on a node, at least one sees the other's child after its
 * fence and repairs the node, so once changes stop every node is exact again; while they race, a
 * pick may read a node computed a moment before some change. A pick checks the leaf it chose
 * against the endpoint's live score and, if they differ, repairs it and picks again (twice at most;
 * the third choice stands), so a call goes to an endpoint whose added load the tree has not yet
 * seen only when that load changes again during each of its pick's three tries. Under contention
 * heavy enough to exhaust a repair's rounds (8), a node can stay behind until a later change under
 * it; every 16th pick on average also recomputes one inner node in a sweep from the leaves up,
 * which bounds that to about {@code 16 x 2n} picks.
 *
 * <p><b>Failure penalties</b> decay with time, so the score of an endpoint that failed recently
 * changes with no event to tell the tree. Such leaves are marked, and a pick reads the clock and
 * rescores the marked leaves first, which keeps picks exact; when more are marked than a rescore is
 * worth ({@code n / (4 log2 n)}), picks scan instead until the penalties decay.
 *
 * <p><b>Ownership.</b> An endpoint tells one watcher only. Building a newer index over an endpoint
 * supersedes the older index, which then scans (it belongs to a snapshot being retired) and stops
 * watching its other endpoints. An index over endpoints that are not the balancer's ({@link
 * LoadSignal}) is never built.
 *
 * <p>Thread-safe and lock-free; picking allocates nothing.
 */
final class LoadIndex {
  /** The largest group indexed: leaf indexes take 21 bits of a node. */
  static final int MAX_ENDPOINTS = 1 << 20;

  /** The smallest group indexed: below it a scan is cheaper than the repairs. */
  static final int MIN_ENDPOINTS = 16;

  private static final int WINNER_BITS = 21;
  private static final long WINNER_MASK = (1L << WINNER_BITS) - 1;
  private static final VarHandle NODE = MethodHandles.arrayElementVarHandle(long[].class);
  // Winner index in the low 21 bits, tied weight in the high 32.
  private static final VarHandle SCORE = MethodHandles.arrayElementVarHandle(double[].class);
  private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle PENALIZED;
  private static final VarHandle SWEEP;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      PENALIZED = l.findVarHandle(LoadIndex.class, "penalized", int.class);
      SWEEP = l.findVarHandle(LoadIndex.class, "sweep", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LiveEndpoint[] states;
  private final int[] weights;
  private final double[] weightTerms;
  private final Load load;
  private final Ticker ticker;
  private final RandomGenerator random;
  private final int n;
  private final int size; // leaves, a power of two >= n
  private final long totalWeight;
  private final @Nullable AliasTable byWeight; // null when all weights are equal
  private final double[] score; // per leaf; +infinity for the padding leaves past n
  private final long[] node; // [1, size): packed inner nodes
  private final long[] leafEntry; // per leaf: (weight << 32) | index, as a node reads a child
  private final long[] penalizedLeaves; // bit set of leaves scored with a failure penalty
  private final int maxPenalized;
  private final Leaf[] leaves;
  private volatile boolean ready;
  private volatile boolean superseded;
  private volatile int penalized;

  @SuppressWarnings("unused") // accessed through SWEEP: the racy cursor of the repair sweep
  private int sweep;

  /**
   * Whether {@code states} can be indexed: enough of them, all the balancer's, and a total weight
   * that fits a node's 32 bits.
   */
  static boolean supports(LiveEndpoint[] states, int[] weights) {
    if (states.length < MIN_ENDPOINTS || states.length > MAX_ENDPOINTS) {
      return false;
    }
    long total = 0;
    for (int i = 0; i < states.length; i++) {
      if (!(states[i] instanceof LoadSignal)) {
        return false;
      }
      total += weights[i];
    }
    return total < (1L << 32);
  }

  /** Builds the index and registers it with every endpoint; call only if {@link #supports}. */
  LoadIndex(
      LiveEndpoint[] states,
      int[] weights,
      double[] weightTerms,
      Load load,
      Ticker ticker,
      RandomGenerator random) {
    this.states = states;
    this.weights = weights;
    this.weightTerms = weightTerms;
    this.load = load;
    this.ticker = ticker;
    this.random = random;
    this.n = states.length;
    this.size = Integer.highestOneBit(Math.max(2, n - 1)) << 1;
    long total = 0;
    boolean equal = true;
    for (int w : weights) {
      total += w;
      equal &= w == weights[0];
    }
    this.totalWeight = total;
    this.byWeight = equal ? null : new AliasTable(weights);
    this.score = new double[size];
    this.node = new long[size];
    this.leafEntry = new long[size];
    this.penalizedLeaves = new long[(size + 63) >>> 6];
    int log = 31 - Integer.numberOfLeadingZeros(size);
    this.maxPenalized = Math.max(1, n / (4 * log));
    this.leaves = new Leaf[n];
    for (int i = 0; i < size; i++) {
      leafEntry[i] = i < n ? ((long) weights[i] << 32) | i : i;
      score[i] = Double.POSITIVE_INFINITY;
    }
    // Register first, then read the scores: a change after registration but before the tree is
    // ready is seen either by the build or by the check that follows it.
    for (int i = 0; i < n; i++) {
      leaves[i] = new Leaf(this, i);
      LoadWatcher previous = ((LoadSignal) states[i]).watchLoad(leaves[i]);
      if (previous != null) {
        previous.superseded();
      }
    }
    for (int i = 0; i < n; i++) {
      score[i] = liveScore(i);
    }
    for (int p = size - 1; p >= 1; p--) {
      node[p] = combine(entry(2 * p), entry(2 * p + 1));
    }
    VarHandle.releaseFence();
    ready = true;
    for (int i = 0; i < n; i++) {
      if (liveScore(i) != (double) SCORE.getVolatile(score, i)) {
        update(i);
      }
    }
  }

  /** Whether picks may use the index: it was not superseded and few penalties are decaying. */
  boolean usable() {
    return !superseded && penalized <= maxPenalized;
  }

  /**
   * The least-loaded endpoint, ties drawn by weight; or null if the index cannot answer now (see
   * {@link #usable}), when the caller scans.
   */
  @Nullable LiveEndpoint pick() {
    if (superseded) {
      return null;
    }
    if (penalized > 0) {
      if (penalized > maxPenalized) {
        // The caller scans. Rescore a few marked leaves meanwhile, so that the marks of decayed
        // penalties clear and the index takes over again.
        rescorePenalized(2);
        return null;
      }
      rescorePenalized(Integer.MAX_VALUE);
    }
    long r = random.nextLong();
    if ((r & 15) == 0) {
      sweepOne();
    }
    for (int attempt = 0; ; attempt++) {
      int i = choose(r >>> 4);
      // Never an endpoint whose leaf lags behind it: a change racing with this pick is applied
      // first. Two retries at most; the third answer stands, being at most one change behind.
      if (attempt == 2 || liveScore(i) == (double) SCORE.getAcquire(score, i)) {
        return states[i];
      }
      update(i);
      r = random.nextLong();
    }
  }

  /**
   * The runner-up of the endpoint a pick would choose: the lowest-scoring endpoint among the
   * subtrees that endpoint beat on its way to the root (a tournament's classic second place), ties
   * between subtrees drawn by weight. The balancer asks for it when its first choice could not take
   * the call. Null if the index cannot answer now.
   */
  @Nullable LiveEndpoint runnerUp() {
    if (!usable()) {
      return null;
    }
    long r = random.nextLong();
    int leaf = choose(r >>> 4);
    int best = -1;
    double bestScore = Double.POSITIVE_INFINITY;
    long tied = 0;
    for (int p = leaf + size; p > 1; p >>>= 1) {
      long e = entry(p ^ 1);
      int w = winner(e);
      long t = tied(e);
      if (t == 0) {
        continue; // padding only
      }
      double s = (double) SCORE.getAcquire(score, w);
      if (best < 0 || s < bestScore) {
        best = w;
        bestScore = s;
        tied = t;
      } else if (s == bestScore) {
        tied += t;
        if (random.nextLong(tied) < t) {
          best = w;
        }
      }
    }
    return best < 0 ? null : states[best];
  }

  /** A leaf at the lowest score, drawn by weight among ties with {@code bits} (non-negative). */
  private int choose(long bits) {
    long root = (long) NODE.getAcquire(node, 1);
    int w = winner(root);
    long tied = tied(root);
    if (tied == weights[w]) {
      return w; // the only endpoint at the lowest score (or the only one of its weight tied)
    }
    if (tied == totalWeight) {
      // All tied, as in an idle group: a draw by weight, without the walk.
      AliasTable t = byWeight;
      return t == null ? PowerOfTwoChoicesStrategy.index((int) bits, n) : t.sample((int) bits);
    }
    long target = bits % tied;
    int p = 1;
    while (p < size) {
      long left = entry(2 * p);
      long right = entry(2 * p + 1);
      double sl = (double) SCORE.getAcquire(score, winner(left));
      double sr = (double) SCORE.getAcquire(score, winner(right));
      if (sl < sr) {
        p = 2 * p;
      } else if (sr < sl) {
        p = 2 * p + 1;
      } else {
        long tl = tied(left);
        if (target < tl) {
          p = 2 * p;
        } else {
          target -= tl;
          p = 2 * p + 1;
        }
      }
    }
    int leaf = p - size;
    // A race can walk into the padding; the root's own winner is a real endpoint.
    return leaf < n ? leaf : w;
  }

  /**
   * Rescores leaf {@code i} and repairs the path above it, in rounds: a pass up the path with
   * release stores (stopping where a node comes out unchanged and does not name leaf {@code i},
   * since nothing above it depends on this change), one full fence, then a pass that re-reads what
   * the first pass wrote and recomputes it; a difference, left by a racing repair that read a child
   * before this one wrote it, starts another round from there. The fence is what makes that work:
   * of two repairs racing on one node, at least one reads the other's child (Dekker's argument), so
   * the one that reads last repairs it. Rounds are bounded; what a round limit leaves behind, the
   * sweep mends.
   */
  void update(int i) {
    int leaf = i + size;
    int from = leaf; // the lowest position the round must recompute; the leaf itself first
    for (int round = 0; round < 8; round++) {
      int stop = repairFrom(from, i);
      VarHandle.fullFence();
      from = firstStale(leaf, stop, i);
      if (from == 0) {
        return;
      }
    }
  }

  /**
   * Writes the path from position {@code from} (the leaf, or an inner node) up; returns the last
   * position written or checked, where the pass stopped.
   */
  private int repairFrom(int from, int i) {
    int p = from;
    if (p >= size) {
      SCORE.setRelease(score, i, liveScore(i));
      p >>>= 1;
    }
    for (; p >= 1; p >>>= 1) {
      long old = (long) NODE.getAcquire(node, p);
      long next = combine(entry(2 * p), entry(2 * p + 1));
      if (next != old) {
        NODE.setRelease(node, p, next);
      } else if (winner(next) != i) {
        return p; // unchanged and not naming the changed leaf: nothing above depends on it
      }
    }
    return 1;
  }

  /**
   * Re-reads the path from the leaf up to {@code stop}; returns the first position whose stored
   * value differs from its recomputation, or 0 if none does.
   */
  private int firstStale(int leaf, int stop, int i) {
    if (liveScore(i) != (double) SCORE.getAcquire(score, i)) {
      return leaf;
    }
    for (int p = leaf >>> 1; p >= stop && p >= 1; p >>>= 1) {
      if (combine(entry(2 * p), entry(2 * p + 1)) != (long) NODE.getAcquire(node, p)) {
        return p;
      }
    }
    return 0;
  }

  /** One step of the repair sweep: recomputes the next inner node, from the leaves' parents up. */
  private void sweepOne() {
    int k = (int) SWEEP.getOpaque(this);
    SWEEP.setOpaque(this, k + 1);
    int p = size - 1 - Math.floorMod(k, size - 1);
    long next = combine(entry(2 * p), entry(2 * p + 1));
    if (next != (long) NODE.getAcquire(node, p)) {
      // Stale: a repair left it behind. Mend it and the path above, as a change would.
      NODE.setRelease(node, p, next);
      int parent = p >>> 1;
      if (parent >= 1) {
        repairFrom(parent, -1);
      }
      VarHandle.fullFence();
    }
  }

  /**
   * The node over two children: the lower-scoring child's leaf with its tied weight, or on a tie
   * the sum of both tied weights.
   */
  private long combine(long left, long right) {
    int wl = winner(left);
    int wr = winner(right);
    double sl = (double) SCORE.getAcquire(score, wl);
    double sr = (double) SCORE.getAcquire(score, wr);
    if (sl < sr) {
      return left;
    }
    if (sr < sl) {
      return right;
    }
    long tl = tied(left);
    long tr = tied(right);
    // Name a real endpoint whenever one is tied, so the root's winner is never padding.
    int w = tl > 0 || tr == 0 ? wl : wr;
    return ((tl + tr) << 32) | w;
  }

  /** The node at tree position {@code p}: an inner node, or a leaf's constant entry. */
  private long entry(int p) {
    return p >= size ? leafEntry[p - size] : (long) NODE.getAcquire(node, p);
  }

  private static int winner(long entry) {
    return (int) (entry & WINNER_MASK);
  }

  private static long tied(long entry) {
    return entry >>> 32;
  }

  /**
   * The endpoint's score as the scan computes it (reading the clock only while it has a failure
   * penalty), marking the leaf while a penalty is part of it. NaN, which no comparison orders,
   * counts as the highest score.
   */
  private double liveScore(int i) {
    LiveEndpoint e = states[i];
    boolean penalty = e.hasFailurePenalty();
    if (penalty != isMarked(i)) {
      mark(i, penalty);
    }
    double s = load.score(e, weightTerms[i], ticker);
    return Double.isNaN(s) ? Double.POSITIVE_INFINITY : s;
  }

  private boolean isMarked(int i) {
    return (((long) WORD.getVolatile(penalizedLeaves, i >>> 6)) & (1L << i)) != 0;
  }

  private void mark(int i, boolean on) {
    int word = i >>> 6;
    long bit = 1L << i;
    while (true) {
      long old = (long) WORD.getVolatile(penalizedLeaves, word);
      if (((old & bit) != 0) == on) {
        return; // another thread did it
      }
      if (WORD.compareAndSet(penalizedLeaves, word, old, old ^ bit)) {
        PENALIZED.getAndAdd(this, on ? 1 : -1);
        return;
      }
    }
  }

  /**
   * Rescores up to {@code budget} leaves whose score includes a decaying failure penalty, starting
   * where the last call stopped, so that a small budget still reaches every marked leaf in turn.
   */
  private void rescorePenalized(int budget) {
    int words = penalizedLeaves.length;
    int start = (int) SWEEP.getOpaque(this);
    int left = budget;
    for (int k = 0; k < words && left > 0; k++) {
      int word = Math.floorMod(start + k, words);
      long bits = (long) WORD.getVolatile(penalizedLeaves, word);
      while (bits != 0 && left > 0) {
        int i = (word << 6) + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
        update(i);
        left--;
      }
      if (left == 0 && budget != Integer.MAX_VALUE) {
        SWEEP.setOpaque(this, start + k + (bits == 0 ? 1 : 0));
      }
    }
  }

  /** Stops watching every endpoint still watched by this index; picks then scan. */
  private void retire() {
    if (superseded) {
      return;
    }
    superseded = true;
    for (int i = 0; i < n; i++) {
      ((LoadSignal) states[i]).unwatchLoad(leaves[i]);
    }
  }

  /** Whether a newer index has taken over at least one of this one's endpoints. */
  boolean superseded() {
    return superseded;
  }

  /** The score stored for endpoint {@code i}; for tests. */
  double storedScore(int i) {
    return (double) SCORE.getVolatile(score, i);
  }

  /** Checks that every inner node is its children's combination; for tests. */
  boolean consistent() {
    for (int p = size - 1; p >= 1; p--) {
      if (combine(entry(2 * p), entry(2 * p + 1)) != (long) NODE.getVolatile(node, p)) {
        return false;
      }
    }
    return true;
  }

  /** One endpoint's watcher: tells the index which leaf changed. */
  private static final class Leaf implements LoadWatcher {
    private final LoadIndex index;
    private final int i;

    Leaf(LoadIndex index, int i) {
      this.index = index;
      this.i = i;
    }

    @Override
    public void loadChanged() {
      LoadIndex x = index;
      if (x.ready && !x.superseded) {
        x.update(i);
      }
    }

    @Override
    public void superseded() {
      index.retire();
    }
  }
}
