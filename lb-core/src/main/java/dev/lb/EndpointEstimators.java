package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.limit.RateLimiter;
import dev.lb.strategy.LiveEndpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The lossy estimators of one endpoint's load, the part of {@link EndpointState} that turns call
 * outcomes into the ranking keys load-aware strategies read; lock-free.
 *
 * <p><b>Estimators</b> (latency EWMA, peak EWMA, throughput) are updated with plain release stores
 * after reading the previous value: two completions racing on the same endpoint may lose one
 * sample. That is the usual trade for statistics (Finagle guards them with a lock instead) and
 * keeps completion free of contention beyond the counters.
 *
 * <p><b>Failure penalty.</b> Every failure adds 1 to a penalty that decays over the decay window
 * and that strategies count as extra calls in flight ({@link LiveEndpoint#failurePenalty}). It is
 * stored as a log-domain key (below) and costs a clock read per failure, whatever the strategy;
 * successes read no clock for it. A failure's latency never sets the first latency estimate.
 *
 * <p><b>Decay without a clock on the pick path.</b> Peak EWMA and throughput decay exponentially
 * with time: a value {@code v} stored at time {@code s} is worth {@code v * exp(-(now - s) / tau)}
 * at {@code now}. Comparing two such values does not need {@code now}: {@code ln(v) + s / tau}
 * orders them the same way at every instant. Each update therefore also stores that log-domain key,
 * and pickers compare keys, so picking never reads the clock nor calls {@code exp} per endpoint.
 *
 * <p><b>Cost of a completion.</b> A timed success takes its time stamp from {@link
 * MetricsClock#stampNow}: on the system ticker, the process's {@link CoarseClock} (a volatile read,
 * at most a tick of 1 ms behind, where {@code System.nanoTime} costs a call into the vDSO); on any
 * other ticker, an exact read. Its decay factor is {@link MetricsClock#decayFactor}'s short series
 * (within 1e-11 of {@code exp}) unless the endpoint was idle for more than 1/64 of the decay
 * window, and its key takes one {@link MetricsClock#ln} (within 1e-11 of {@code Math.log}, a table
 * and four terms of a series). All it writes of this object lies in one 64-byte block ({@link
 * EndpointStateLayout.Keys}). A failure reads the ticker exactly, once, for its penalty and its
 * stamps alike.
 *
 * <p>{@link EndpointState} feeds this class from its completion methods ({@link #observe}, {@link
 * #addFailurePenalty}); the exact counters and the status live there.
 */
abstract class EndpointEstimators extends EndpointStateLayout.Counters implements LiveEndpoint {
  /**
   * Weight of the newest sample in the latency EWMA. 0.1 follows a change within about 20 calls
   * while smoothing single outliers.
   */
  static final double LATENCY_ALPHA = 0.1;

  /**
   * A failure penalty below this many calls in flight is dropped, so that pickers stop reading the
   * clock for it: after one failure, {@code ln(100) = 4.6} decay windows.
   */
  static final double PENALTY_FLOOR = 0.01;

  private static final VarHandle RESPONSE_BYTES;
  private static final VarHandle LATENCY_EWMA;
  private static final VarHandle PEAK_COST;
  private static final VarHandle PEAK_STAMP;
  private static final VarHandle PEAK_KEY;
  private static final VarHandle BYTES_DECAYED;
  private static final VarHandle BYTES_STAMP;
  private static final VarHandle BYTES_KEY;
  private static final VarHandle LATENCY_KEY;
  private static final VarHandle PENALTY_KEY;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      Class<?> counters = EndpointStateLayout.Counters.class;
      Class<?> keys = EndpointStateLayout.Keys.class;
      RESPONSE_BYTES = l.findVarHandle(keys, "responseBytes", long.class);
      LATENCY_EWMA = l.findVarHandle(keys, "latencyEwma", double.class);
      PEAK_COST = l.findVarHandle(keys, "peakCost", double.class);
      PEAK_STAMP = l.findVarHandle(keys, "peakStamp", long.class);
      BYTES_DECAYED = l.findVarHandle(counters, "bytesDecayed", double.class);
      BYTES_STAMP = l.findVarHandle(counters, "bytesStamp", long.class);
      PEAK_KEY = l.findVarHandle(keys, "peakKey", double.class);
      BYTES_KEY = l.findVarHandle(counters, "bytesKey", double.class);
      LATENCY_KEY = l.findVarHandle(counters, "latencyKey", double.class);
      PENALTY_KEY = l.findVarHandle(keys, "penaltyKey", double.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  EndpointEstimators(
      Endpoint endpoint,
      MetricsClock clock,
      EndpointState.Observer observer,
      @Nullable CircuitBreaker breaker,
      @Nullable RateLimiter limiter,
      CallListeners calls) {
    super(endpoint, clock, observer, breaker, limiter, calls);
  }

  /** Adds 1 to the decaying failure penalty; {@code now} is a reading of the clock. */
  final void addFailurePenalty(long now) {
    PENALTY_KEY.setRelease(this, clock.logKey(failurePenalty(now) + 1.0, now));
  }

  /**
   * Feeds one outcome to the estimators. {@code clockRead} is a reading of the clock already taken,
   * or {@code Long.MIN_VALUE}.
   *
   * <p>Split into small methods on purpose: every success runs this, and C2 inlines a hot method
   * only below 325 bytes of bytecode; in one piece (370 bytes) it was a call on every completion.
   */
  final void observe(long latencyNanos, long bytes, boolean failed, long clockRead) {
    boolean trackBytes = bytes > 0 && clock.trackThroughput;
    boolean timedLatency = latencyNanos >= 0 && (clock.trackPeakEwma || clock.trackResponseTime);
    long now = clockRead;
    if (now == Long.MIN_VALUE && (trackBytes || timedLatency)) {
      now = clock.stampNow();
    }
    if (latencyNanos >= 0) {
      observeLatency(Math.max(1.0, (double) latencyNanos), failed, now);
    }
    if (bytes > 0) {
      RESPONSE_BYTES.getAndAdd(this, bytes);
      if (trackBytes) {
        observeThroughput(bytes, now);
      }
    }
  }

  /** The latency EWMA, its key if ranked by, and the peak EWMA; {@code sample} is at least 1. */
  private void observeLatency(double sample, boolean failed, long now) {
    double old = (double) LATENCY_EWMA.getAcquire(this);
    double next;
    if (Double.isNaN(old)) {
      if (failed) {
        // A failure never sets the first estimate: failing fast must not look fast. The endpoint
        // stays unmeasured, and its failure penalty makes it count as busy meanwhile.
        return;
      }
      next = sample;
    } else {
      double alpha = clock.trackResponseTime ? responseTimeAlpha(old, now) : LATENCY_ALPHA;
      double blended = old + alpha * (sample - old);
      next = failed ? Math.max(old, blended) : blended;
    }
    LATENCY_EWMA.setRelease(this, next);
    if (clock.trackResponseTime) {
      // Only for the strategy that ranks by it: a logarithm per outcome is not free.
      LATENCY_KEY.setRelease(this, clock.logKey(next, now));
    }
    if (clock.trackPeakEwma) {
      observePeak(sample, now, failed);
    }
  }

  /**
   * The time-aware weight of a new sample in the latency EWMA: after a long silence the old
   * estimate is stale and a new sample mostly replaces it (its weight is {@code 1 - (1 - alpha) x}
   * the old key's decay since its stamp).
   */
  private double responseTimeAlpha(double old, long now) {
    return 1.0
        - (1.0 - LATENCY_ALPHA) * decayOfKey((double) LATENCY_KEY.getAcquire(this), old, now);
  }

  /** Recent bytes, decayed, with their key. */
  private void observeThroughput(long bytes, long now) {
    double decayed =
        clock.decay(
            (double) BYTES_DECAYED.getAcquire(this), (long) BYTES_STAMP.getAcquire(this), now);
    double next = decayed + bytes;
    BYTES_DECAYED.setRelease(this, next);
    BYTES_STAMP.setRelease(this, now);
    BYTES_KEY.setRelease(this, clock.logKey(next, now));
  }

  /**
   * Finagle's peak EWMA: a sample above the current estimate replaces it at once (so latency spikes
   * are seen immediately), a sample below it is blended in with a weight that grows with the time
   * since the last sample (so recovery is gradual).
   */
  private void observePeak(double sample, long now, boolean failed) {
    double cost = (double) PEAK_COST.getAcquire(this);
    long stamp = (long) PEAK_STAMP.getAcquire(this);
    double next;
    if (Double.isNaN(cost) || sample > cost) {
      next = sample;
    } else if (failed) {
      next = cost;
    } else {
      double w = clock.decayFactor(stamp, now);
      next = cost * w + sample * (1.0 - w);
    }
    PEAK_COST.setRelease(this, next);
    PEAK_STAMP.setRelease(this, now);
    PEAK_KEY.setRelease(this, clock.logKey(next, now));
  }

  /**
   * How much {@code value}, stored with {@code key}, has decayed by {@code now}: {@code exp(-(now -
   * stamp) / tau)}, in [0, 1].
   */
  private double decayOfKey(double key, double value, long now) {
    return Math.min(1.0, clock.valueOfKey(key, now) / value);
  }

  @Override
  public boolean hasFailurePenalty() {
    return (double) PENALTY_KEY.getOpaque(this) != Double.NEGATIVE_INFINITY;
  }

  @Override
  public double failurePenalty(long nowNanos) {
    double key = (double) PENALTY_KEY.getAcquire(this);
    if (key == Double.NEGATIVE_INFINITY) {
      return 0.0;
    }
    double penalty = clock.valueOfKey(key, nowNanos);
    if (penalty < PENALTY_FLOOR) {
      // Dropped, unless a failure replaced the key since it was read.
      PENALTY_KEY.compareAndSet(this, key, Double.NEGATIVE_INFINITY);
      return 0.0;
    }
    return penalty;
  }

  /**
   * {@code ln(latency EWMA) + stamp / tau} when the clock time-stamps latency samples; otherwise
   * {@code ln(latency EWMA)}, which orders endpoints the same way but does not decay. NaN before
   * the first latency report.
   */
  @Override
  public double responseTimeKey() {
    if (clock.trackResponseTime) {
      return (double) LATENCY_KEY.getAcquire(this);
    }
    return Math.log((double) LATENCY_EWMA.getAcquire(this));
  }

  @Override
  public double latencyEwmaNanos() {
    return (double) LATENCY_EWMA.getAcquire(this);
  }

  @Override
  public double peakEwmaNanos(long nowNanos) {
    double cost = (double) PEAK_COST.getAcquire(this);
    if (Double.isNaN(cost)) {
      return Double.NaN;
    }
    return clock.decay(cost, (long) PEAK_STAMP.getAcquire(this), nowNanos);
  }

  /**
   * {@code ln(peak cost) + stamp / tau}: orders endpoints by decayed peak cost at any instant (see
   * class comment). NaN before the first sample.
   */
  @Override
  public double peakEwmaKey() {
    return (double) PEAK_KEY.getAcquire(this);
  }

  @Override
  public double throughputBytesPerSecond(long nowNanos) {
    if (!clock.trackThroughput) {
      return Double.NaN;
    }
    double decayed =
        clock.decay(
            (double) BYTES_DECAYED.getAcquire(this), (long) BYTES_STAMP.getAcquire(this), nowNanos);
    return decayed / clock.tauSeconds();
  }

  /**
   * {@code ln(decayed recent bytes) + stamp / tau}: orders endpoints by recent throughput at any
   * instant. Negative infinity before any bytes were reported.
   */
  @Override
  public double throughputKey() {
    return (double) BYTES_KEY.getAcquire(this);
  }

  /** Bytes of all responses reported, successes only. */
  public long responseBytes() {
    return (long) RESPONSE_BYTES.getVolatile(this);
  }

  /**
   * Starts these estimators where {@code old}'s stand at {@code now}: the same values, decayed as
   * they were, with their ranking keys recomputed on this state's clock (its epoch and decay window
   * may differ). Both states must read the same ticker. Only before this state is published: plain
   * writes suffice.
   */
  final void inheritEstimates(EndpointEstimators old, long now) {
    responseBytes = old.responseBytes();
    latencyEwma = (double) LATENCY_EWMA.getAcquire(old);
    // Decayed to now on the old clock, then stamped now: from here on, this clock decays them.
    peakCost = old.peakEwmaNanos(now);
    peakStamp = now;
    bytesDecayed =
        old.clock.decay(
            (double) BYTES_DECAYED.getAcquire(old), (long) BYTES_STAMP.getAcquire(old), now);
    bytesStamp = now;
    peakKey = rekey(old, (double) PEAK_KEY.getAcquire(old), now);
    bytesKey = rekey(old, (double) BYTES_KEY.getAcquire(old), now);
    double latency = rekey(old, (double) LATENCY_KEY.getAcquire(old), now);
    if (Double.isNaN(latency) && !Double.isNaN(latencyEwma)) {
      // The old strategy kept the estimate without its key (it did not rank by it): stamp it now.
      latency = clock.logKey(latencyEwma, now);
    }
    latencyKey = latency;
    double penalty = old.failurePenalty(now);
    penaltyKey = penalty == 0.0 ? Double.NEGATIVE_INFINITY : clock.logKey(penalty, now);
  }

  /** {@code old}'s key as this clock's key of the same value at the same instant. */
  private double rekey(EndpointEstimators old, double key, long now) {
    if (Double.isNaN(key) || key == Double.NEGATIVE_INFINITY) {
      return key; // no sample yet: the same meaning on any clock
    }
    return clock.logKey(old.clock.valueOfKey(key, now), now);
  }
}
