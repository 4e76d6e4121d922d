package dev.lb.internal;

import dev.lb.Endpoint;
import dev.lb.strategy.LiveEndpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The live state of one endpoint: exact counters and lossy estimators, all lock-free.
 *
 * <p><b>Counters</b> (in flight, successes, failures, cancellations, bytes) are updated with atomic
 * read-modify-write operations and are exact: every pick adds one call in flight, every first
 * report on a lease removes it. Total picks are derived ({@code inFlight + successes + failures +
 * cancels}), never counted separately.
 *
 * <p><b>Estimators</b> (latency EWMA, peak EWMA, throughput) are updated with plain release stores
 * after reading the previous value: two completions racing on the same endpoint may lose one
 * sample. That is the usual trade for statistics (Finagle guards them with a lock instead) and
 * keeps completion free of contention beyond the counters.
 *
 * <p><b>Decay without a clock on the pick path.</b> Peak EWMA and throughput decay exponentially
 * with time: a value {@code v} stored at time {@code s} is worth {@code v * exp(-(now - s) / tau)}
 * at {@code now}. Comparing two such values does not need {@code now}: {@code ln(v) + s / tau}
 * orders them the same way at every instant. Each update therefore also stores that log-domain key,
 * and pickers compare keys, so picking never reads the clock nor calls {@code exp} per endpoint.
 */
public final class EndpointState implements LiveEndpoint {
  /**
   * Weight of the newest sample in the latency EWMA. 0.1 follows a change within about 20 calls
   * while smoothing single outliers.
   */
  static final double LATENCY_ALPHA = 0.1;

  private static final VarHandle IN_FLIGHT;
  private static final VarHandle SUCCESSES;
  private static final VarHandle FAILURES;
  private static final VarHandle CANCELS;
  private static final VarHandle RESPONSE_BYTES;
  private static final VarHandle LATENCY_EWMA;
  private static final VarHandle PEAK_COST;
  private static final VarHandle PEAK_STAMP;
  private static final VarHandle PEAK_KEY;
  private static final VarHandle BYTES_DECAYED;
  private static final VarHandle BYTES_STAMP;
  private static final VarHandle BYTES_KEY;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      IN_FLIGHT = l.findVarHandle(EndpointState.class, "inFlight", int.class);
      SUCCESSES = l.findVarHandle(EndpointState.class, "successes", long.class);
      FAILURES = l.findVarHandle(EndpointState.class, "failures", long.class);
      CANCELS = l.findVarHandle(EndpointState.class, "cancels", long.class);
      RESPONSE_BYTES = l.findVarHandle(EndpointState.class, "responseBytes", long.class);
      LATENCY_EWMA = l.findVarHandle(EndpointState.class, "latencyEwma", double.class);
      PEAK_COST = l.findVarHandle(EndpointState.class, "peakCost", double.class);
      PEAK_STAMP = l.findVarHandle(EndpointState.class, "peakStamp", long.class);
      PEAK_KEY = l.findVarHandle(EndpointState.class, "peakKey", double.class);
      BYTES_DECAYED = l.findVarHandle(EndpointState.class, "bytesDecayed", double.class);
      BYTES_STAMP = l.findVarHandle(EndpointState.class, "bytesStamp", long.class);
      BYTES_KEY = l.findVarHandle(EndpointState.class, "bytesKey", double.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final MetricsClock clock;
  private volatile Endpoint endpoint;
  private volatile @Nullable Throwable lastFailure;

  // Exact counters.
  @SuppressWarnings("unused") // accessed through IN_FLIGHT
  private volatile int inFlight;

  @SuppressWarnings("unused")
  private volatile long successes;

  @SuppressWarnings("unused")
  private volatile long failures;

  @SuppressWarnings("unused")
  private volatile long cancels;

  @SuppressWarnings("unused")
  private volatile long responseBytes;

  // Lossy estimators (see class comment). NaN means "no sample yet".
  @SuppressWarnings("unused") // accessed through LATENCY_EWMA
  private double latencyEwma = Double.NaN;

  @SuppressWarnings("unused") // accessed through PEAK_COST
  private double peakCost = Double.NaN;

  @SuppressWarnings("unused") // accessed through PEAK_STAMP
  private long peakStamp;

  @SuppressWarnings("unused") // accessed through PEAK_KEY
  private double peakKey = Double.NaN;

  @SuppressWarnings("unused") // accessed through BYTES_DECAYED
  private double bytesDecayed;

  @SuppressWarnings("unused") // accessed through BYTES_STAMP
  private long bytesStamp;

  @SuppressWarnings("unused") // accessed through BYTES_KEY
  private double bytesKey = Double.NEGATIVE_INFINITY;

  public EndpointState(Endpoint endpoint, MetricsClock clock) {
    this.endpoint = endpoint;
    this.clock = clock;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  /** Replaces the endpoint's configuration; only the balancer's update path calls this. */
  public void endpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public int weight() {
    return endpoint.weight();
  }

  @Override
  public int inFlight() {
    return (int) IN_FLIGHT.getVolatile(this);
  }

  public long successes() {
    return (long) SUCCESSES.getVolatile(this);
  }

  public long failures() {
    return (long) FAILURES.getVolatile(this);
  }

  public long cancels() {
    return (long) CANCELS.getVolatile(this);
  }

  /** The cause of the most recent failure that reported one, or null. */
  public @Nullable Throwable lastFailure() {
    return lastFailure;
  }

  public long responseBytes() {
    return (long) RESPONSE_BYTES.getVolatile(this);
  }

  /** Counts one call picked onto this endpoint. */
  public void acquire() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  /**
   * Records a success. {@code latencyNanos < 0} means unknown: counted, but not averaged. {@code
   * bytes} may be 0.
   */
  public void onSuccess(long latencyNanos, long bytes) {
    IN_FLIGHT.getAndAdd(this, -1);
    SUCCESSES.getAndAdd(this, 1L);
    if (latencyNanos >= 0 || bytes > 0) {
      observe(latencyNanos, bytes, false);
    }
  }

  /** Records a failure; its latency can raise the latency estimates but never lower them. */
  public void onFailure(long latencyNanos, @Nullable Throwable cause) {
    IN_FLIGHT.getAndAdd(this, -1);
    FAILURES.getAndAdd(this, 1L);
    if (cause != null) {
      lastFailure = cause;
    }
    if (latencyNanos >= 0) {
      observe(latencyNanos, 0, true);
    }
  }

  /** Records a call abandoned before it had an outcome: it only stops being in flight. */
  public void onCancel() {
    IN_FLIGHT.getAndAdd(this, -1);
    CANCELS.getAndAdd(this, 1L);
  }

  private void observe(long latencyNanos, long bytes, boolean failed) {
    boolean trackBytes = bytes > 0 && clock.trackThroughput;
    boolean needClock = trackBytes || (clock.trackPeakEwma && latencyNanos >= 0);
    long now = needClock ? clock.now() : 0L;
    if (latencyNanos >= 0) {
      double sample = Math.max(1.0, (double) latencyNanos);
      double old = (double) LATENCY_EWMA.getAcquire(this);
      double next;
      if (Double.isNaN(old)) {
        next = sample;
      } else if (failed) {
        next = Math.max(old, old + LATENCY_ALPHA * (sample - old));
      } else {
        next = old + LATENCY_ALPHA * (sample - old);
      }
      LATENCY_EWMA.setRelease(this, next);
      if (clock.trackPeakEwma) {
        observePeak(sample, now, failed);
      }
    }
    if (bytes > 0) {
      RESPONSE_BYTES.getAndAdd(this, bytes);
    }
    if (trackBytes) {
      double decayed =
          clock.decay(
              (double) BYTES_DECAYED.getAcquire(this), (long) BYTES_STAMP.getAcquire(this), now);
      double next = decayed + bytes;
      BYTES_DECAYED.setRelease(this, next);
      BYTES_STAMP.setRelease(this, now);
      BYTES_KEY.setRelease(this, clock.logKey(next, now));
    }
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
  public double peakKey() {
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
  public double throughputKey() {
    return (double) BYTES_KEY.getAcquire(this);
  }

  @Override
  public String toString() {
    return "EndpointState{" + endpoint.id() + ", inFlight=" + inFlight() + "}";
  }
}
