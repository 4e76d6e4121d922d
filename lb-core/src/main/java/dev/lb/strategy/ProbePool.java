package dev.lb.strategy;

import dev.lb.Ticker;
import dev.lb.probe.ProbeResult;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * One picker's pool of recent probe answers ({@link Prequal}): a fixed array of slots that picks
 * read and consume lock-free, and that answers enter under a lock that picks never take.
 *
 * <p>Who writes what: a pick reads the slots and the hot threshold, adds one use to the answer it
 * takes (an atomic add) and clears the slot by compare-and-set when that was the answer's last use;
 * answers enter ({@link #insert}) on the thread that completes a probe, under {@link #lock}, which
 * also recomputes the threshold; {@link #evict} runs on the balancer's serialized refresh and
 * clears aged answers, answers of endpoints out of rotation and used-up ones, under the same lock.
 * The threshold is therefore that of the pool as it was at the last insertion or refresh: answers
 * consumed since are gone from the pool but not from the threshold, which is how "every answer is
 * hot" can happen (the cold ones were used up), and that rule picks the lowest RIF.
 */
final class ProbePool {
  /** One probe answer in the pool, with the uses picks made of it. */
  static final class Answer {
    private static final VarHandle USED;

    static {
      try {
        USED = MethodHandles.lookup().findVarHandle(Answer.class, "used", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final LiveEndpoint endpoint;
    final ProbeResult result;
    final int rif;
    final long latencyNanos;
    final long receivedAt;

    @SuppressWarnings("unused") // through USED
    private volatile int used;

    Answer(LiveEndpoint endpoint, ProbeResult result) {
      this.endpoint = endpoint;
      this.result = result;
      this.rif = result.requestsInFlight();
      this.latencyNanos = result.latencyNanos();
      this.receivedAt = result.receivedAtNanos();
    }

    int used() {
      return (int) USED.getOpaque(this);
    }

    /** Adds a use; returns the uses before it. */
    int use() {
      return (int) USED.getAndAdd(this, 1);
    }
  }

  final AtomicReferenceArray<@Nullable Answer> slots;
  private final int reuseBudget;
  private final double hotQuantile;

  /** RIF above this is hot; recomputed under {@link #lock}. MAX_VALUE while the pool is empty. */
  private volatile int hotThreshold = Integer.MAX_VALUE;

  /** Picks since the pool was made; the refresh turns their growth into probes. */
  final LongAdder picks = new LongAdder();

  /** Probes started for this pool and not yet answered, failed or given up. */
  final AtomicInteger outstanding = new AtomicInteger();

  // The refresh's (serialized path only).
  long seenPicks;
  double carry;

  final Object lock = new Object();

  // Guarded by lock.
  private final int[] scratch;
  private boolean closed;

  ProbePool(int size, int reuseBudget, double hotQuantile) {
    this.slots = new AtomicReferenceArray<>(size);
    this.reuseBudget = reuseBudget;
    this.hotQuantile = hotQuantile;
    this.scratch = new int[size];
  }

  int hotThreshold() {
    return hotThreshold;
  }

  /**
   * Takes the endpoint of the best answer by the hot/cold rule and uses the answer once; null if no
   * answer is usable (the pool is empty, or every answer's endpoint is out of rotation). Lock-free
   * and allocation-free.
   */
  @Nullable LiveEndpoint take(RandomGenerator random, Ticker ticker) {
    int n = slots.length();
    int threshold = hotThreshold;
    // A random starting slot, so that equal answers share the picks.
    int start = n == 1 ? 0 : PowerOfTwoChoicesStrategy.index((int) random.nextLong(), n);
    Answer cold = null;
    int coldIndex = -1;
    long coldLatency = Long.MAX_VALUE;
    Answer hot = null;
    int hotIndex = -1;
    long hotRif = Long.MAX_VALUE;
    long now = 0;
    boolean clockRead = false;
    for (int k = 0; k < n; k++) {
      int i = start + k;
      if (i >= n) {
        i -= n;
      }
      Answer a = slots.get(i);
      if (a == null) {
        continue;
      }
      LiveEndpoint e = a.endpoint;
      if (!e.available()) {
        continue;
      }
      // The load the answer reported, plus the calls this pool already sent on it, plus the
      // client's own recent failures there (a backend that fails fast reports an idle queue).
      long rif = (long) a.rif + a.used();
      if (e.hasFailurePenalty()) {
        if (!clockRead) {
          now = ticker.read();
          clockRead = true;
        }
        rif += (long) Math.ceil(e.failurePenalty(now));
      }
      if (rif > threshold) {
        if (rif < hotRif) {
          hot = a;
          hotIndex = i;
          hotRif = rif;
        }
      } else if (a.latencyNanos < coldLatency) {
        cold = a;
        coldIndex = i;
        coldLatency = a.latencyNanos;
      }
    }
    Answer chosen = cold != null ? cold : hot;
    if (chosen == null) {
      return null;
    }
    int index = cold != null ? coldIndex : hotIndex;
    if (chosen.use() + 1 >= reuseBudget) {
      slots.compareAndSet(index, chosen, null); // its last use: out of the pool
    }
    return chosen.endpoint;
  }

  /**
   * Puts an answer in the pool: into a free slot, else in place of the oldest answer; then
   * recomputes the threshold. Off the pick path.
   */
  void insert(Answer answer) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      int n = slots.length();
      int target = -1;
      long oldest = Long.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        Answer a = slots.get(i);
        if (a == null) {
          target = i;
          break;
        }
        if (a.receivedAt < oldest) {
          oldest = a.receivedAt;
          target = i;
        }
      }
      slots.set(target, answer);
      recomputeThreshold();
    }
  }

  /**
   * Clears answers received at or before {@code now - maxAgeNanos}, answers of endpoints out of
   * rotation and used-up answers; then recomputes the threshold. On the serialized refresh.
   */
  void evict(long now, long maxAgeNanos) {
    synchronized (lock) {
      for (int i = 0; i < slots.length(); i++) {
        Answer a = slots.get(i);
        if (a != null
            && (now - a.receivedAt >= maxAgeNanos
                || !a.endpoint.available()
                || a.used() >= reuseBudget)) {
          slots.compareAndSet(i, a, null);
        }
      }
      recomputeThreshold();
    }
  }

  /** The nearest-rank {@code hotQuantile} of the pooled answers' RIFs. Under {@link #lock}. */
  private void recomputeThreshold() {
    int k = 0;
    for (int i = 0; i < slots.length(); i++) {
      Answer a = slots.get(i);
      if (a != null) {
        scratch[k++] = a.rif;
      }
    }
    if (k == 0) {
      hotThreshold = Integer.MAX_VALUE;
      return;
    }
    Arrays.sort(scratch, 0, k);
    int rank = (int) Math.ceil(hotQuantile * k) - 1;
    hotThreshold = scratch[Math.max(0, Math.min(k - 1, rank))];
  }

  /** The answers now in the pool, for carrying them over to the next picker. */
  void collect(java.util.List<Answer> into) {
    for (int i = 0; i < slots.length(); i++) {
      Answer a = slots.get(i);
      if (a != null) {
        into.add(a);
      }
    }
  }

  /** Stops taking answers; the pool's picker may still read what it holds. */
  void close() {
    synchronized (lock) {
      closed = true;
    }
  }

  /** How many answers the pool holds now. */
  int size() {
    int k = 0;
    for (int i = 0; i < slots.length(); i++) {
      if (slots.get(i) != null) {
        k++;
      }
    }
    return k;
  }
}
