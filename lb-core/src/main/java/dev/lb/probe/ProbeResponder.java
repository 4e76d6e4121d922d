package dev.lb.probe;

import static dev.lb.internal.Checks.checkArgument;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The server's side of probing: counts the requests a server has in flight and learns the latency
 * its requests see at each load, so that it can answer a probe with its RIF now and the latency a
 * request arriving now should expect ({@link #answer()}). An HTTP server answers lb-okhttp's {@code
 * HttpProber} ({@code GET /lb-probe}) with {@code answer().toText()}; lb-grpc's {@code
 * ProbeService} answers gRPC probes from one of these and can keep it up to date itself. A server
 * calls {@link #begin()} when a request arrives and {@link #end} when it is done.
 *
 * <pre>{@code
 * ProbeResponder load = ProbeResponder.create();
 * // in the request handler:
 * long start = System.nanoTime();
 * int rif = load.begin();
 * try {
 *   serve(request);
 * } finally {
 *   load.end(rif, System.nanoTime() - start);
 * }
 * // in the probe handler:
 * respond(load.answer().toText());
 * }</pre>
 *
 * <h2>Design</h2>
 *
 * <p>Prequal's servers answer a probe with their requests in flight and an estimate of latency at
 * that RIF, learnt from recent requests (Wydrowski et al., NSDI 2024, section 4: latency is tracked
 * as a function of RIF because a replica's latency at a given load changes far more slowly than its
 * load does). Here each request's latency is filed under the RIF it found on arrival, in buckets:
 * one per RIF value up to 15, then one per power of two up to 2^20; each bucket keeps an
 * exponentially weighted moving average (weight 0.2 for a new sample) instead of the paper's median
 * of recent samples, which keeps {@link #end} allocation-free and constant-time. A probe at a RIF
 * whose bucket has no sample yet is answered from the nearest bucket that has one, scaled by {@code
 * (rif + 1) / (bucket's rif + 1)} (latency grows about linearly with the queue once the server is
 * saturated), or 0 if no request finished yet.
 *
 * <p>Thread-safe and lock-free: {@link #begin()} and {@link #end} are one atomic add and a few
 * plain array accesses; two requests finishing at once in the same bucket may lose one sample, a
 * documented trade (as racing EWMA samples in lb-core's client-side estimators do).
 */
public final class ProbeResponder {
  private static final int EXACT = 16;
  private static final int BUCKETS = EXACT + 17; // up to 2^20
  private static final double ALPHA = 0.2;
  private static final long EMPTY = Double.doubleToRawLongBits(Double.NaN);

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLongArray ewma = new AtomicLongArray(BUCKETS);

  private ProbeResponder() {
    for (int i = 0; i < BUCKETS; i++) {
      ewma.set(i, EMPTY);
    }
  }

  /**
   * A responder with nothing in flight and nothing learnt.
   *
   * @return a new responder
   */
  public static ProbeResponder create() {
    return new ProbeResponder();
  }

  /**
   * Counts a request that arrives now.
   *
   * @return the requests that were already in flight (this one not counted), to hand to {@link
   *     #end}
   */
  public int begin() {
    return inFlight.getAndIncrement();
  }

  /**
   * Counts a request that is done, and learns its latency at the load it found.
   *
   * @param rifAtArrival what {@link #begin()} returned for this request
   * @param latencyNanos how long the request took, 0 or more
   * @throws IllegalArgumentException if {@code rifAtArrival} or {@code latencyNanos} is negative
   */
  public void end(int rifAtArrival, long latencyNanos) {
    checkArgument(rifAtArrival >= 0, "rifAtArrival must be 0 or more but was %s", rifAtArrival);
    checkArgument(latencyNanos >= 0, "latencyNanos must be 0 or more but was %s", latencyNanos);
    inFlight.decrementAndGet();
    int b = bucket(rifAtArrival);
    double old = Double.longBitsToDouble(ewma.getOpaque(b));
    double next = Double.isNaN(old) ? latencyNanos : old + ALPHA * (latencyNanos - old);
    ewma.setOpaque(b, Double.doubleToRawLongBits(next));
  }

  /**
   * The requests in flight now.
   *
   * @return those begun and not yet ended, 0 or more
   */
  public int requestsInFlight() {
    return Math.max(0, inFlight.get());
  }

  /**
   * The latency a request arriving at {@code rif} requests in flight should expect.
   *
   * @param rif requests in flight, 0 or more
   * @return nanoseconds, 0 if no request has finished yet
   */
  public long latencyEstimateNanos(int rif) {
    int r = Math.max(0, rif);
    int b = bucket(r);
    double own = Double.longBitsToDouble(ewma.getOpaque(b));
    if (!Double.isNaN(own)) {
      return (long) own;
    }
    for (int d = 1; d < BUCKETS; d++) {
      int lower = b - d;
      if (lower >= 0) {
        double v = Double.longBitsToDouble(ewma.getOpaque(lower));
        if (!Double.isNaN(v)) {
          return (long) (v * (r + 1.0) / (floor(lower) + 1.0));
        }
      }
      int upper = b + d;
      if (upper < BUCKETS) {
        double v = Double.longBitsToDouble(ewma.getOpaque(upper));
        if (!Double.isNaN(v)) {
          return (long) (v * (r + 1.0) / (floor(upper) + 1.0));
        }
      }
    }
    return 0L;
  }

  /**
   * This server's answer to a probe now: its requests in flight and the latency estimate there.
   *
   * @return a new answer, not stamped with a time of receipt
   */
  public ProbeResult answer() {
    int rif = requestsInFlight();
    return ProbeResult.of(rif, latencyEstimateNanos(rif));
  }

  static int bucket(int rif) {
    if (rif < EXACT) {
      return rif;
    }
    int log = 31 - Integer.numberOfLeadingZeros(rif); // 4 for 16..31
    return Math.min(BUCKETS - 1, EXACT + log - 4);
  }

  /** The smallest RIF filed in bucket {@code b}. */
  static int floor(int b) {
    return b < EXACT ? b : 1 << (b - EXACT + 4);
  }

  @Override
  public String toString() {
    return "ProbeResponder{rif=" + requestsInFlight() + "}";
  }
}
