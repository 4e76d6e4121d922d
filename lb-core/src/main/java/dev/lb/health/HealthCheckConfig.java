package dev.lb.health;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How a balancer actively checks its endpoints: which {@link HealthChecker}, how often, with what
 * timeout, and how many consecutive results flip an endpoint's health (rise and fall thresholds,
 * which keep alternating results from flapping membership).
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>interval</td><td>5 s</td><td>time between checks of a healthy endpoint</td></tr>
 *   <tr><td>unhealthyInterval</td><td>= interval</td><td>time between checks of an unhealthy one</td></tr>
 *   <tr><td>timeout</td><td>1 s</td><td>a check not answered by then fails</td></tr>
 *   <tr><td>jitter</td><td>0.1</td><td>each interval varies by up to this fraction, either way</td></tr>
 *   <tr><td>healthyThreshold (rise)</td><td>2</td><td>consecutive passes to become healthy</td></tr>
 *   <tr><td>unhealthyThreshold (fall)</td><td>3</td><td>consecutive failures to become unhealthy</td></tr>
 * </table>
 *
 * <p>The thresholds are HAProxy's defaults ({@code rise 2 fall 3}). Endpoints start healthy; the
 * first check of each runs at a random point within its first jittered interval, so a fleet of
 * clients does not probe in lockstep. Immutable and thread-safe.
 */
public final class HealthCheckConfig {
  private final HealthChecker checker;
  private final long intervalNanos;
  private final long unhealthyIntervalNanos;
  private final long timeoutNanos;
  private final double jitter;
  private final int healthyThreshold;
  private final int unhealthyThreshold;

  private HealthCheckConfig(Builder b) {
    this.checker = b.checker;
    this.intervalNanos = b.interval.toNanos();
    this.unhealthyIntervalNanos =
        b.unhealthyInterval == null ? intervalNanos : b.unhealthyInterval.toNanos();
    this.timeoutNanos = b.timeout.toNanos();
    this.jitter = b.jitter;
    this.healthyThreshold = b.healthyThreshold;
    this.unhealthyThreshold = b.unhealthyThreshold;
  }

  /**
   * Starts a configuration that checks with {@code checker}.
   *
   * @param checker the probe to run per endpoint; must not be null
   * @return a builder with the default options
   * @throws NullPointerException if {@code checker} is null
   */
  public static Builder builder(HealthChecker checker) {
    return new Builder(checker);
  }

  /**
   * The probe.
   *
   * @return the checker this configuration runs
   */
  public HealthChecker checker() {
    return checker;
  }

  /**
   * Time between checks of a healthy endpoint, before jitter.
   *
   * @return the interval in nanoseconds
   */
  public long intervalNanos() {
    return intervalNanos;
  }

  /**
   * Time between checks of an unhealthy or ejected endpoint, before jitter.
   *
   * @return the interval in nanoseconds
   */
  public long unhealthyIntervalNanos() {
    return unhealthyIntervalNanos;
  }

  /**
   * How long a check may take.
   *
   * @return the timeout in nanoseconds
   */
  public long timeoutNanos() {
    return timeoutNanos;
  }

  /**
   * The fraction by which each interval varies either way.
   *
   * @return the jitter, in [0, 1)
   */
  public double jitter() {
    return jitter;
  }

  /**
   * Consecutive passed checks that make an unhealthy endpoint healthy (rise).
   *
   * @return the threshold, 1 or more
   */
  public int healthyThreshold() {
    return healthyThreshold;
  }

  /**
   * Consecutive failed checks that make a healthy endpoint unhealthy (fall).
   *
   * @return the threshold, 1 or more
   */
  public int unhealthyThreshold() {
    return unhealthyThreshold;
  }

  @Override
  public String toString() {
    return "HealthCheckConfig{interval="
        + Duration.ofNanos(intervalNanos)
        + ", unhealthyInterval="
        + Duration.ofNanos(unhealthyIntervalNanos)
        + ", timeout="
        + Duration.ofNanos(timeoutNanos)
        + ", jitter="
        + jitter
        + ", rise="
        + healthyThreshold
        + ", fall="
        + unhealthyThreshold
        + "}";
  }

  /** Builds a {@link HealthCheckConfig}. Not thread-safe; each option is validated when set. */
  public static final class Builder {
    private final HealthChecker checker;
    private Duration interval = Duration.ofSeconds(5);
    private @Nullable Duration unhealthyInterval;
    private Duration timeout = Duration.ofSeconds(1);
    private double jitter = 0.1;
    private int healthyThreshold = 2;
    private int unhealthyThreshold = 3;

    private Builder(HealthChecker checker) {
      this.checker = checkNotNull(checker, "checker");
    }

    /**
     * Sets the time between checks of a healthy endpoint. Defaults to 5 seconds.
     *
     * @param interval positive
     * @return this builder
     * @throws NullPointerException if {@code interval} is null
     * @throws IllegalArgumentException if not positive
     */
    public Builder interval(Duration interval) {
      this.interval = positive(interval, "interval");
      return this;
    }

    /**
     * Sets the time between checks of an unhealthy or ejected endpoint: shorter to notice recovery
     * sooner, longer to spare a struggling backend. Defaults to the {@link #interval}.
     *
     * @param unhealthyInterval positive
     * @return this builder
     * @throws NullPointerException if {@code unhealthyInterval} is null
     * @throws IllegalArgumentException if not positive
     */
    public Builder unhealthyInterval(Duration unhealthyInterval) {
      this.unhealthyInterval = positive(unhealthyInterval, "unhealthyInterval");
      return this;
    }

    /**
     * Sets how long one check may take before it counts as failed. Defaults to 1 second.
     *
     * @param timeout positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets the fraction by which each interval varies either way, drawn uniformly. Defaults to 0.1.
     *
     * @param jitter in [0, 1)
     * @return this builder
     * @throws IllegalArgumentException if not in [0, 1)
     */
    public Builder jitter(double jitter) {
      checkArgument(jitter >= 0 && jitter < 1, "jitter must be in [0, 1) but was %s", jitter);
      this.jitter = jitter;
      return this;
    }

    /**
     * Sets the rise threshold: consecutive passes that make an unhealthy endpoint healthy. Defaults
     * to 2.
     *
     * @param healthyThreshold 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder healthyThreshold(int healthyThreshold) {
      checkArgument(
          healthyThreshold >= 1, "healthyThreshold must be 1 or more but was %s", healthyThreshold);
      this.healthyThreshold = healthyThreshold;
      return this;
    }

    /**
     * Sets the fall threshold: consecutive failures that make a healthy endpoint unhealthy.
     * Defaults to 3.
     *
     * @param unhealthyThreshold 1 or more
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder unhealthyThreshold(int unhealthyThreshold) {
      checkArgument(
          unhealthyThreshold >= 1,
          "unhealthyThreshold must be 1 or more but was %s",
          unhealthyThreshold);
      this.unhealthyThreshold = unhealthyThreshold;
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @return a new immutable configuration with the options set on this builder
     */
    public HealthCheckConfig build() {
      return new HealthCheckConfig(this);
    }
  }

  static Duration positive(Duration d, String option) {
    checkNotNull(d, option);
    checkArgument(!d.isNegative() && !d.isZero(), "%s must be positive but was %s", option, d);
    return d;
  }
}
