package dev.lb.strategy;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.LoadReport;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Weighted round robin with weights from the load the backends report: gRPC's {@code
 * weighted_round_robin} policy (gRFC A58), named {@code orca_weighted_round_robin} here so that the
 * static {@link Strategies#weightedRoundRobin() weighted_round_robin} keeps its meaning. Backends
 * report their load with each response (ORCA: lb-okhttp reads the {@code endpoint-load-metrics}
 * header, lb-grpc the {@code endpoint-load-metrics-bin} trailer) or out of band ({@link
 * dev.lb.LoadBalancer#reportLoad}); each endpoint's weight is what it can serve per unit of
 * utilization, so an endpoint that runs hot for the same traffic gets less of it, even while its
 * latency does not show it yet.
 *
 * <h2>Design (gRFC A58)</h2>
 *
 * <p><b>Weight.</b> From an endpoint's latest report, {@code weight = qps / (utilization +
 * errorUtilizationPenalty x eps / qps)}, where {@code qps} is {@link
 * LoadReport#requestsPerSecond()}, {@code eps} {@link LoadReport#errorsPerSecond()} and {@code
 * utilization} {@link LoadReport#applicationUtilization()} if positive, else {@link
 * LoadReport#cpuUtilization()}. A report with {@code qps} or {@code utilization} at zero gives no
 * weight and is ignored (the previous weight stands until it expires). The error penalty makes an
 * endpoint that answers fast with errors (cheap for it, useless for the caller) look busier.
 *
 * <p><b>Blackout and expiry.</b> An endpoint's weight is used only once it has been reporting for
 * {@link Builder#blackoutPeriod blackoutPeriod} (10 s): the first reports of a fresh backend are
 * often not representative (cold caches, an empty queue). A weight whose last report is older than
 * {@link Builder#weightExpirationPeriod weightExpirationPeriod} (3 min) is dropped, and the
 * endpoint goes through blackout again when reports resume. Endpoints without a usable weight (new,
 * in blackout, expired, never reporting) get the mean of the usable weights; while fewer than two
 * endpoints have one, the picker uses the endpoints' static {@linkplain LiveEndpoint#weight()
 * weights} instead (plain weighted round robin by configuration, including slow start).
 *
 * <p><b>Updates off the pick path.</b> Weights are recomputed every {@link
 * Builder#weightUpdatePeriod weightUpdatePeriod} (1 s) by the balancer's scheduler ({@link
 * Picker#refresh}), serialized with membership changes, and published as a new immutable schedule
 * behind one volatile reference; picks never read a report or the clock. The per-endpoint state of
 * the rules above (when reporting began, when it last reported) lives with this strategy, keyed by
 * the endpoint's {@link LiveEndpoint} instance (which the balancer keeps for the whole membership),
 * so rebuilding the picker on a membership change does not restart anyone's blackout.
 *
 * <p><b>Scheduler.</b> A58's static stride scheduler, O(1) expected per pick, lock-free and
 * allocation-free: weights are scaled so the largest is {@code M} (65,536 here; A58 says 65,535, a
 * power of two is cheaper), and a cyclic sequence over {@code (generation, endpoint)} picks
 * endpoint {@code i} in generation {@code g} when {@code (w_i x g + offset_i) mod M >= M - w_i}, so
 * each endpoint takes {@code w_i / M} of the generations, spread evenly ({@code offset_i} staggers
 * the endpoints' phases). A pick skips the endpoints a generation leaves out; the heaviest endpoint
 * is never left out, which bounds a pick to one generation. As in gRPC's implementations, weights
 * are clamped to between 1% and 10 times the mean before scaling, which keeps the expected skips
 * per pick at most about 10 whatever the weights. The sequence is the {@link StripedSequence} round
 * robin uses, so two threads picking never share a counter's cache line.
 *
 * <p><b>Out-of-band reports.</b> {@link Builder#enableOobLoadReport enableOobLoadReport} and {@link
 * Builder#oobReportingPeriod oobReportingPeriod} are A58's switches for asking backends to stream
 * reports instead of attaching them to responses. This strategy weights by the latest report
 * whatever its source; the options are read by transports that can open such a stream: lb-grpc
 * opens ORCA's {@code OpenRcaService} stream on every subchannel and then ignores trailers;
 * lb-okhttp has no such stream and reads the response header either way.
 *
 * <p>Immutable and thread-safe: one instance may serve many balancers (each endpoint's state is its
 * own). Strategies are equal when their options are.
 */
public final class OrcaWeightedRoundRobin implements Strategy {
  /** The name this strategy goes by in {@link dev.lb.StrategyRegistry} and stats. */
  public static final String NAME = "orca_weighted_round_robin";

  /** A58: a weight update period below 100 ms is raised to 100 ms. */
  static final long MIN_UPDATE_NANOS = 100_000_000L;

  static final OrcaWeightedRoundRobin DEFAULT = builder().build();

  private final long blackoutNanos;
  private final long expirationNanos;
  private final long updateNanos;
  private final double errorUtilizationPenalty;
  private final boolean oob;
  private final long oobPeriodNanos;

  /**
   * Each endpoint's A58 state, across the pickers built for it. Weak keys: an endpoint the balancer
   * forgot takes its entry with it. Read and written on the balancers' serialized paths only
   * (picker builds and refreshes), never on a pick; synchronized because one strategy may serve
   * several balancers, each with its own path.
   */
  private final Map<LiveEndpoint, EndpointWeight> states =
      Collections.synchronizedMap(new WeakHashMap<>());

  private OrcaWeightedRoundRobin(Builder b) {
    this.blackoutNanos = b.blackoutNanos;
    this.expirationNanos = b.expirationNanos;
    this.updateNanos = Math.max(MIN_UPDATE_NANOS, b.updateNanos);
    this.errorUtilizationPenalty = b.errorUtilizationPenalty;
    this.oob = b.oob;
    this.oobPeriodNanos = b.oobPeriodNanos;
  }

  /**
   * Starts a builder with A58's defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder with this strategy's options.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.blackoutNanos = blackoutNanos;
    b.expirationNanos = expirationNanos;
    b.updateNanos = updateNanos;
    b.errorUtilizationPenalty = errorUtilizationPenalty;
    b.oob = oob;
    b.oobPeriodNanos = oobPeriodNanos;
    return b;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * How long an endpoint must have been reporting before its weight is used.
   *
   * @return the blackout period; 10 s by default
   */
  public Duration blackoutPeriod() {
    return Duration.ofNanos(blackoutNanos);
  }

  /**
   * How old an endpoint's last report may be before its weight is dropped.
   *
   * @return the weight expiration period; 3 min by default
   */
  public Duration weightExpirationPeriod() {
    return Duration.ofNanos(expirationNanos);
  }

  /**
   * How often weights are recomputed.
   *
   * @return the weight update period, at least 100 ms; 1 s by default
   */
  public Duration weightUpdatePeriod() {
    return Duration.ofNanos(updateNanos);
  }

  /**
   * The multiplier of {@code eps / qps} added to utilization.
   *
   * @return the error utilization penalty, 0 or more; 1.0 by default
   */
  public double errorUtilizationPenalty() {
    return errorUtilizationPenalty;
  }

  /**
   * Whether transports should ask backends for out-of-band reports instead of per-call ones.
   *
   * @return true if out-of-band reporting is asked for; false by default
   */
  public boolean enableOobLoadReport() {
    return oob;
  }

  /**
   * The interval at which out-of-band reports are asked for.
   *
   * @return the out-of-band reporting period; 10 s by default
   */
  public Duration oobReportingPeriod() {
    return Duration.ofNanos(oobPeriodNanos);
  }

  @Override
  public boolean usesLoadReports() {
    return true;
  }

  @Override
  public long refreshPeriodNanos() {
    return updateNanos;
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = StrategyArguments.endpoints(endpoints, context, name());
    EndpointWeight[] weights = new EndpointWeight[array.length];
    synchronized (states) {
      for (int i = 0; i < array.length; i++) {
        weights[i] = states.computeIfAbsent(array[i], e -> new EndpointWeight());
      }
    }
    OrcaPicker picker = new OrcaPicker(this, array, weights, context);
    picker.refresh(context.ticker().read());
    return picker;
  }

  /**
   * The weight of one report by A58's formula, or 0 if it gives none (no qps or no utilization).
   */
  double weightOf(LoadReport report) {
    double qps = report.requestsPerSecond();
    double utilization =
        report.applicationUtilization() > 0
            ? report.applicationUtilization()
            : report.cpuUtilization();
    if (qps <= 0 || utilization <= 0) {
      return 0;
    }
    double w = qps / (utilization + errorUtilizationPenalty * report.errorsPerSecond() / qps);
    return Double.isFinite(w) && w > 0 ? w : 0;
  }

  /**
   * One endpoint's A58 state: the weight of its latest usable report, when that arrived, and since
   * when it has been reporting without a gap longer than the expiration period. Mutated on the
   * serialized path only (see {@link #states}).
   */
  static final class EndpointWeight {
    static final long NEVER = Long.MIN_VALUE;

    long seenReceivedAt = NEVER;
    long nonEmptySince = NEVER;
    long lastUpdated = NEVER;
    double weight;

    /** Takes in the endpoint's latest report if it is new since the last look. */
    void observe(@Nullable LoadReport report, OrcaWeightedRoundRobin strategy) {
      if (report == null || report.receivedAtNanos() == seenReceivedAt) {
        return;
      }
      seenReceivedAt = report.receivedAtNanos();
      double w = strategy.weightOf(report);
      if (w <= 0) {
        return; // A58: a report without qps or utilization leaves the weight as it was
      }
      if (nonEmptySince == NEVER) {
        nonEmptySince = report.receivedAtNanos();
      }
      lastUpdated = report.receivedAtNanos();
      weight = w;
    }

    /** The weight to use at {@code now}: 0 while in blackout, before any report, or expired. */
    double weightAt(long now, OrcaWeightedRoundRobin strategy) {
      if (nonEmptySince == NEVER) {
        return 0;
      }
      if (now - lastUpdated >= strategy.expirationNanos) {
        nonEmptySince = NEVER; // reports that resume start a new blackout
        return 0;
      }
      if (strategy.blackoutNanos > 0 && now - nonEmptySince < strategy.blackoutNanos) {
        return 0;
      }
      return weight;
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof OrcaWeightedRoundRobin that
        && blackoutNanos == that.blackoutNanos
        && expirationNanos == that.expirationNanos
        && updateNanos == that.updateNanos
        && Double.compare(errorUtilizationPenalty, that.errorUtilizationPenalty) == 0
        && oob == that.oob
        && oobPeriodNanos == that.oobPeriodNanos;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        blackoutNanos, expirationNanos, updateNanos, errorUtilizationPenalty, oob, oobPeriodNanos);
  }

  @Override
  public String toString() {
    return NAME
        + "{blackoutPeriod="
        + blackoutPeriod()
        + ", weightExpirationPeriod="
        + weightExpirationPeriod()
        + ", weightUpdatePeriod="
        + weightUpdatePeriod()
        + ", errorUtilizationPenalty="
        + errorUtilizationPenalty
        + ", enableOobLoadReport="
        + oob
        + ", oobReportingPeriod="
        + oobReportingPeriod()
        + "}";
  }

  /**
   * Builds an {@link OrcaWeightedRoundRobin}; starts with A58's defaults. Each setter validates its
   * value and names the option in its message. Not thread-safe.
   */
  public static final class Builder {
    private long blackoutNanos = Duration.ofSeconds(10).toNanos();
    private long expirationNanos = Duration.ofMinutes(3).toNanos();
    private long updateNanos = Duration.ofSeconds(1).toNanos();
    private double errorUtilizationPenalty = 1.0;
    private boolean oob;
    private long oobPeriodNanos = Duration.ofSeconds(10).toNanos();

    private Builder() {}

    /**
     * Sets how long an endpoint must have been reporting before its weight is used.
     *
     * @param period 0 or more; 0 uses weights from the first report
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is negative
     */
    public Builder blackoutPeriod(Duration period) {
      this.blackoutNanos = nanos("blackoutPeriod", period, true);
      return this;
    }

    /**
     * Sets how old a weight's last report may be before the weight is dropped.
     *
     * @param period positive
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public Builder weightExpirationPeriod(Duration period) {
      this.expirationNanos = nanos("weightExpirationPeriod", period, false);
      return this;
    }

    /**
     * Sets how often weights are recomputed; below 100 ms counts as 100 ms (as in A58).
     *
     * @param period positive
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public Builder weightUpdatePeriod(Duration period) {
      this.updateNanos = nanos("weightUpdatePeriod", period, false);
      return this;
    }

    /**
     * Sets the multiplier of {@code eps / qps} added to utilization.
     *
     * @param penalty 0 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if {@code penalty} is negative, NaN or infinite
     */
    public Builder errorUtilizationPenalty(double penalty) {
      checkArgument(
          penalty >= 0 && Double.isFinite(penalty),
          "errorUtilizationPenalty must be a finite number, 0 or more, but was %s",
          penalty);
      this.errorUtilizationPenalty = penalty;
      return this;
    }

    /**
     * Sets whether transports should ask for out-of-band reports instead of per-call ones.
     *
     * @param enabled true to ask for out-of-band reports
     * @return this builder
     */
    public Builder enableOobLoadReport(boolean enabled) {
      this.oob = enabled;
      return this;
    }

    /**
     * Sets the interval at which out-of-band reports are asked for.
     *
     * @param period positive
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public Builder oobReportingPeriod(Duration period) {
      this.oobPeriodNanos = nanos("oobReportingPeriod", period, false);
      return this;
    }

    private static long nanos(String option, Duration d, boolean zeroAllowed) {
      checkNotNull(d, option);
      checkArgument(
          zeroAllowed ? !d.isNegative() : !d.isNegative() && !d.isZero(),
          "%s must be %s but was %s",
          option,
          zeroAllowed ? "0 or more" : "positive",
          d);
      try {
        return d.toNanos();
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE;
      }
    }

    /**
     * Returns the strategy.
     *
     * @return a new strategy with these options
     */
    public OrcaWeightedRoundRobin build() {
      return new OrcaWeightedRoundRobin(this);
    }
  }
}
