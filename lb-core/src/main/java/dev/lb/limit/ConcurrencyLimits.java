package dev.lb.limit;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;

/**
 * Builds concurrency limits: {@link #fixed fixed}, or adapted to measured latency by {@link #vegas
 * Vegas} or {@link #gradient gradient} (Gradient2-style). Each builder returns a {@link
 * ConcurrencyLimitFactory}, which makes one independent limit per endpoint or one for a balancer.
 *
 * <pre>{@code
 * LoadBalancer balancer = LoadBalancer.builder()
 *     .endpoints(endpoints)
 *     .concurrencyLimitPerEndpoint(ConcurrencyLimits.gradient().maxLimit(200).build())
 *     .concurrencyLimit(ConcurrencyLimits.fixed(1_000))
 *     .build();
 * }</pre>
 *
 * <p>Which to choose. A fixed limit is exact and costs nothing, but is right for one capacity only.
 * Vegas estimates the queue once per round trip from the mean latency against the no-load latency
 * its probe measured, and backs off on failures: it keeps latency lowest, at the price of refusing
 * more calls when latency is noisy. Gradient compares every latency with a long-term average and
 * ignores failures (a timeout's latency is what lowers it): it keeps more throughput and tolerates
 * noisy latencies. See benchmarks/results/simulation.md ("capacity_halving"). Both adaptive limits
 * share the options of {@link Settings} and their defaults (initial 20, between 4 and 1,000, a
 * probe every 30 s of 20 samples, an idle timeout of 60 s). Builders are not thread-safe; the
 * factories and limits they make are.
 */
public final class ConcurrencyLimits {
  private ConcurrencyLimits() {}

  /** The algorithms that set a limit. */
  public enum Algorithm {
    /** A constant. */
    FIXED,
    /** TCP Vegas's queue estimate (Netflix's {@code VegasLimit}). */
    VEGAS,
    /** The ratio of long-term to current latency (Netflix's {@code Gradient2Limit}). */
    GRADIENT
  }

  /**
   * A limit that never changes.
   *
   * @param limit the calls allowed in flight, 1 or more
   * @return a factory of that limit (the same immutable instance every time)
   * @throws IllegalArgumentException if {@code limit} is less than 1
   */
  public static ConcurrencyLimitFactory fixed(int limit) {
    checkArgument(limit >= 1, "limit must be 1 or more but was %s", limit);
    FixedConcurrencyLimit fixed = new FixedConcurrencyLimit(limit);
    return ticker -> fixed;
  }

  /**
   * A Vegas limit; see {@link VegasBuilder} for its own option.
   *
   * @return a builder with the defaults
   */
  public static VegasBuilder vegas() {
    return new VegasBuilder();
  }

  /**
   * A gradient limit; see {@link GradientBuilder} for its own options.
   *
   * @return a builder with the defaults
   */
  public static GradientBuilder gradient() {
    return new GradientBuilder();
  }

  /**
   * The options both adaptive limits share.
   *
   * @param <B> the builder's own type
   */
  public abstract static class Settings<B extends Settings<B>> {
    int initialLimit = 20;
    int minLimit = 4;
    int maxLimit = 1_000;
    long probeIntervalNanos = Duration.ofSeconds(30).toNanos();
    int probeSamples = 20;
    long idleTimeoutNanos = Duration.ofSeconds(60).toNanos();

    Settings() {}

    abstract B self();

    /**
     * The limit before any sample. Defaults to 20, raised to the minimum or lowered to the maximum
     * if outside them.
     *
     * @param limit 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public B initialLimit(int limit) {
      checkArgument(limit >= 1, "initialLimit must be 1 or more but was %s", limit);
      this.initialLimit = limit;
      return self();
    }

    /**
     * The lowest the limit goes, however bad latency gets. Defaults to 4.
     *
     * @param limit 1 or more, at most the maximum
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public B minLimit(int limit) {
      checkArgument(limit >= 1, "minLimit must be 1 or more but was %s", limit);
      this.minLimit = limit;
      return self();
    }

    /**
     * The highest the limit goes. Defaults to 1,000.
     *
     * @param limit 1 or more, at least the minimum
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public B maxLimit(int limit) {
      checkArgument(limit >= 1, "maxLimit must be 1 or more but was %s", limit);
      this.maxLimit = limit;
      return self();
    }

    /**
     * How often the limit probes for the no-load latency: for {@link #probeSamples} timed samples
     * it is pinned to the minimum limit, so that the latency it measures is free of the queue the
     * full limit may have built (calls beyond the minimum are refused meanwhile, for about {@code
     * probeSamples / minLimit} round trips). It also probes on its first sample and after an idle
     * period. Each interval is jittered to 75..100% of this. Defaults to 30 seconds.
     *
     * @param interval at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if under 1 ms
     */
    public B probeInterval(Duration interval) {
      checkNotNull(interval, "probeInterval");
      checkArgument(
          interval.compareTo(Duration.ofMillis(1)) >= 0,
          "probeInterval must be at least 1 ms but was %s",
          interval);
      this.probeIntervalNanos = interval.toNanos();
      return self();
    }

    /**
     * How many timed samples a probe measures. Defaults to 20.
     *
     * @param samples 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public B probeSamples(int samples) {
      checkArgument(samples >= 1, "probeSamples must be 1 or more but was %s", samples);
      this.probeSamples = samples;
      return self();
    }

    /**
     * After how long without a sample the latency baseline is stale and learned again. The limit
     * itself never decays while idle. Defaults to 60 seconds.
     *
     * @param timeout at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if under 1 ms
     */
    public B idleTimeout(Duration timeout) {
      checkNotNull(timeout, "idleTimeout");
      checkArgument(
          timeout.compareTo(Duration.ofMillis(1)) >= 0,
          "idleTimeout must be at least 1 ms but was %s",
          timeout);
      this.idleTimeoutNanos = timeout.toNanos();
      return self();
    }

    void checkRange() {
      checkArgument(
          minLimit <= maxLimit, "minLimit (%s) must not exceed maxLimit (%s)", minLimit, maxLimit);
    }
  }

  /** Builds {@link Algorithm#VEGAS} limits. */
  public static final class VegasBuilder extends Settings<VegasBuilder> {
    double smoothing = 1.0;

    VegasBuilder() {}

    @Override
    VegasBuilder self() {
      return this;
    }

    /**
     * How much of each new estimate is taken: {@code L ← (1 − s)·L + s·L'}. Defaults to 1 (all), as
     * in Netflix's VegasLimit.
     *
     * @param smoothing in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if not in (0, 1]
     */
    public VegasBuilder smoothing(double smoothing) {
      checkArgument(
          smoothing > 0 && smoothing <= 1, "smoothing must be in (0, 1] but was %s", smoothing);
      this.smoothing = smoothing;
      return this;
    }

    /**
     * Returns the factory.
     *
     * @return a factory of independent Vegas limits with these options
     * @throws IllegalArgumentException if the minimum exceeds the maximum
     */
    public ConcurrencyLimitFactory build() {
      checkRange();
      VegasBuilder copy = new VegasBuilder().copyOf(this);
      return ticker -> new VegasConcurrencyLimit(copy, checkNotNull(ticker, "ticker"));
    }

    private VegasBuilder copyOf(VegasBuilder b) {
      copySettings(b, this);
      smoothing = b.smoothing;
      return this;
    }
  }

  /** Builds {@link Algorithm#GRADIENT} limits. */
  public static final class GradientBuilder extends Settings<GradientBuilder> {
    double smoothing = 0.2;
    int queueSize = 4;
    int longWindow = 600;
    double tolerance = 1.5;

    GradientBuilder() {}

    @Override
    GradientBuilder self() {
      return this;
    }

    /**
     * How much of each new estimate is taken. Defaults to 0.2, as in Gradient2.
     *
     * @param smoothing in (0, 1]
     * @return this builder
     * @throws IllegalArgumentException if not in (0, 1]
     */
    public GradientBuilder smoothing(double smoothing) {
      checkArgument(
          smoothing > 0 && smoothing <= 1, "smoothing must be in (0, 1] but was %s", smoothing);
      this.smoothing = smoothing;
      return this;
    }

    /**
     * How much the limit grows per sample (before smoothing) while latency shows no queueing: the
     * queue the algorithm allows for. Defaults to 4, as in Gradient2.
     *
     * @param queueSize 0 or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public GradientBuilder queueSize(int queueSize) {
      checkArgument(queueSize >= 0, "queueSize must be 0 or more but was %s", queueSize);
      this.queueSize = queueSize;
      return this;
    }

    /**
     * The samples the long-term latency average spans. Defaults to 600, as in Gradient2.
     *
     * @param samples 10 or more
     * @return this builder
     * @throws IllegalArgumentException if under 10
     */
    public GradientBuilder longWindow(int samples) {
      checkArgument(samples >= 10, "longWindow must be 10 or more but was %s", samples);
      this.longWindow = samples;
      return this;
    }

    /**
     * The most the long-term average may exceed the latency measured by the last probe, as a
     * multiple: the bound on how far the baseline can drift under sustained load. Defaults to 1.5.
     *
     * @param tolerance 1 or more
     * @return this builder
     * @throws IllegalArgumentException if under 1 or not finite
     */
    public GradientBuilder tolerance(double tolerance) {
      checkArgument(
          tolerance >= 1 && Double.isFinite(tolerance),
          "tolerance must be 1 or more but was %s",
          tolerance);
      this.tolerance = tolerance;
      return this;
    }

    /**
     * Returns the factory.
     *
     * @return a factory of independent gradient limits with these options
     * @throws IllegalArgumentException if the minimum exceeds the maximum
     */
    public ConcurrencyLimitFactory build() {
      checkRange();
      GradientBuilder copy = new GradientBuilder();
      copySettings(this, copy);
      copy.smoothing = smoothing;
      copy.queueSize = queueSize;
      copy.longWindow = longWindow;
      copy.tolerance = tolerance;
      return ticker -> new GradientConcurrencyLimit(copy, checkNotNull(ticker, "ticker"));
    }
  }

  private static void copySettings(Settings<?> from, Settings<?> to) {
    to.initialLimit = from.initialLimit;
    to.minLimit = from.minLimit;
    to.maxLimit = from.maxLimit;
    to.probeIntervalNanos = from.probeIntervalNanos;
    to.probeSamples = from.probeSamples;
    to.idleTimeoutNanos = from.idleTimeoutNanos;
  }
}
