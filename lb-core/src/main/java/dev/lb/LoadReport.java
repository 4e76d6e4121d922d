package dev.lb;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A backend's report of its own load: utilizations, the rate of requests and errors it serves,
 * calls in flight and named application metrics, as ORCA (Open Request Cost Aggregation, the {@code
 * xds.data.orca.v3.OrcaLoadReport} message of gRFC A51) defines them. A backend sends one with a
 * response (lb-okhttp reads the {@code endpoint-load-metrics} header, lb-grpc the {@code
 * endpoint-load-metrics-bin} trailer) or on a stream of its own; the caller hands it to the
 * balancer with {@link Lease#onLoadReport} or {@link LoadBalancer#reportLoad}, which stamps it with
 * its {@link Ticker}'s time of receipt and keeps the latest one per endpoint for strategies ({@link
 * dev.lb.strategy.LiveEndpoint#loadReport()}) and for {@link EndpointStats#loadReport()}.
 *
 * <p>A value that ORCA leaves at zero means "not reported": a report with only {@code
 * cpu_utilization} says nothing about memory. {@link #requestsInFlight()} is the exception: ORCA
 * has no such field, so -1 means not reported and 0 an idle backend.
 *
 * <pre>{@code
 * LoadReport report = LoadReport.builder()
 *     .cpuUtilization(0.42)
 *     .requestsPerSecond(120)
 *     .errorsPerSecond(1.5)
 *     .namedMetric("queue_depth", 7)
 *     .build();
 * lease.onLoadReport(report);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the maps are unmodifiable copies.
 */
@Experimental("new in 0.1; more ORCA fields may be added")
public final class LoadReport {
  /** What {@link #receivedAtNanos()} returns for a report not yet handed to a balancer. */
  public static final long NOT_RECEIVED = Long.MIN_VALUE;

  private static final LoadReport EMPTY = builder().build();

  private final double cpuUtilization;
  private final double memoryUtilization;
  private final double applicationUtilization;
  private final double requestsPerSecond;
  private final double errorsPerSecond;
  private final int requestsInFlight;
  private final Map<String, Double> namedMetrics;
  private final Map<String, Double> requestCost;
  private final Map<String, Double> utilization;
  private final long receivedAtNanos;

  private LoadReport(Builder b, long receivedAtNanos) {
    this.cpuUtilization = b.cpuUtilization;
    this.memoryUtilization = b.memoryUtilization;
    this.applicationUtilization = b.applicationUtilization;
    this.requestsPerSecond = b.requestsPerSecond;
    this.errorsPerSecond = b.errorsPerSecond;
    this.requestsInFlight = b.requestsInFlight;
    this.namedMetrics = copy(b.namedMetrics);
    this.requestCost = copy(b.requestCost);
    this.utilization = copy(b.utilization);
    this.receivedAtNanos = receivedAtNanos;
  }

  private LoadReport(LoadReport r, long receivedAtNanos) {
    this.cpuUtilization = r.cpuUtilization;
    this.memoryUtilization = r.memoryUtilization;
    this.applicationUtilization = r.applicationUtilization;
    this.requestsPerSecond = r.requestsPerSecond;
    this.errorsPerSecond = r.errorsPerSecond;
    this.requestsInFlight = r.requestsInFlight;
    this.namedMetrics = r.namedMetrics;
    this.requestCost = r.requestCost;
    this.utilization = r.utilization;
    this.receivedAtNanos = receivedAtNanos;
  }

  private static Map<String, Double> copy(@Nullable Map<String, Double> m) {
    return m == null || m.isEmpty()
        ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /**
   * Starts a report with nothing reported.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A report with nothing reported; an ORCA header or trailer without fields parses to it.
   *
   * @return the shared empty report
   */
  public static LoadReport empty() {
    return EMPTY;
  }

  /**
   * Starts a builder with this report's values (not its time of receipt).
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.cpuUtilization = cpuUtilization;
    b.memoryUtilization = memoryUtilization;
    b.applicationUtilization = applicationUtilization;
    b.requestsPerSecond = requestsPerSecond;
    b.errorsPerSecond = errorsPerSecond;
    b.requestsInFlight = requestsInFlight;
    b.namedMetrics = namedMetrics.isEmpty() ? null : new LinkedHashMap<>(namedMetrics);
    b.requestCost = requestCost.isEmpty() ? null : new LinkedHashMap<>(requestCost);
    b.utilization = utilization.isEmpty() ? null : new LinkedHashMap<>(utilization);
    return b;
  }

  /**
   * This report as received at {@code nanos}. Balancers stamp each report they are given with their
   * own clock (whatever stamp it had); a custom {@link dev.lb.strategy.LiveEndpoint} (a
   * simulator's, a test's) stamps its reports with this.
   *
   * @param nanos a reading of the balancer's {@link Ticker}
   * @return a copy with {@link #receivedAtNanos()} set, sharing this report's maps
   */
  public LoadReport receivedAt(long nanos) {
    return new LoadReport(this, nanos);
  }

  /**
   * CPU utilization as a fraction of the CPU available to the backend ({@code cpu_utilization});
   * may exceed 1 when the backend uses more than its soft limit.
   *
   * @return 0 or more; 0 if not reported
   */
  public double cpuUtilization() {
    return cpuUtilization;
  }

  /**
   * Memory utilization as a fraction of the memory available ({@code mem_utilization}).
   *
   * @return 0 to 1; 0 if not reported
   */
  public double memoryUtilization() {
    return memoryUtilization;
  }

  /**
   * The backend's own measure of how busy it is, as a fraction of its capacity ({@code
   * application_utilization}); when positive, weighted round robin uses it instead of {@link
   * #cpuUtilization()}.
   *
   * @return 0 or more; 0 if not reported
   */
  public double applicationUtilization() {
    return applicationUtilization;
  }

  /**
   * Requests per second the backend serves, over all its services ({@code rps_fractional}).
   *
   * @return 0 or more; 0 if not reported
   */
  public double requestsPerSecond() {
    return requestsPerSecond;
  }

  /**
   * Errors per second the backend answers with ({@code eps}).
   *
   * @return 0 or more; 0 if not reported
   */
  public double errorsPerSecond() {
    return errorsPerSecond;
  }

  /**
   * Requests the backend is serving now, as it counts them (not an ORCA field).
   *
   * @return 0 or more, or -1 if not reported
   */
  public int requestsInFlight() {
    return requestsInFlight;
  }

  /**
   * Application metrics by name ({@code named_metrics}).
   *
   * @return an unmodifiable map, empty if none were reported
   */
  public Map<String, Double> namedMetrics() {
    return namedMetrics;
  }

  /**
   * Costs of the request this report came with, by name ({@code request_cost}), such as bytes of
   * storage touched.
   *
   * @return an unmodifiable map, empty if none were reported
   */
  public Map<String, Double> requestCost() {
    return requestCost;
  }

  /**
   * Utilizations of other resources, as fractions, by name ({@code utilization}).
   *
   * @return an unmodifiable map, empty if none were reported
   */
  public Map<String, Double> utilization() {
    return utilization;
  }

  /**
   * When the balancer received the report, on its {@link Ticker}: how stale it is, is {@code
   * ticker.read() - receivedAtNanos()}.
   *
   * @return a reading of the balancer's ticker, or {@link #NOT_RECEIVED} for a report not yet
   *     handed to a balancer
   */
  public long receivedAtNanos() {
    return receivedAtNanos;
  }

  /**
   * Returns true if nothing was reported: every value zero (in flight -1) and every map empty.
   *
   * @return true for a report that carries no information
   */
  public boolean isEmpty() {
    return cpuUtilization == 0
        && memoryUtilization == 0
        && applicationUtilization == 0
        && requestsPerSecond == 0
        && errorsPerSecond == 0
        && requestsInFlight < 0
        && namedMetrics.isEmpty()
        && requestCost.isEmpty()
        && utilization.isEmpty();
  }

  /** Equal values and equal time of receipt. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof LoadReport r
        && Double.compare(cpuUtilization, r.cpuUtilization) == 0
        && Double.compare(memoryUtilization, r.memoryUtilization) == 0
        && Double.compare(applicationUtilization, r.applicationUtilization) == 0
        && Double.compare(requestsPerSecond, r.requestsPerSecond) == 0
        && Double.compare(errorsPerSecond, r.errorsPerSecond) == 0
        && requestsInFlight == r.requestsInFlight
        && namedMetrics.equals(r.namedMetrics)
        && requestCost.equals(r.requestCost)
        && utilization.equals(r.utilization)
        && receivedAtNanos == r.receivedAtNanos;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        cpuUtilization,
        memoryUtilization,
        applicationUtilization,
        requestsPerSecond,
        errorsPerSecond,
        requestsInFlight,
        namedMetrics,
        requestCost,
        utilization,
        receivedAtNanos);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("LoadReport{");
    append(s, "cpu", cpuUtilization);
    append(s, "mem", memoryUtilization);
    append(s, "app", applicationUtilization);
    append(s, "rps", requestsPerSecond);
    append(s, "eps", errorsPerSecond);
    if (requestsInFlight >= 0) {
      s.append("inFlight=").append(requestsInFlight).append(", ");
    }
    if (!namedMetrics.isEmpty()) {
      s.append("named=").append(namedMetrics).append(", ");
    }
    if (!requestCost.isEmpty()) {
      s.append("cost=").append(requestCost).append(", ");
    }
    if (!utilization.isEmpty()) {
      s.append("utilization=").append(utilization).append(", ");
    }
    if (s.charAt(s.length() - 1) == ' ') {
      s.setLength(s.length() - 2);
    }
    return s.append('}').toString();
  }

  private static void append(StringBuilder s, String name, double value) {
    if (value != 0) {
      s.append(name).append('=').append(value).append(", ");
    }
  }

  /**
   * Builds a {@link LoadReport}; each setter validates its value and names the ORCA field in its
   * message. Not thread-safe.
   */
  public static final class Builder {
    private double cpuUtilization;
    private double memoryUtilization;
    private double applicationUtilization;
    private double requestsPerSecond;
    private double errorsPerSecond;
    private int requestsInFlight = -1;
    private @Nullable Map<String, Double> namedMetrics;
    private @Nullable Map<String, Double> requestCost;
    private @Nullable Map<String, Double> utilization;

    private Builder() {}

    /**
     * Sets {@link LoadReport#cpuUtilization()}.
     *
     * @param value a fraction, 0 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is negative, NaN or infinite
     */
    public Builder cpuUtilization(double value) {
      this.cpuUtilization = nonNegative("cpu_utilization", value);
      return this;
    }

    /**
     * Sets {@link LoadReport#memoryUtilization()}.
     *
     * @param value a fraction from 0 to 1
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is not in [0, 1]
     */
    public Builder memoryUtilization(double value) {
      checkArgument(
          value >= 0 && value <= 1, "mem_utilization must be in [0, 1] but was %s", value);
      this.memoryUtilization = value;
      return this;
    }

    /**
     * Sets {@link LoadReport#applicationUtilization()}.
     *
     * @param value a fraction, 0 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is negative, NaN or infinite
     */
    public Builder applicationUtilization(double value) {
      this.applicationUtilization = nonNegative("application_utilization", value);
      return this;
    }

    /**
     * Sets {@link LoadReport#requestsPerSecond()}.
     *
     * @param value requests per second, 0 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is negative, NaN or infinite
     */
    public Builder requestsPerSecond(double value) {
      this.requestsPerSecond = nonNegative("rps_fractional", value);
      return this;
    }

    /**
     * Sets {@link LoadReport#errorsPerSecond()}.
     *
     * @param value errors per second, 0 or more, finite
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is negative, NaN or infinite
     */
    public Builder errorsPerSecond(double value) {
      this.errorsPerSecond = nonNegative("eps", value);
      return this;
    }

    /**
     * Sets {@link LoadReport#requestsInFlight()}.
     *
     * @param value requests being served, 0 or more, or -1 for not reported
     * @return this builder
     * @throws IllegalArgumentException if {@code value} is below -1
     */
    public Builder requestsInFlight(int value) {
      checkArgument(value >= -1, "requests_in_flight must be -1 or more but was %s", value);
      this.requestsInFlight = value;
      return this;
    }

    /**
     * Adds (or replaces) a named metric.
     *
     * @param name the metric's name; must not be null or empty
     * @param value its value; finite
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty or {@code value} not finite
     */
    public Builder namedMetric(String name, double value) {
      namedMetrics = put(namedMetrics, "named_metrics", name, value);
      return this;
    }

    /**
     * Adds (or replaces) a request cost.
     *
     * @param name the cost's name; must not be null or empty
     * @param value its value; finite
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty or {@code value} not finite
     */
    public Builder requestCost(String name, double value) {
      requestCost = put(requestCost, "request_cost", name, value);
      return this;
    }

    /**
     * Adds (or replaces) the utilization of a named resource.
     *
     * @param name the resource's name; must not be null or empty
     * @param value a fraction, 0 or more, finite
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is empty or {@code value} negative or not
     *     finite
     */
    public Builder utilization(String name, double value) {
      nonNegative("utilization." + name, value);
      utilization = put(utilization, "utilization", name, value);
      return this;
    }

    private static Map<String, Double> put(
        @Nullable Map<String, Double> map, String field, String name, double value) {
      checkNotNull(name, field + " name");
      checkArgument(!name.isEmpty(), "%s names must not be empty", field);
      checkArgument(
          Double.isFinite(value), "%s.%s must be a finite number but was %s", field, name, value);
      Map<String, Double> m = map == null ? new LinkedHashMap<>() : map;
      m.put(name, value);
      return m;
    }

    private static double nonNegative(String field, double value) {
      checkArgument(
          value >= 0 && Double.isFinite(value),
          "%s must be a finite number, 0 or more, but was %s",
          field,
          value);
      return value;
    }

    /**
     * Returns the report.
     *
     * @return a new immutable report, not yet received ({@link LoadReport#NOT_RECEIVED})
     */
    public LoadReport build() {
      return new LoadReport(this, NOT_RECEIVED);
    }
  }
}
