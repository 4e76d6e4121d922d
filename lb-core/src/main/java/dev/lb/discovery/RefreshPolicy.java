package dev.lb.discovery;

import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When a polling source looks again: every {@link Builder#interval interval}, spread by {@link
 * Builder#jitter jitter}, and never sooner than the {@link Builder#floor floor} after the previous
 * lookup.
 *
 * <p>Jitter keeps a fleet of clients that started together (a deploy, a restart) from querying the
 * DNS server or reading the file in lockstep: each delay is drawn uniformly from {@code interval ×
 * [1 − jitter, 1 + jitter)}. The floor protects the server from a misconfigured interval and from a
 * wide jitter; it mirrors gRPC's minimum time between DNS resolutions.
 *
 * <pre>{@code
 * RefreshPolicy policy = RefreshPolicy.builder().interval(Duration.ofSeconds(10)).jitter(0.2).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class RefreshPolicy {
  private static final RefreshPolicy DEFAULT = builder().build();

  private final long intervalNanos;
  private final long floorNanos;
  private final double jitter;

  private RefreshPolicy(Builder b) {
    this.intervalNanos = b.interval.toNanos();
    this.floorNanos = b.floor.toNanos();
    this.jitter = b.jitter;
  }

  /**
   * The default policy: every 30 seconds, jitter 0.2 (24 to 36 seconds), floor 1 second.
   *
   * @return the shared default policy
   */
  public static RefreshPolicy defaults() {
    return DEFAULT;
  }

  /**
   * Returns a builder starting from the defaults.
   *
   * @return a new builder with interval 30 s, jitter 0.2 and floor 1 s
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The mean time between two lookups.
   *
   * @return the interval
   */
  public Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  /**
   * The least time between two lookups, whatever the jitter drew.
   *
   * @return the floor
   */
  public Duration floor() {
    return Duration.ofNanos(floorNanos);
  }

  /**
   * The spread of each delay around the interval, as a fraction of it.
   *
   * @return the jitter, in [0, 1)
   */
  public double jitter() {
    return jitter;
  }

  /**
   * Draws the delay before the next lookup.
   *
   * @param random the source of the jitter
   * @return the delay in nanoseconds, at least the floor
   */
  long nextDelayNanos(RandomGenerator random) {
    double factor = jitter == 0 ? 1 : 1 + jitter * (2 * random.nextDouble() - 1);
    return Math.max(floorNanos, (long) (intervalNanos * factor));
  }

  /**
   * Draws the delay before retrying after {@code consecutiveFailures} failed lookups in a row: the
   * floor, doubled per further failure, never more than the interval (with the same jitter), so a
   * lookup that failed once is retried soon rather than a whole interval later, and a source that
   * stays down is not hammered.
   *
   * @param consecutiveFailures 1 or more
   * @param random the source of the jitter
   * @return the delay in nanoseconds, from the floor to the interval's jittered value
   */
  long retryDelayNanos(int consecutiveFailures, RandomGenerator random) {
    int doublings = Math.min(62, Math.max(0, consecutiveFailures - 1));
    long backoff =
        floorNanos > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : floorNanos << doublings;
    long next = nextDelayNanos(random);
    if (backoff >= intervalNanos) {
      return next;
    }
    double factor = jitter == 0 ? 1 : 1 + jitter * (2 * random.nextDouble() - 1);
    return Math.max(floorNanos, Math.min(next, (long) (backoff * factor)));
  }

  @Override
  public String toString() {
    return "RefreshPolicy{interval="
        + interval()
        + ", jitter="
        + jitter
        + ", floor="
        + floor()
        + '}';
  }

  /** Builds a {@link RefreshPolicy}; validated by {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private Duration interval = Duration.ofSeconds(30);
    private Duration floor = Duration.ofSeconds(1);
    private double jitter = 0.2;

    private Builder() {}

    /**
     * Sets the mean time between lookups; must be positive and at least the floor. Defaults to 30
     * seconds.
     *
     * @param interval the mean delay between the end of one lookup and the start of the next
     * @return this builder
     * @throws NullPointerException if {@code interval} is null
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public Builder interval(Duration interval) {
      this.interval = positive(interval, "interval");
      return this;
    }

    /**
     * Sets the least time between lookups; must be positive. Defaults to 1 second.
     *
     * @param floor the shortest delay the policy ever returns
     * @return this builder
     * @throws NullPointerException if {@code floor} is null
     * @throws IllegalArgumentException if {@code floor} is not positive
     */
    public Builder floor(Duration floor) {
      this.floor = positive(floor, "floor");
      return this;
    }

    /**
     * Sets the spread of each delay, as a fraction of the interval: 0 for none, up to but excluding
     * 1. Defaults to 0.2.
     *
     * @param jitter the fraction, in [0, 1)
     * @return this builder
     * @throws IllegalArgumentException if {@code jitter} is not in [0, 1)
     */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter < 1)) {
        throw new IllegalArgumentException("jitter must be in [0, 1) but was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Returns the policy.
     *
     * @return a new immutable policy
     * @throws IllegalArgumentException if the interval is shorter than the floor
     */
    public RefreshPolicy build() {
      if (interval.compareTo(floor) < 0) {
        throw new IllegalArgumentException(
            "interval must be at least the floor (" + floor + ") but was " + interval);
      }
      return new RefreshPolicy(this);
    }

    private static Duration positive(Duration d, String option) {
      checkNotNull(d, option);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(option + " must be positive but was " + d);
      }
      return d;
    }
  }
}
