package dev.lb.limit;

import dev.lb.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the adaptive limits share: a single-writer sampling step, the low-load probe that refreshes
 * the latency baseline, and the idle rule.
 *
 * <p><b>Single writer by compare-and-set.</b> A completing call that wins one CAS on {@code
 * updating} runs the algorithm on plain fields and publishes the new limit with one volatile write;
 * a call that loses the CAS (another thread is updating) does not wait: its latency sample is
 * dropped, and a drop is remembered in a counter that the next winner reads. So completion never
 * blocks and never allocates, at the price of a lost latency sample under contention, the same
 * trade the endpoint's estimators make.
 *
 * <p><b>The probe</b> (why: a baseline that never refreshes drifts). Both algorithms compare the
 * latency they see with a no-load latency. Netflix's VegasLimit keeps the smallest latency ever
 * seen and, every so many samples, replaces it with the latest sample; under steady queueing that
 * sample is itself queued, so each probe ratchets the baseline up. Gradient2's baseline is a long
 * moving average, which follows a latency that rises slowly under sustained load, so the limit can
 * climb without bound. Here, on the first sample, after an idle period and then every {@code
 * probeInterval} (jittered to 75..100% so that clients do not probe in step), the published limit
 * is pinned to the minimum limit for {@code probeSamples} timed samples, counted once the calls in
 * flight are down to it; their minimum and mean are measured at the lowest concurrency, after the
 * queue the full limit built has drained (the idea of BBR's ProbeRTT and of Envoy's
 * adaptive-concurrency min-RTT window, which pins to {@code min_concurrency}). The measurement is
 * free of queueing as long as the minimum limit fits the backend's capacity. A probe ends after one
 * probe interval at the latest, with whatever it measured. Its cost is a short dip: for about
 * {@code probeSamples / minLimit} round trips, calls beyond the minimum are refused.
 *
 * <p><b>Idle.</b> Nothing decays with time: with no samples the limit stays where it was, however
 * long the idle period. A sample arriving more than {@code idleTimeout} after the previous one
 * (noticed within {@link #CLOCK_READ_EVERY} reports: the clock is read on one report in that many)
 * finds the baseline stale (the backend may have restarted, scaled or warmed up meanwhile) and the
 * algorithm forgets it and learns it again from the next samples, rather than judge them by it.
 */
abstract class AdaptiveConcurrencyLimit extends AdaptiveLimitLayout.PublishedPadding
    implements ConcurrencyLimit {
  private static final VarHandle UPDATING;
  private static final VarHandle PENDING_DROPS;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      UPDATING = l.findVarHandle(AdaptiveConcurrencyLimit.class, "updating", int.class);
      PENDING_DROPS = l.findVarHandle(AdaptiveConcurrencyLimit.class, "pendingDrops", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * The clock is read on one report in this many, the others reuse that reading: a clock read costs
   * about as much as the rest of the update (System.nanoTime is 20 to 60 ns), and the rules it
   * serves (the probe's schedule, the idle period) are measured in seconds. The price: an idle
   * period is noticed up to this many reports late.
   */
  static final int CLOCK_READ_EVERY = 8;

  private final Ticker ticker;
  final int minLimit;
  final int maxLimit;
  private final long probeIntervalNanos;
  private final int probeSamples;
  private final long idleNanos;

  @SuppressWarnings("unused") // through UPDATING
  private volatile int updating;

  @SuppressWarnings("unused") // through PENDING_DROPS
  private volatile int pendingDrops;

  // Written only by the thread holding `updating` (released by its volatile write).
  /** The algorithm's limit, unpinned. */
  double estimate;

  private boolean sampled;
  private int sinceClockRead;
  private long lastClockRead;
  private long lastSampleAt;
  private long nextProbeAt;
  private long probeStartedAt;
  private boolean probing;
  private int probeCount;
  private double probeSum;
  private double probeMin;
  private long jitterSeed;

  AdaptiveConcurrencyLimit(ConcurrencyLimits.Settings<?> s, Ticker ticker) {
    this.ticker = ticker;
    this.minLimit = s.minLimit;
    this.maxLimit = s.maxLimit;
    this.probeIntervalNanos = s.probeIntervalNanos;
    this.probeSamples = s.probeSamples;
    this.idleNanos = s.idleTimeoutNanos;
    this.estimate = clamp(s.initialLimit);
    this.published = (int) estimate;
    this.jitterSeed = System.identityHashCode(this) * 0x9E3779B97F4A7C15L;
    this.nextProbeAt = ticker.read() + jitteredInterval();
  }

  @Override
  public final int limit() {
    return published;
  }

  @Override
  public final void onSample(long latencyNanos, int inFlight, boolean dropped) {
    if (!UPDATING.compareAndSet(this, 0, 1)) {
      if (dropped) {
        PENDING_DROPS.getAndAdd(this, 1);
      }
      return;
    }
    try {
      sample(latencyNanos, inFlight, dropped);
    } finally {
      UPDATING.setRelease(this, 0);
    }
  }

  private void sample(long latency, int inFlight, boolean dropped) {
    boolean drop = dropped;
    if ((int) PENDING_DROPS.getOpaque(this) != 0) {
      PENDING_DROPS.getAndSet(this, 0);
      drop = true;
    }
    long now;
    if (!sampled || ++sinceClockRead >= CLOCK_READ_EVERY) {
      now = ticker.read();
      lastClockRead = now;
      sinceClockRead = 0;
    } else {
      now = lastClockRead;
    }
    if (!sampled || now - lastSampleAt > idleNanos) {
      forgetBaseline();
      if (probing) {
        endProbe(now);
      }
      nextProbeAt = now; // measure the new baseline at once
    }
    sampled = true;
    lastSampleAt = now;
    if (probing) {
      if (drop) {
        estimate = clamp(onDropWhileProbing(estimate));
      }
      if (latency >= 0 && inFlight <= published) {
        probeCount++;
        probeSum += latency;
        probeMin = Math.min(probeMin, (double) latency);
      }
      if (probeCount >= probeSamples || now - probeStartedAt >= probeIntervalNanos) {
        endProbe(now);
      }
      return;
    }
    if (now - nextProbeAt >= 0) {
      probing = true;
      probeStartedAt = now;
      probeCount = 0;
      probeSum = 0;
      probeMin = Double.POSITIVE_INFINITY;
      published = minLimit;
      return;
    }
    estimate = clamp(update(latency, inFlight, drop));
    publish((int) estimate);
  }

  /** A volatile write only when the value changes: most samples leave the limit where it was. */
  private void publish(int limit) {
    if (published != limit) {
      published = limit;
    }
  }

  private void endProbe(long now) {
    probing = false;
    if (probeCount > 0) {
      onProbe(probeMin, probeSum / probeCount);
    }
    nextProbeAt = now + jitteredInterval();
    publish((int) estimate);
  }

  /** 75..100% of the probe interval, from a per-instance SplitMix64 sequence. */
  private long jitteredInterval() {
    long z = (jitterSeed += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    double u = (z >>> 11) * 0x1.0p-53;
    return (long) (probeIntervalNanos * (0.75 + 0.25 * u));
  }

  final double clamp(double limit) {
    return Math.max(minLimit, Math.min(maxLimit, limit));
  }

  /** Whether a probe is under way; for tests. */
  final boolean probing() {
    return probing;
  }

  /**
   * One sample outside a probe: returns the next estimate (clamped by the caller).
   *
   * @param latencyNanos negative when unknown
   */
  abstract double update(long latencyNanos, int inFlight, boolean dropped);

  /** A drop seen while a probe pins the limit: the next estimate. */
  abstract double onDropWhileProbing(double estimate);

  /** The probe's measurements at half the concurrency, in nanoseconds. */
  abstract void onProbe(double minNanos, double meanNanos);

  /** The latency baseline is unknown or stale: learn it again from the next samples. */
  abstract void forgetBaseline();
}
