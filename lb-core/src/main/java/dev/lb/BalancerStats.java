package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A point-in-time copy of a balancer's statistics, from {@link LoadBalancer#stats()}: one {@link
 * EndpointStats} per endpoint, in membership order.
 *
 * <p>{@link #toTable()} renders it for people (logs, a debug endpoint, the demo). Immutable and
 * thread-safe.
 *
 * <p>A value class that may gain accessors in later versions: made by {@link #builder} (or {@link
 * #of}), never by a constructor. Immutable and thread-safe.
 */
public final class BalancerStats {
  private final String balancerName;
  private final String strategyName;
  private final long membershipVersion;
  private final boolean panic;
  private final int healthyPercent;
  private final long retryBudgetRemaining;
  private final List<EndpointStats> endpoints;
  private final int concurrencyLimit;
  private final int waiting;

  private BalancerStats(Builder b) {
    this.balancerName = b.balancerName;
    this.strategyName = b.strategyName;
    this.membershipVersion = b.membershipVersion;
    this.panic = b.panic;
    this.healthyPercent = b.healthyPercent;
    this.retryBudgetRemaining = b.retryBudgetRemaining;
    this.endpoints = b.endpoints;
    this.concurrencyLimit = b.concurrencyLimit;
    this.waiting = b.waiting;
  }

  /**
   * Starts statistics for tests of code that reads them (balancers make their own): membership
   * version 0, no panic, 100% healthy, no retry budget, no balancer-wide concurrency limit, nobody
   * waiting, no endpoints.
   *
   * @param balancerName the name of the balancer the statistics were taken from; must not be null
   * @param strategyName the {@link dev.lb.strategy.Strategy#name() name} of the balancer's
   *     strategy; must not be null
   * @return a new builder
   */
  public static Builder builder(String balancerName, String strategyName) {
    return new Builder(
        checkNotNull(balancerName, "balancerName"), checkNotNull(strategyName, "strategyName"));
  }

  /**
   * Returns statistics with these values; balancers make them, and so may tests of code that reads
   * them.
   *
   * @param balancerName the name of the balancer the statistics were taken from; must not be null
   * @param strategyName the {@link dev.lb.strategy.Strategy#name() name} of the balancer's
   *     strategy; must not be null
   * @param membershipVersion the membership version when the copy was taken: 0 for the initial
   *     membership, incremented on every membership change that took effect
   * @param panic whether the balancer was in panic mode (any priority level taking calls in panic)
   * @param healthyPercent the healthy share of the endpoints routing considers, 0 to 100
   * @param retryBudgetRemaining retries the retry budget allows now, or -1 if there is none
   * @param endpoints one entry per endpoint, in membership order; copied, so later changes to the
   *     list do not show; must not be null or contain null
   * @return the statistics
   */
  public static BalancerStats of(
      String balancerName,
      String strategyName,
      long membershipVersion,
      boolean panic,
      int healthyPercent,
      long retryBudgetRemaining,
      List<EndpointStats> endpoints) {
    return builder(balancerName, strategyName)
        .membershipVersion(membershipVersion)
        .panic(panic)
        .healthyPercent(healthyPercent)
        .retryBudgetRemaining(retryBudgetRemaining)
        .endpoints(endpoints)
        .build();
  }

  /**
   * The name of the balancer the statistics were taken from.
   *
   * @return the balancer's {@link LoadBalancer#name() name}
   */
  public String balancerName() {
    return balancerName;
  }

  /**
   * The name of the balancer's strategy.
   *
   * @return the {@link dev.lb.strategy.Strategy#name() name} of the balancer's strategy
   */
  public String strategyName() {
    return strategyName;
  }

  /**
   * The membership version when the copy was taken.
   *
   * @return 0 for the initial membership, incremented on every membership change that took effect
   */
  public long membershipVersion() {
    return membershipVersion;
  }

  /**
   * Whether the balancer was in panic mode.
   *
   * @return true if some priority level taking calls was in panic
   */
  public boolean panic() {
    return panic;
  }

  /**
   * The healthy share of the endpoints routing considers.
   *
   * @return 0 to 100
   */
  public int healthyPercent() {
    return healthyPercent;
  }

  /**
   * Retries the retry budget allows now.
   *
   * @return the remaining retries, or -1 if the balancer has no budget
   */
  public long retryBudgetRemaining() {
    return retryBudgetRemaining;
  }

  /**
   * One entry per endpoint: members in membership order, then removed endpoints still draining.
   *
   * @return an immutable list
   */
  public List<EndpointStats> endpoints() {
    return endpoints;
  }

  /**
   * The balancer-wide concurrency limit's value when the statistics were taken ({@link
   * LoadBalancer.Builder#concurrencyLimit}); an adaptive limit moves it with every call.
   *
   * @return the limit, 1 or more; {@link Integer#MAX_VALUE} if the balancer has none
   */
  public int concurrencyLimit() {
    return concurrencyLimit;
  }

  /**
   * Picks waiting for capacity ({@link LoadBalancer#pickAsync}) when the statistics were taken.
   *
   * @return 0 or more
   */
  public int waiting() {
    return waiting;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BalancerStats other)) {
      return false;
    }
    return membershipVersion == other.membershipVersion
        && panic == other.panic
        && healthyPercent == other.healthyPercent
        && retryBudgetRemaining == other.retryBudgetRemaining
        && concurrencyLimit == other.concurrencyLimit
        && waiting == other.waiting
        && balancerName.equals(other.balancerName)
        && strategyName.equals(other.strategyName)
        && endpoints.equals(other.endpoints);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        balancerName,
        strategyName,
        membershipVersion,
        panic,
        healthyPercent,
        retryBudgetRemaining,
        endpoints,
        concurrencyLimit,
        waiting);
  }

  /**
   * Calls in flight over all endpoints.
   *
   * @return the sum of {@link EndpointStats#inFlight()} over all endpoints
   */
  public long inFlight() {
    long sum = 0;
    for (EndpointStats e : endpoints) {
      sum += e.inFlight();
    }
    return sum;
  }

  /**
   * Calls picked over all endpoints.
   *
   * @return the sum of {@link EndpointStats#picks()} over all endpoints: calls reported plus calls
   *     in flight
   */
  public long picks() {
    long sum = 0;
    for (EndpointStats e : endpoints) {
      sum += e.picks();
    }
    return sum;
  }

  /**
   * Renders the statistics as a fixed-width text table, one row per endpoint.
   *
   * @return a header line (balancer, strategy, endpoint count, calls in flight, membership
   *     version), a column-title line and one line per endpoint, each ending with a line separator
   */
  public String toTable() {
    int idWidth = "endpoint".length();
    for (EndpointStats e : endpoints) {
      idWidth = Math.max(idWidth, e.endpoint().id().length());
    }
    String row =
        "%-" + idWidth + "s %-9s %6s %9s %9s %9s %8s %7s %6s %9s %9s %12s %12s %5s %-9s %s%n";
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "balancer '%s' | strategy %s | %d endpoints | %d%% healthy%s%s | %d in flight%s%s |"
                + " version %d%n",
            balancerName,
            strategyName,
            endpoints.size(),
            healthyPercent,
            panic ? " | PANIC" : "",
            retryBudgetRemaining < 0 ? "" : " | retry budget " + retryBudgetRemaining,
            inFlight(),
            concurrencyLimit == Integer.MAX_VALUE ? "" : " (limit " + concurrencyLimit + ")",
            waiting == 0 ? "" : " | " + waiting + " waiting",
            membershipVersion));
    sb.append(
        String.format(
            Locale.ROOT,
            row,
            "endpoint",
            "status",
            "weight",
            "in-flight",
            "picks",
            "success",
            "failure",
            "cancel",
            "share",
            "p50",
            "p99",
            "latency-ewma",
            "throughput",
            "eject",
            "breaker",
            "last check"));
    long total = Math.max(1, picks());
    for (EndpointStats e : endpoints) {
      sb.append(
          String.format(
              Locale.ROOT,
              row,
              e.endpoint().id(),
              e.health().name(),
              e.effectiveWeightPercent() < 100
                  ? e.endpoint().weight() + "@" + e.effectiveWeightPercent() + "%"
                  : Integer.toString(e.endpoint().weight()),
              e.inFlight(),
              e.picks(),
              e.successes(),
              e.failures(),
              e.cancellations(),
              String.format(Locale.ROOT, "%.1f%%", 100.0 * e.picks() / total),
              formatNanos(e.latencyP50Nanos()),
              formatNanos(e.latencyP99Nanos()),
              formatNanos(e.latencyEwmaNanos()),
              formatBytesPerSecond(e.throughputBytesPerSecond()),
              e.ejections(),
              e.breakerState() == null ? "-" : e.breakerState().name(),
              e.lastCheck() == null ? "-" : e.lastCheck().toString()));
    }
    return sb.toString();
  }

  static String formatNanos(double nanos) {
    if (Double.isNaN(nanos)) {
      return "-";
    }
    if (nanos < 1e3) {
      return String.format(Locale.ROOT, "%.0f ns", nanos);
    }
    if (nanos < 1e6) {
      return String.format(Locale.ROOT, "%.1f us", nanos / 1e3);
    }
    if (nanos < 1e9) {
      return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  static String formatBytesPerSecond(double rate) {
    if (Double.isNaN(rate) || rate < 1) {
      return "-";
    }
    if (rate < 1024) {
      return String.format(Locale.ROOT, "%.0f B/s", rate);
    }
    if (rate < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB/s", rate / 1024);
    }
    return String.format(Locale.ROOT, "%.1f MiB/s", rate / (1024 * 1024));
  }

  @Override
  public String toString() {
    return toTable();
  }

  /** Builds a {@link BalancerStats}; not thread-safe. */
  public static final class Builder {
    private final String balancerName;
    private final String strategyName;
    private long membershipVersion = 0;
    private boolean panic = false;
    private int healthyPercent = 100;
    private long retryBudgetRemaining = -1;
    private List<EndpointStats> endpoints = List.of();
    private int concurrencyLimit = Integer.MAX_VALUE;
    private int waiting = 0;

    private Builder(String balancerName, String strategyName) {
      this.balancerName = balancerName;
      this.strategyName = strategyName;
    }

    /**
     * Sets the membership version.
     *
     * @param membershipVersion 0 for the initial membership, incremented on every membership change
     *     that took effect
     * @return this builder
     */
    public Builder membershipVersion(long membershipVersion) {
      this.membershipVersion = membershipVersion;
      return this;
    }

    /**
     * Sets whether the balancer was in panic mode.
     *
     * @param panic whether any priority level took calls in panic
     * @return this builder
     */
    public Builder panic(boolean panic) {
      this.panic = panic;
      return this;
    }

    /**
     * Sets the healthy share.
     *
     * @param healthyPercent the healthy share of the endpoints routing considers, 0 to 100
     * @return this builder
     * @throws IllegalArgumentException if it is not in [0, 100]
     */
    public Builder healthyPercent(int healthyPercent) {
      checkArgument(
          healthyPercent >= 0 && healthyPercent <= 100,
          "healthyPercent must be in [0, 100] but was %s",
          healthyPercent);
      this.healthyPercent = healthyPercent;
      return this;
    }

    /**
     * Sets what the retry budget allows.
     *
     * @param retryBudgetRemaining retries the retry budget allows now, or -1 if there is none
     * @return this builder
     */
    public Builder retryBudgetRemaining(long retryBudgetRemaining) {
      this.retryBudgetRemaining = retryBudgetRemaining;
      return this;
    }

    /**
     * Sets the endpoints' statistics.
     *
     * @param endpoints one entry per endpoint, in membership order; copied, so later changes to the
     *     list do not show; must not be null or contain null
     * @return this builder
     */
    public Builder endpoints(List<EndpointStats> endpoints) {
      this.endpoints = List.copyOf(checkNotNull(endpoints, "endpoints"));
      return this;
    }

    /**
     * Sets the balancer-wide concurrency limit's value.
     *
     * @param concurrencyLimit 1 or more; {@link Integer#MAX_VALUE} for none (the default)
     * @return this builder
     * @throws IllegalArgumentException if {@code concurrencyLimit} is less than 1
     */
    public Builder concurrencyLimit(int concurrencyLimit) {
      checkArgument(
          concurrencyLimit >= 1,
          "concurrencyLimit must be at least 1 but was %s",
          concurrencyLimit);
      this.concurrencyLimit = concurrencyLimit;
      return this;
    }

    /**
     * Sets the picks waiting for capacity.
     *
     * @param waiting 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code waiting} is negative
     */
    public Builder waiting(int waiting) {
      checkArgument(waiting >= 0, "waiting must not be negative but was %s", waiting);
      this.waiting = waiting;
      return this;
    }

    /**
     * Returns the statistics.
     *
     * @return a new immutable copy of what was set
     */
    public BalancerStats build() {
      return new BalancerStats(this);
    }
  }
}
