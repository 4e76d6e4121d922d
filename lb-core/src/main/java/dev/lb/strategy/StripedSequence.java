package dev.lb.strategy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.random.RandomGenerator;

/**
 * Positions in a cyclic sequence {@code 0, 1, ..., bound - 1, 0, ...}, one position per stripe,
 * with each thread hashed onto a stripe. Round robin over this does not collapse under contention
 * the way one shared atomic counter does: threads on different stripes never write the same cache
 * line.
 *
 * <p>Each stripe walks the whole cycle in order, so every thread still sees a round-robin sequence,
 * and over all threads every position is visited equally often to within one per stripe and cycle.
 * Advancing a stripe is a plain (opaque) read and write, not an atomic increment: two threads that
 * share a stripe may, rarely, both get the same position. That costs one repeated pick, not
 * correctness, and keeps a pick free of any atomic instruction.
 *
 * <p>Stripes start at random positions so that rebuilding a picker does not send the next burst of
 * calls to the first endpoint.
 */
final class StripedSequence {
  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(int[].class);

  /** Ints between two stripes' cells: 128 bytes, so no two stripes share a cache line pair. */
  private static final int STRIDE = 32;

  private static final int STRIPES = stripeCount(Runtime.getRuntime().availableProcessors());

  private final int[] cells;
  private final int bound;

  StripedSequence(int bound, RandomGenerator random) {
    this.bound = bound;
    this.cells = new int[(STRIPES + 1) * STRIDE];
    for (int s = 0; s < STRIPES; s++) {
      cells[(s + 1) * STRIDE] = random.nextInt(bound);
    }
  }

  /** Four stripes per processor, at least 8 and at most 256, a power of two. */
  static int stripeCount(int processors) {
    int wanted = Math.min(256, Math.max(8, processors * 4));
    return Integer.highestOneBit(wanted - 1) << 1;
  }

  /** Returns the calling thread's stripe's position and advances it. */
  int next() {
    int i = slot();
    int position = (int) CELLS.getOpaque(cells, i);
    int next = position + 1;
    CELLS.setOpaque(cells, i, next == bound ? 0 : next);
    return position;
  }

  private static int slot() {
    // Fibonacci hashing spreads consecutive thread ids over the stripes.
    long id = Thread.currentThread().getId();
    int stripe = (int) ((id * 0x9E3779B97F4A7C15L) >>> 32) & (STRIPES - 1);
    return (stripe + 1) * STRIDE;
  }
}
