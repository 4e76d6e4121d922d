package dev.lb.health;

import static dev.lb.health.HealthCheckConfig.positive;
import static dev.lb.internal.Checks.checkArgument;

import java.time.Duration;

/**
 * Passive health checking: ejects endpoints whose calls fail, judged from the outcomes callers
 * report on their leases. Three detectors, with Envoy's semantics:
 *
 * <ul>
 *   <li><b>consecutive failures</b>: an endpoint whose last {@code consecutiveFailures} calls all
 *       failed is ejected at once (default 5; 0 turns it off);
 *   <li><b>success rate</b>: every {@code interval}, among endpoints with at least {@code
 *       successRateRequestVolume} calls in the interval, and only when at least {@code
 *       successRateMinimumHosts} qualify, those whose success rate is below {@code mean -
 *       successRateStdevFactor x stddev} are ejected (on by default: factor 1.9, volume 100, hosts
 *       5);
 *   <li><b>failure percentage</b>: every {@code interval}, endpoints with at least {@code
 *       failurePercentageRequestVolume} calls whose failure percentage is at least {@code
 *       failurePercentageThreshold} are ejected, when at least {@code
 *       failurePercentageMinimumHosts} qualify (off by default, as in Envoy).
 * </ul>
 *
 * <p>An ejection lasts {@code baseEjectionTime x n}, where {@code n} counts the endpoint's recent
 * ejections (it grows by one per ejection and shrinks by one per interval spent un-ejected), capped
 * at {@code maxEjectionTime}. Ejected endpoints come back on their own when the time is over, or,
 * when active health checks run, once they pass the rise threshold afterwards. At most {@code
 * maxEjectionPercent} of the endpoints are ejected at any time, but always at least one endpoint of
 * a group of two or more may be, and never the last one: the group never ejects everyone.
 *
 * <p>Immutable and thread-safe.
 */
public final class OutlierDetection {
  private static final OutlierDetection DEFAULTS = builder().build();
  private static final OutlierDetection DISABLED =
      builder().consecutiveFailures(0).successRate(false).failurePercentage(false).build();

  private final long intervalNanos;
  private final long baseEjectionNanos;
  private final long maxEjectionNanos;
  private final int maxEjectionPercent;
  private final int consecutiveFailures;
  private final boolean successRate;
  private final double successRateStdevFactor;
  private final int successRateMinimumHosts;
  private final int successRateRequestVolume;
  private final boolean failurePercentage;
  private final int failurePercentageThreshold;
  private final int failurePercentageMinimumHosts;
  private final int failurePercentageRequestVolume;

  private OutlierDetection(Builder b) {
    this.intervalNanos = b.interval.toNanos();
    this.baseEjectionNanos = b.baseEjectionTime.toNanos();
    this.maxEjectionNanos = Math.max(baseEjectionNanos, b.maxEjectionTime.toNanos());
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.consecutiveFailures = b.consecutiveFailures;
    this.successRate = b.successRate;
    this.successRateStdevFactor = b.successRateStdevFactor;
    this.successRateMinimumHosts = b.successRateMinimumHosts;
    this.successRateRequestVolume = b.successRateRequestVolume;
    this.failurePercentage = b.failurePercentage;
    this.failurePercentageThreshold = b.failurePercentageThreshold;
    this.failurePercentageMinimumHosts = b.failurePercentageMinimumHosts;
    this.failurePercentageRequestVolume = b.failurePercentageRequestVolume;
  }

  /**
   * The defaults: consecutive failures 5, success rate on, failure percentage off, interval 10 s,
   * base ejection 30 s, max ejection 300 s, max ejection 10%.
   *
   * @return the shared default configuration
   */
  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  /**
   * No passive ejection at all.
   *
   * @return the shared configuration with every detector off
   */
  public static OutlierDetection disabled() {
    return DISABLED;
  }

  /**
   * Starts from the defaults.
   *
   * @return a new builder holding the {@link #defaults()}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether any detector is on.
   *
   * @return false if every detector is off
   */
  public boolean enabled() {
    return consecutiveFailures > 0 || successRate || failurePercentage;
  }

  /**
   * How often the rate-based detectors run and ejection multipliers shrink.
   *
   * @return the interval in nanoseconds
   */
  public long intervalNanos() {
    return intervalNanos;
  }

  /**
   * The ejection time of a first ejection.
   *
   * @return nanoseconds
   */
  public long baseEjectionNanos() {
    return baseEjectionNanos;
  }

  /**
   * The cap on one ejection's time.
   *
   * @return nanoseconds, at least {@link #baseEjectionNanos()}
   */
  public long maxEjectionNanos() {
    return maxEjectionNanos;
  }

  /**
   * The most endpoints, as a percentage of the group, ejected at once.
   *
   * @return 0 to 100
   */
  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /**
   * Consecutive failures that eject an endpoint.
   *
   * @return 1 or more, or 0 if this detector is off
   */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * Whether the success-rate detector is on.
   *
   * @return true if on
   */
  public boolean successRate() {
    return successRate;
  }

  /**
   * How many standard deviations below the mean success rate ejects.
   *
   * @return the factor, positive
   */
  public double successRateStdevFactor() {
    return successRateStdevFactor;
  }

  /**
   * Endpoints that must qualify by volume before the success-rate detector judges any.
   *
   * @return 1 or more
   */
  public int successRateMinimumHosts() {
    return successRateMinimumHosts;
  }

  /**
   * Calls an endpoint needs in one interval to be judged by the success-rate detector.
   *
   * @return 1 or more
   */
  public int successRateRequestVolume() {
    return successRateRequestVolume;
  }

  /**
   * Whether the failure-percentage detector is on.
   *
   * @return true if on
   */
  public boolean failurePercentage() {
    return failurePercentage;
  }

  /**
   * The failure percentage at or above which the failure-percentage detector ejects.
   *
   * @return 0 to 100
   */
  public int failurePercentageThreshold() {
    return failurePercentageThreshold;
  }

  /**
   * Endpoints that must qualify by volume before the failure-percentage detector judges any.
   *
   * @return 1 or more
   */
  public int failurePercentageMinimumHosts() {
    return failurePercentageMinimumHosts;
  }

  /**
   * Calls an endpoint needs in one interval to be judged by the failure-percentage detector.
   *
   * @return 1 or more
   */
  public int failurePercentageRequestVolume() {
    return failurePercentageRequestVolume;
  }

  /**
   * The most endpoints of a group of {@code groupSize} that may be ejected at once: {@code
   * maxEjectionPercent} of them rounded down, but at least one and at most all but one.
   *
   * @param groupSize how many endpoints the group has
   * @return how many may be ejected at once, 0 for a group of one or none
   */
  public int maxEjections(int groupSize) {
    if (groupSize < 2) {
      return 0;
    }
    int byPercent = (int) ((long) groupSize * maxEjectionPercent / 100);
    return Math.min(groupSize - 1, Math.max(1, byPercent));
  }

  @Override
  public String toString() {
    return "OutlierDetection{consecutiveFailures="
        + consecutiveFailures
        + ", successRate="
        + (successRate ? successRateStdevFactor + " stddev" : "off")
        + ", failurePercentage="
        + (failurePercentage ? failurePercentageThreshold + "%" : "off")
        + ", interval="
        + Duration.ofNanos(intervalNanos)
        + ", baseEjectionTime="
        + Duration.ofNanos(baseEjectionNanos)
        + ", maxEjectionTime="
        + Duration.ofNanos(maxEjectionNanos)
        + ", maxEjectionPercent="
        + maxEjectionPercent
        + "}";
  }

  /** Builds an {@link OutlierDetection}. Not thread-safe; each option is validated when set. */
  public static final class Builder {
    private Duration interval = Duration.ofSeconds(10);
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofMinutes(5);
    private int maxEjectionPercent = 10;
    private int consecutiveFailures = 5;
    private boolean successRate = true;
    private double successRateStdevFactor = 1.9;
    private int successRateMinimumHosts = 5;
    private int successRateRequestVolume = 100;
    private boolean failurePercentage;
    private int failurePercentageThreshold = 85;
    private int failurePercentageMinimumHosts = 5;
    private int failurePercentageRequestVolume = 50;

    private Builder() {}

    /**
     * Sets how often the rate-based detectors run. Defaults to 10 seconds.
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
     * Sets the first ejection's time; later ones last a multiple of it. Defaults to 30 seconds.
     *
     * @param baseEjectionTime positive
     * @return this builder
     * @throws NullPointerException if {@code baseEjectionTime} is null
     * @throws IllegalArgumentException if not positive
     */
    public Builder baseEjectionTime(Duration baseEjectionTime) {
      this.baseEjectionTime = positive(baseEjectionTime, "baseEjectionTime");
      return this;
    }

    /**
     * Caps one ejection's time. Defaults to 300 seconds; never less than the base ejection time.
     *
     * @param maxEjectionTime positive
     * @return this builder
     * @throws NullPointerException if {@code maxEjectionTime} is null
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxEjectionTime(Duration maxEjectionTime) {
      this.maxEjectionTime = positive(maxEjectionTime, "maxEjectionTime");
      return this;
    }

    /**
     * Caps the share of endpoints ejected at once. Defaults to 10.
     *
     * @param maxEjectionPercent 0 to 100
     * @return this builder
     * @throws IllegalArgumentException if not in 0..100
     */
    public Builder maxEjectionPercent(int maxEjectionPercent) {
      checkArgument(
          maxEjectionPercent >= 0 && maxEjectionPercent <= 100,
          "maxEjectionPercent must be in 0..100 but was %s",
          maxEjectionPercent);
      this.maxEjectionPercent = maxEjectionPercent;
      return this;
    }

    /**
     * Sets how many consecutive failures eject an endpoint. Defaults to 5; 0 turns the detector
     * off.
     *
     * @param consecutiveFailures 0 or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder consecutiveFailures(int consecutiveFailures) {
      checkArgument(
          consecutiveFailures >= 0,
          "consecutiveFailures must be 0 or more but was %s",
          consecutiveFailures);
      this.consecutiveFailures = consecutiveFailures;
      return this;
    }

    /**
     * Turns the success-rate detector on or off. On by default.
     *
     * @param enabled true to run it
     * @return this builder
     */
    public Builder successRate(boolean enabled) {
      this.successRate = enabled;
      return this;
    }

    /**
     * Sets the success-rate detector's options and turns it on.
     *
     * @param stdevFactor standard deviations below the mean that eject; positive (default 1.9)
     * @param minimumHosts endpoints that must qualify by volume; 1 or more (default 5)
     * @param requestVolume calls per interval for an endpoint to qualify; 1 or more (default 100)
     * @return this builder
     * @throws IllegalArgumentException if an option is out of range
     */
    public Builder successRate(double stdevFactor, int minimumHosts, int requestVolume) {
      checkArgument(
          stdevFactor > 0 && Double.isFinite(stdevFactor),
          "successRateStdevFactor must be positive but was %s",
          stdevFactor);
      checkArgument(
          minimumHosts >= 1, "successRateMinimumHosts must be 1 or more but was %s", minimumHosts);
      checkArgument(
          requestVolume >= 1,
          "successRateRequestVolume must be 1 or more but was %s",
          requestVolume);
      this.successRate = true;
      this.successRateStdevFactor = stdevFactor;
      this.successRateMinimumHosts = minimumHosts;
      this.successRateRequestVolume = requestVolume;
      return this;
    }

    /**
     * Turns the failure-percentage detector on or off. Off by default.
     *
     * @param enabled true to run it
     * @return this builder
     */
    public Builder failurePercentage(boolean enabled) {
      this.failurePercentage = enabled;
      return this;
    }

    /**
     * Sets the failure-percentage detector's options and turns it on.
     *
     * @param threshold failure percentage that ejects, 0 to 100 (default 85)
     * @param minimumHosts endpoints that must qualify by volume; 1 or more (default 5)
     * @param requestVolume calls per interval for an endpoint to qualify; 1 or more (default 50)
     * @return this builder
     * @throws IllegalArgumentException if an option is out of range
     */
    public Builder failurePercentage(int threshold, int minimumHosts, int requestVolume) {
      checkArgument(
          threshold >= 0 && threshold <= 100,
          "failurePercentageThreshold must be in 0..100 but was %s",
          threshold);
      checkArgument(
          minimumHosts >= 1,
          "failurePercentageMinimumHosts must be 1 or more but was %s",
          minimumHosts);
      checkArgument(
          requestVolume >= 1,
          "failurePercentageRequestVolume must be 1 or more but was %s",
          requestVolume);
      this.failurePercentage = true;
      this.failurePercentageThreshold = threshold;
      this.failurePercentageMinimumHosts = minimumHosts;
      this.failurePercentageRequestVolume = requestVolume;
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @return a new immutable configuration with the options set on this builder
     */
    public OutlierDetection build() {
      return new OutlierDetection(this);
    }
  }
}
