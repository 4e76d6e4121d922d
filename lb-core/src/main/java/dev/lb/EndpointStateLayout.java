package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.internal.LoadWatcher;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.RateLimiter;
import org.jspecify.annotations.Nullable;

/**
 * The field layout of {@link EndpointState}, as a chain of superclasses: HotSpot lays out a
 * superclass's fields before its subclass's, so the chain fixes the order that field declarations
 * alone cannot.
 *
 * <p>Why: every pick reads an endpoint's status and weight, and every call writes its counters.
 * When both share a cache line, each counter write by one core evicts the line that the other
 * core's picks are reading, and two threads balancing over the same endpoints spend their time
 * passing lines back and forth. So the read-mostly fields ({@link Head}) come first, then 128 bytes
 * of padding (two lines, against the adjacent-line prefetcher), then the fields every call writes
 * ({@link Keys}, what load-aware picks read of them, then {@link Counters}), then 64 bytes of
 * padding in {@link EndpointState} itself, so that the counters do not share a line with whatever
 * object the allocator puts next. Padding is made of bytes, which fill any gap the layout leaves,
 * as in JCTools and Caffeine.
 *
 * <p>Load-aware strategies do read the counters on every pick (calls in flight, the peak-EWMA key):
 * for them the split saves the misses on the head, not those on the counters, which are the very
 * values they rank by.
 */
final class EndpointStateLayout {
  private EndpointStateLayout() {}

  /** Read on every pick; written only on the balancer's serialized path. */
  abstract static class Head {
    final MetricsClock clock;
    final EndpointState.Observer observer;
    final @Nullable CircuitBreaker breaker;
    final @Nullable RateLimiter limiter;
    final CallListeners calls;
    final @Nullable LatencyWindow latencies;
    volatile Endpoint endpoint;
    volatile int status;
    volatile int effectiveWeight;
    volatile int failureStreakLimit;
    volatile double rampFactor = 1.0;

    /** Set once by the engine before the state is published; see {@link EndpointState#limits}. */
    @Nullable ConcurrencyLimit concurrencyLimit;

    @Nullable Admission admission;

    /**
     * The index told of every load change (see {@link EndpointState#watchLoad}), or null: read by
     * every call, written once per picker build, so it belongs with the read-mostly fields.
     */
    volatile @Nullable LoadWatcher loadWatcher;

    Head(
        Endpoint endpoint,
        MetricsClock clock,
        EndpointState.Observer observer,
        @Nullable CircuitBreaker breaker,
        @Nullable RateLimiter limiter,
        CallListeners calls) {
      this.endpoint = endpoint;
      this.calls = calls;
      this.latencies = clock.latencyWindowNanos == 0 ? null : new LatencyWindow(clock);
      this.clock = clock;
      this.observer = observer;
      this.breaker = breaker;
      this.limiter = limiter;
      this.effectiveWeight = endpoint.weight();
    }
  }

  /** Keeps {@link Counters} off {@link Head}'s cache lines. */
  @SuppressWarnings("unused")
  abstract static class HeadPadding extends Head {
    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014;
    byte p015, p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029;
    byte p030, p031, p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044;
    byte p045, p046, p047, p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059;
    byte p060, p061, p062, p063, p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074;
    byte p075, p076, p077, p078, p079, p080, p081, p082, p083, p084, p085, p086, p087, p088, p089;
    byte p090, p091, p092, p093, p094, p095, p096, p097, p098, p099, p100, p101, p102, p103, p104;
    byte p105, p106, p107, p108, p109, p110, p111, p112, p113, p114, p115, p116, p117, p118, p119;
    byte p120, p121, p122, p123, p124, p125, p126, p127;

    HeadPadding(
        Endpoint endpoint,
        MetricsClock clock,
        EndpointState.Observer observer,
        @Nullable CircuitBreaker breaker,
        @Nullable RateLimiter limiter,
        CallListeners calls) {
      super(endpoint, clock, observer, breaker, limiter, calls);
    }
  }

  /**
   * Everything a successful call writes and everything a load-aware pick reads, in 60 bytes: calls
   * in flight and successes (one word), the failure streak (read on every success), response bytes,
   * the latency EWMA, the failure-penalty key, and the peak EWMA (cost, stamp, key). A p2c or
   * peak-EWMA call touches nothing else of this object. Objects are only 8-byte aligned, so the
   * block starts anywhere in a line: what every strategy touches (the last 36 bytes) lies in one
   * line for half of the alignments and in two otherwise, peak EWMA's 60 bytes in two lines but for
   * one alignment in eight; spread over 96 bytes before, they took two or three lines. Each line a
   * call writes is one more line that two threads balancing over the same endpoints pass between
   * their cores. The latency window, when kept, adds one line of its own. HotSpot lays out 8-byte
   * fields before 4-byte ones, in declaration order within a size, so the block is 56 bytes of
   * longs and doubles, then the int. What only failures, cancellations and the scanning strategies
   * write is in {@link Counters}, after it.
   */
  abstract static class Keys extends HeadPadding {
    // Peak EWMA's first, so that what every strategy touches is the last 36 bytes: within one line
    // for half of all alignments. Its key last of the three, next to the penalty key and the
    // word: a peak-EWMA pick reads those 24 contiguous bytes of each candidate, within one line for
    // six alignments in eight (the key first, 40 bytes apart from the word's end, took four).
    double peakCost = Double.NaN;
    long peakStamp;
    double peakKey = Double.NaN;
    double penaltyKey = Double.NEGATIVE_INFINITY;

    /**
     * Calls in flight (the low 32 bits, as an {@code int}) and successes (the high 32 bits,
     * unsigned, less what {@link Counters#successesFolded} holds): one word, so that a success
     * counts itself and leaves the in-flight count in one atomic add (see {@link
     * EndpointState#successes()}).
     */
    volatile long inFlightAndSuccesses;

    volatile long responseBytes;
    double latencyEwma = Double.NaN;
    volatile int failureStreak;

    Keys(
        Endpoint endpoint,
        MetricsClock clock,
        EndpointState.Observer observer,
        @Nullable CircuitBreaker breaker,
        @Nullable RateLimiter limiter,
        CallListeners calls) {
      super(endpoint, clock, observer, breaker, limiter, calls);
    }
  }

  /**
   * Written by failures, cancellations and the strategies that rank by response time or throughput
   * (their keys and decayed byte counts), and read by stats: the exact counters not in {@link Keys}
   * (atomic read-modify-write through {@link EndpointState}'s var handles) and the remaining
   * estimators. NaN means "no sample yet".
   */
  abstract static class Counters extends Keys {
    /**
     * Successes moved out of {@link Keys#inFlightAndSuccesses}' high half, 2^31 at a time, before
     * it can wrap; written once per 2^31 successes, inside {@link #foldVersion}'s odd phase.
     */
    volatile long successesFolded;

    /** Odd while a fold of successes is under way: readers of the successes retry (a seqlock). */
    volatile int foldVersion;

    volatile long failures;
    volatile long cancels;
    double latencyKey = Double.NaN;
    double bytesKey = Double.NEGATIVE_INFINITY;
    double bytesDecayed;
    long bytesStamp;
    volatile @Nullable Throwable lastFailure;

    /**
     * The latest load report, stamped on receipt. Here, among what calls write, and not in {@link
     * Head}: a backend that reports per call (ORCA's trailer, its HTTP header) writes it as often
     * as the counters, while pickers never read it on a pick (the weighted round robin that uses it
     * reads it once per weight update, on the scheduler's thread). In {@code Head} each report
     * would evict the line every pick reads; here it costs nothing the counters do not already. A
     * plain reference store: an immutable value, so a reader sees it whole or not at all.
     */
    volatile @Nullable LoadReport loadReport;

    Counters(
        Endpoint endpoint,
        MetricsClock clock,
        EndpointState.Observer observer,
        @Nullable CircuitBreaker breaker,
        @Nullable RateLimiter limiter,
        CallListeners calls) {
      super(endpoint, clock, observer, breaker, limiter, calls);
    }
  }
}
