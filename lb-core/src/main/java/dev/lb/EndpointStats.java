package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthStatus;
import java.time.Duration;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time copy of one endpoint's live statistics, from {@link LoadBalancer#stats()}.
 *
 * <p>Each number was read atomically, but the numbers were not read at the same instant, so they
 * may disagree by the calls that completed while they were read. Immutable and thread-safe. A value
 * class that may gain accessors in later versions: build one with {@link #builder}, never by a
 * constructor.
 */
public final class EndpointStats {
  private final Endpoint endpoint;
  private final int inFlight;
  private final long successes;
  private final long failures;
  private final long cancellations;
  private final double latencyEwmaNanos;
  private final double peakEwmaNanos;
  private final long responseBytes;
  private final double throughputBytesPerSecond;
  private final @Nullable Throwable lastFailure;
  private final HealthStatus health;
  private final int effectiveWeightPercent;
  private final boolean inSubset;
  private final long ejections;
  private final @Nullable HealthCheckResult lastCheck;
  private final CircuitBreaker.@Nullable State breakerState;
  private final long limiterRejections;
  private final long latencySamples;
  private final double latencyP50Nanos;
  private final double latencyP90Nanos;
  private final double latencyP99Nanos;
  private final @Nullable LoadReport loadReport;
  private final long loadReportAgeNanos;
  private final int concurrencyLimit;

  private EndpointStats(Builder b) {
    this.endpoint = b.endpoint;
    this.inFlight = b.inFlight;
    this.successes = b.successes;
    this.failures = b.failures;
    this.cancellations = b.cancellations;
    this.latencyEwmaNanos = b.latencyEwmaNanos;
    this.peakEwmaNanos = b.peakEwmaNanos;
    this.responseBytes = b.responseBytes;
    this.throughputBytesPerSecond = b.throughputBytesPerSecond;
    this.lastFailure = b.lastFailure;
    this.health = b.health;
    this.effectiveWeightPercent = b.effectiveWeightPercent;
    this.inSubset = b.inSubset;
    this.ejections = b.ejections;
    this.lastCheck = b.lastCheck;
    this.breakerState = b.breakerState;
    this.limiterRejections = b.limiterRejections;
    this.latencySamples = b.latencySamples;
    this.latencyP50Nanos = b.latencyP50Nanos;
    this.latencyP90Nanos = b.latencyP90Nanos;
    this.latencyP99Nanos = b.latencyP99Nanos;
    this.loadReport = b.loadReport;
    this.loadReportAgeNanos = b.loadReport == null ? -1 : b.loadReportAgeNanos;
    this.concurrencyLimit = b.concurrencyLimit;
  }

  /**
   * Starts a copy of an endpoint's statistics, for balancers and for tests of code that reads them;
   * every count starts at zero, latencies and throughput at {@code NaN}, health at {@link
   * HealthStatus#HEALTHY} and the effective weight at 100%.
   *
   * @param endpoint the endpoint as configured; must not be null
   * @return a new builder
   */
  public static Builder builder(Endpoint endpoint) {
    return new Builder(endpoint);
  }

  /** {@return the endpoint as configured} */
  public Endpoint endpoint() {
    return endpoint;
  }

  /** {@return calls picked and not yet reported} */
  public int inFlight() {
    return inFlight;
  }

  /** {@return calls reported as successes} */
  public long successes() {
    return successes;
  }

  /** {@return calls reported as failures} */
  public long failures() {
    return failures;
  }

  /** {@return calls reported as cancelled} */
  public long cancellations() {
    return cancellations;
  }

  /** {@return latency EWMA in nanoseconds; {@code NaN} before the first report} */
  public double latencyEwmaNanos() {
    return latencyEwmaNanos;
  }

  /**
   * {@return peak-EWMA latency decayed to now, in nanoseconds; {@code NaN} if not tracked by the
   * strategy or not yet measured}
   */
  public double peakEwmaNanos() {
    return peakEwmaNanos;
  }

  /** {@return total response bytes reported} */
  public long responseBytes() {
    return responseBytes;
  }

  /**
   * {@return recent response throughput, decayed to now; {@code NaN} if not tracked by the
   * strategy}
   */
  public double throughputBytesPerSecond() {
    return throughputBytesPerSecond;
  }

  /** {@return the most recent failure cause reported, or null} */
  public @Nullable Throwable lastFailure() {
    return lastFailure;
  }

  /** {@return where the endpoint stands in its health lifecycle} */
  public HealthStatus health() {
    return health;
  }

  /**
   * Its effective weight as a percentage of its configured weight: below 100 while it ramps up
   * under slow start, or at the edge of a deterministic aperture (its share of the window); 0
   * outside this client's subset.
   *
   * @return its effective weight as a percentage of its configured weight: below 100 while it ramps
   *     up under slow start or for a partial subset member, 0 outside the subset
   */
  public int effectiveWeightPercent() {
    return effectiveWeightPercent;
  }

  /**
   * Whether this client routes to it: true without {@linkplain dev.lb.subset.Subsetting
   * subsetting}; under subsetting, false for a member outside this client's subset (it takes no
   * calls, whatever its health) and for a removed endpoint still draining.
   *
   * @return true if it is in this client's subset
   */
  public boolean inSubset() {
    return inSubset;
  }

  /** {@return how many times outlier detection ejected it} */
  public long ejections() {
    return ejections;
  }

  /** {@return the result of its latest active health check, or null if none ran} */
  public @Nullable HealthCheckResult lastCheck() {
    return lastCheck;
  }

  /** {@return its circuit breaker's state, or null if the balancer has no breakers} */
  public CircuitBreaker.@Nullable State breakerState() {
    return breakerState;
  }

  /** {@return calls its rate limiter refused (the pick moved on to another endpoint)} */
  public long limiterRejections() {
    return limiterRejections;
  }

  /**
   * Calls reported with a latency in the recent window ({@link LoadBalancer.Builder#latencyWindow},
   * 60 seconds by default), successes and failures alike: the samples the percentiles come from.
   *
   * @return the number of samples, 0 if none or if the balancer keeps no latency window
   */
  public long latencySamples() {
    return latencySamples;
  }

  /**
   * The median latency of the recent window, in nanoseconds, within 6.25% (the precision of the
   * histogram it is read from). The three percentiles are {@code NaN} without samples.
   *
   * @return the 50th percentile, or {@code NaN} without samples
   */
  public double latencyP50Nanos() {
    return latencyP50Nanos;
  }

  /** {@return the 90th percentile latency of the recent window in nanoseconds, within 6.25%} */
  public double latencyP90Nanos() {
    return latencyP90Nanos;
  }

  /** {@return the 99th percentile latency of the recent window in nanoseconds, within 6.25%} */
  public double latencyP99Nanos() {
    return latencyP99Nanos;
  }

  /**
   * The latest load report the endpoint's backend sent ({@link Lease#onLoadReport}, {@link
   * LoadBalancer#reportLoad}), or null if none arrived.
   *
   * @return the latest report, stamped on receipt, or null
   */
  public @Nullable LoadReport loadReport() {
    return loadReport;
  }

  /**
   * How long ago the {@linkplain #loadReport() latest load report} arrived, when the statistics
   * were taken, in nanoseconds of the balancer's ticker.
   *
   * @return 0 or more, or -1 if no report arrived
   */
  public long loadReportAgeNanos() {
    return loadReportAgeNanos;
  }

  /**
   * The calls this endpoint takes at once now: the smaller of the balancer's {@link
   * LoadBalancer.Builder#maxInFlightPerEndpoint fixed cap} and the current value of the endpoint's
   * own {@linkplain LoadBalancer.Builder#concurrencyLimitPerEndpoint concurrency limit}, which an
   * adaptive limit moves with every call. {@link #inFlight()} at this value means the endpoint is
   * full.
   *
   * @return the limit, 1 or more; {@link Integer#MAX_VALUE} if the endpoint has none
   */
  public int concurrencyLimit() {
    return concurrencyLimit;
  }

  /**
   * Every call ever picked onto this endpoint: the reported ones plus those in flight.
   *
   * @return {@code successes + failures + cancellations + inFlight}
   */
  public long picks() {
    return successes + failures + cancellations + inFlight;
  }

  /**
   * The latency EWMA rounded to the nanosecond, or null before the first report.
   *
   * @return {@link #latencyEwmaNanos()} as a duration rounded to the nearest nanosecond, or null if
   *     it is {@code NaN}
   */
  public @Nullable Duration latencyEwma() {
    return Double.isNaN(latencyEwmaNanos) ? null : Duration.ofNanos(Math.round(latencyEwmaNanos));
  }

  /** The field names, in the order of {@link #values()}: equality, hash and text in one place. */
  private static final String[] NAMES =
      ("endpoint inFlight successes failures cancellations latencyEwmaNanos peakEwmaNanos "
              + "responseBytes throughputBytesPerSecond lastFailure health effectiveWeightPercent "
              + "ejections lastCheck breakerState limiterRejections latencySamples latencyP50Nanos "
              + "latencyP90Nanos latencyP99Nanos loadReport loadReportAgeNanos inSubset concurrencyLimit")
          .split(" ", -1);

  private Object[] values() {
    return new Object[] {
      endpoint,
      inFlight,
      successes,
      failures,
      cancellations,
      latencyEwmaNanos,
      peakEwmaNanos,
      responseBytes,
      throughputBytesPerSecond,
      lastFailure,
      health,
      effectiveWeightPercent,
      ejections,
      lastCheck,
      breakerState,
      limiterRejections,
      latencySamples,
      latencyP50Nanos,
      latencyP90Nanos,
      latencyP99Nanos,
      loadReport,
      loadReportAgeNanos,
      inSubset,
      concurrencyLimit
    };
  }

  /** Equal when every field is; doubles as {@link Double#equals} has it (NaN equals NaN). */
  @Override
  public boolean equals(@Nullable Object o) {
    return this == o
        || (o instanceof EndpointStats other && Arrays.equals(values(), other.values()));
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values());
  }

  @Override
  public String toString() {
    Object[] values = values();
    StringBuilder s = new StringBuilder("EndpointStats{");
    for (int i = 0; i < NAMES.length; i++) {
      s.append(i == 0 ? "" : ", ").append(NAMES[i]).append('=').append(values[i]);
    }
    return s.append('}').toString();
  }

  /** Builds an {@link EndpointStats}; not thread-safe. */
  public static final class Builder {
    private final Endpoint endpoint;
    private int inFlight = 0;
    private long successes = 0;
    private long failures = 0;
    private long cancellations = 0;
    private double latencyEwmaNanos = Double.NaN;
    private double peakEwmaNanos = Double.NaN;
    private long responseBytes = 0;
    private double throughputBytesPerSecond = Double.NaN;
    private @Nullable Throwable lastFailure;
    private HealthStatus health = HealthStatus.HEALTHY;
    private int effectiveWeightPercent = 100;
    private boolean inSubset = true;
    private long ejections = 0;
    private @Nullable HealthCheckResult lastCheck;
    private CircuitBreaker.@Nullable State breakerState;
    private long limiterRejections = 0;
    private long latencySamples = 0;
    private double latencyP50Nanos = Double.NaN;
    private double latencyP90Nanos = Double.NaN;
    private double latencyP99Nanos = Double.NaN;
    private @Nullable LoadReport loadReport;
    private long loadReportAgeNanos = -1;
    private int concurrencyLimit = Integer.MAX_VALUE;

    private Builder(Endpoint endpoint) {
      this.endpoint = dev.lb.internal.Checks.checkNotNull(endpoint, "endpoint");
    }

    /**
     * Sets inFlight.
     *
     * @param inFlight calls picked and not yet reported
     * @return this builder
     */
    public Builder inFlight(int inFlight) {
      this.inFlight = inFlight;
      return this;
    }

    /**
     * Sets successes.
     *
     * @param successes calls reported as successes
     * @return this builder
     */
    public Builder successes(long successes) {
      this.successes = successes;
      return this;
    }

    /**
     * Sets failures.
     *
     * @param failures calls reported as failures
     * @return this builder
     */
    public Builder failures(long failures) {
      this.failures = failures;
      return this;
    }

    /**
     * Sets cancellations.
     *
     * @param cancellations calls reported as cancelled
     * @return this builder
     */
    public Builder cancellations(long cancellations) {
      this.cancellations = cancellations;
      return this;
    }

    /**
     * Sets latencyEwmaNanos.
     *
     * @param latencyEwmaNanos latency EWMA in nanoseconds; {@code NaN} before the first report
     * @return this builder
     */
    public Builder latencyEwmaNanos(double latencyEwmaNanos) {
      this.latencyEwmaNanos = latencyEwmaNanos;
      return this;
    }

    /**
     * Sets peakEwmaNanos.
     *
     * @param peakEwmaNanos peak-EWMA latency decayed to now, in nanoseconds; {@code NaN} if not
     *     tracked by the strategy or not yet measured
     * @return this builder
     */
    public Builder peakEwmaNanos(double peakEwmaNanos) {
      this.peakEwmaNanos = peakEwmaNanos;
      return this;
    }

    /**
     * Sets responseBytes.
     *
     * @param responseBytes total response bytes reported
     * @return this builder
     */
    public Builder responseBytes(long responseBytes) {
      this.responseBytes = responseBytes;
      return this;
    }

    /**
     * Sets throughputBytesPerSecond.
     *
     * @param throughputBytesPerSecond recent response throughput, decayed to now; {@code NaN} if
     *     not tracked by the strategy
     * @return this builder
     */
    public Builder throughputBytesPerSecond(double throughputBytesPerSecond) {
      this.throughputBytesPerSecond = throughputBytesPerSecond;
      return this;
    }

    /**
     * Sets lastFailure.
     *
     * @param lastFailure the most recent failure cause reported, or null
     * @return this builder
     */
    public Builder lastFailure(@Nullable Throwable lastFailure) {
      this.lastFailure = lastFailure;
      return this;
    }

    /**
     * Sets health.
     *
     * @param health where the endpoint stands in its health lifecycle
     * @return this builder
     */
    public Builder health(HealthStatus health) {
      this.health = dev.lb.internal.Checks.checkNotNull(health, "health");
      return this;
    }

    /**
     * Sets effectiveWeightPercent.
     *
     * @param effectiveWeightPercent its effective weight as a percentage of its configured weight:
     *     below 100 while it ramps up under slow start
     * @return this builder
     */
    public Builder effectiveWeightPercent(int effectiveWeightPercent) {
      this.effectiveWeightPercent = effectiveWeightPercent;
      return this;
    }

    /**
     * Sets inSubset; true by default.
     *
     * @param inSubset whether this client routes to it (false outside its subset)
     * @return this builder
     */
    public Builder inSubset(boolean inSubset) {
      this.inSubset = inSubset;
      return this;
    }

    /**
     * Sets ejections.
     *
     * @param ejections how many times outlier detection ejected it
     * @return this builder
     */
    public Builder ejections(long ejections) {
      this.ejections = ejections;
      return this;
    }

    /**
     * Sets lastCheck.
     *
     * @param lastCheck the result of its latest active health check, or null if none ran
     * @return this builder
     */
    public Builder lastCheck(@Nullable HealthCheckResult lastCheck) {
      this.lastCheck = lastCheck;
      return this;
    }

    /**
     * Sets breakerState.
     *
     * @param breakerState its circuit breaker's state, or null if the balancer has no breakers
     * @return this builder
     */
    public Builder breakerState(CircuitBreaker.@Nullable State breakerState) {
      this.breakerState = breakerState;
      return this;
    }

    /**
     * Sets limiterRejections.
     *
     * @param limiterRejections calls its rate limiter refused (the pick moved on to another
     *     endpoint)
     * @return this builder
     */
    public Builder limiterRejections(long limiterRejections) {
      this.limiterRejections = limiterRejections;
      return this;
    }

    /**
     * Sets the recent latency percentiles.
     *
     * @param samples calls reported with a latency in the recent window
     * @param p50Nanos the median, in nanoseconds; {@code NaN} without samples
     * @param p90Nanos the 90th percentile, in nanoseconds; {@code NaN} without samples
     * @param p99Nanos the 99th percentile, in nanoseconds; {@code NaN} without samples
     * @return this builder
     */
    public Builder latencyPercentiles(
        long samples, double p50Nanos, double p90Nanos, double p99Nanos) {
      this.latencySamples = samples;
      this.latencyP50Nanos = p50Nanos;
      this.latencyP90Nanos = p90Nanos;
      this.latencyP99Nanos = p99Nanos;
      return this;
    }

    /**
     * Sets the latest load report and its age.
     *
     * @param report the latest report, or null if none arrived
     * @param ageNanos how long ago it arrived, in nanoseconds, 0 or more; ignored without a report
     * @return this builder
     */
    public Builder loadReport(@Nullable LoadReport report, long ageNanos) {
      this.loadReport = report;
      this.loadReportAgeNanos = report == null ? -1 : Math.max(0, ageNanos);
      return this;
    }

    /**
     * Sets the calls the endpoint takes at once now.
     *
     * @param concurrencyLimit 1 or more; {@link Integer#MAX_VALUE} for none (the default)
     * @return this builder
     * @throws IllegalArgumentException if {@code concurrencyLimit} is less than 1
     */
    public Builder concurrencyLimit(int concurrencyLimit) {
      dev.lb.internal.Checks.checkArgument(
          concurrencyLimit >= 1,
          "concurrencyLimit must be at least 1 but was %s",
          concurrencyLimit);
      this.concurrencyLimit = concurrencyLimit;
      return this;
    }

    /**
     * Returns the statistics.
     *
     * @return a new immutable copy of what was set
     */
    public EndpointStats build() {
      return new EndpointStats(this);
    }
  }
}
