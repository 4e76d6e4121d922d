package dev.lb.grpc;

import dev.lb.StrategyRegistry;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Prequal;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import io.grpc.Metadata;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The parsed and validated {@code loadBalancingConfig} of one lb policy. Immutable.
 *
 * <p>The JSON object may hold:
 *
 * <ul>
 *   <li>{@code strategy} (string; only for the generic {@code lb} policy): a name {@link
 *       StrategyRegistry#byName} accepts;
 *   <li>{@code decayWindow} (duration string such as {@code "10s"} or {@code "0.5s"}): the time
 *       constant of time-decayed statistics;
 *   <li>{@code hashHeader} (string): a request header whose value is the call's affinity key;
 *       binary headers ({@code -bin}) give a byte-array key;
 *   <li>{@code failureStatuses} (array of status code names): the final statuses that count as the
 *       endpoint's failure; {@code CANCELLED} always counts as a cancellation and every other code
 *       as a success (the server answered);
 *   <li>{@code latencyExcludedMethods} (array of {@code methodConfig}-style names such as {@code
 *       {"service": "pkg.Watcher", "method": "Watch"}}; without {@code method}, every method of the
 *       service): methods whose calls give no latency sample (long polls, watches, any call whose
 *       duration is the caller's choice); they still count in flight and as successes or failures.
 *       Streaming calls of other methods are measured to their first response message;
 *   <li>{@code healthCheck} (object): active checks with the gRPC health protocol over each
 *       endpoint's subchannel: {@code service} (string, default {@code ""}), {@code interval}
 *       (default {@code "5s"}), {@code timeout} (default {@code "1s"}), {@code healthyThreshold}
 *       (rise, default 2) and {@code unhealthyThreshold} (fall, default 3);
 *   <li>for {@code orca_weighted_round_robin} only, gRFC A58's options: {@code blackoutPeriod}
 *       (default {@code "10s"}, {@code "0s"} allowed), {@code weightExpirationPeriod} ({@code
 *       "180s"}), {@code weightUpdatePeriod} ({@code "1s"}, at least 100 ms), {@code
 *       errorUtilizationPenalty} (number, 1.0), {@code enableOobLoadReport} (boolean, false: true
 *       streams ORCA's out-of-band reports instead of reading trailers) and {@code
 *       oobReportingPeriod} ({@code "10s"});
 *   <li>for {@code prequal} only, its options ({@link Prequal.Builder}): {@code probesPerPick}
 *       (number, 1.0), {@code poolSize} (8), {@code reuseBudget} (2), {@code maxProbeAge} ({@code
 *       "1s"}), {@code hotQuantile} (number, 0.8), {@code minEndpoints} (8), {@code probeTimeout}
 *       ({@code "0.5s"}), {@code probeDispatchPeriod} ({@code "0.001s"}) and {@code
 *       maxOutstandingProbes} (64);
 *   <li>the lb-core balancer options, read by {@link dev.lb.LoadBalancerConfig} (through {@link
 *       BalancerOptions}): {@code outlierDetection}, {@code slowStart}, {@code panicThreshold},
 *       {@code localZone}, {@code overprovisioningFactor}, {@code maxInFlightPerEndpoint}, {@code
 *       concurrencyLimitPerEndpoint} and {@code concurrencyLimit} ({@code algorithm} {@code fixed},
 *       {@code vegas} or {@code gradient} with its options) and {@code circuitBreaker}.
 * </ul>
 *
 * Unknown fields are rejected, so that a misspelt option is an error rather than silently ignored.
 */
final class PolicyConfig {
  static final Set<Status.Code> DEFAULT_FAILURE_STATUSES =
      Set.copyOf(
          EnumSet.of(
              Status.Code.UNAVAILABLE,
              Status.Code.DEADLINE_EXCEEDED,
              Status.Code.RESOURCE_EXHAUSTED,
              Status.Code.INTERNAL,
              Status.Code.UNKNOWN));

  private static final Duration DEFAULT_DECAY_WINDOW = Duration.ofSeconds(10);

  /** gRFC A58's options, for {@code orca_weighted_round_robin} only; their JSON names. */
  static final List<String> ORCA_FIELDS =
      List.of(
          "blackoutPeriod",
          "weightExpirationPeriod",
          "weightUpdatePeriod",
          "errorUtilizationPenalty",
          "enableOobLoadReport",
          "oobReportingPeriod");

  /** Prequal's options, for {@code prequal} only; their JSON names. */
  static final List<String> PREQUAL_FIELDS =
      List.of(
          "probesPerPick",
          "poolSize",
          "reuseBudget",
          "maxProbeAge",
          "hotQuantile",
          "minEndpoints",
          "probeTimeout",
          "probeDispatchPeriod",
          "maxOutstandingProbes");

  private static final List<String> FIELDS = fields();
  private static final List<String> HEALTH_FIELDS =
      List.of("service", "interval", "timeout", "healthyThreshold", "unhealthyThreshold");

  final Strategy strategy;
  final Duration decayWindow;
  final Metadata.@Nullable Key<String> hashHeader;
  final Metadata.@Nullable Key<byte[]> hashBinaryHeader;
  final OutcomeClassifier classifier;
  final MethodNames latencyExcluded;
  final @Nullable HealthCheckSpec healthCheck;
  final BalancerOptions balancerOptions;

  private PolicyConfig(
      Strategy strategy,
      Duration decayWindow,
      @Nullable String hashHeader,
      Set<Status.Code> failureStatuses,
      MethodNames latencyExcluded,
      @Nullable HealthCheckSpec healthCheck,
      BalancerOptions balancerOptions) {
    this.strategy = strategy;
    this.latencyExcluded = latencyExcluded;
    this.decayWindow = decayWindow;
    this.healthCheck = healthCheck;
    this.balancerOptions = balancerOptions;
    if (hashHeader == null) {
      this.hashHeader = null;
      this.hashBinaryHeader = null;
    } else if (hashHeader.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      this.hashHeader = null;
      this.hashBinaryHeader = Metadata.Key.of(hashHeader, Metadata.BINARY_BYTE_MARSHALLER);
    } else {
      this.hashHeader = Metadata.Key.of(hashHeader, Metadata.ASCII_STRING_MARSHALLER);
      this.hashBinaryHeader = null;
    }
    this.classifier = new OutcomeClassifier(failureStatuses);
  }

  /** The configuration used when the service config names the policy without options. */
  static PolicyConfig defaults(Strategy strategy) {
    return new PolicyConfig(
        strategy,
        DEFAULT_DECAY_WINDOW,
        null,
        DEFAULT_FAILURE_STATUSES,
        MethodNames.NONE,
        null,
        BalancerOptions.DEFAULTS);
  }

  private static List<String> fields() {
    List<String> fields =
        new ArrayList<>(
            List.of(
                "strategy",
                "decayWindow",
                "hashHeader",
                "failureStatuses",
                "latencyExcludedMethods",
                "healthCheck"));
    fields.addAll(ORCA_FIELDS);
    fields.addAll(PREQUAL_FIELDS);
    fields.addAll(BalancerOptions.FIELDS);
    return List.copyOf(fields);
  }

  /**
   * Parses {@code raw}, the policy's JSON object as gRPC hands it over (numbers as {@link Double},
   * arrays as {@link List}).
   *
   * @param policyName the policy's name, for error messages
   * @param fixedStrategy the policy's strategy, or null if the config chooses it ({@code lb})
   */
  static ConfigOrError parse(
      String policyName, @Nullable Strategy fixedStrategy, Map<String, ?> raw) {
    try {
      return ConfigOrError.fromConfig(parseOrThrow(policyName, fixedStrategy, raw));
    } catch (IllegalArgumentException e) {
      return ConfigOrError.fromError(
          Status.UNAVAILABLE.withDescription(
              "invalid " + policyName + " config " + raw + ": " + e.getMessage()));
    }
  }

  static PolicyConfig parseOrThrow(
      String policyName, @Nullable Strategy fixedStrategy, Map<String, ?> raw) {
    boolean orcaFields = fixedStrategy == null || fixedStrategy instanceof OrcaWeightedRoundRobin;
    boolean prequalFields = fixedStrategy == null || fixedStrategy instanceof Prequal;
    for (String field : raw.keySet()) {
      if (!FIELDS.contains(field)
          || (fixedStrategy != null && field.equals("strategy"))
          || (!orcaFields && ORCA_FIELDS.contains(field))
          || (!prequalFields && PREQUAL_FIELDS.contains(field))) {
        List<String> accepted = new ArrayList<>(FIELDS);
        if (fixedStrategy != null) {
          accepted.remove("strategy");
        }
        if (!orcaFields) {
          accepted.removeAll(ORCA_FIELDS);
        }
        if (!prequalFields) {
          accepted.removeAll(PREQUAL_FIELDS);
        }
        throw new IllegalArgumentException(
            "unknown field '" + field + "'; " + policyName + " accepts " + accepted);
      }
    }
    Strategy strategy = fixedStrategy;
    if (strategy == null) {
      String name = string(raw, "strategy");
      strategy = name == null ? Strategies.roundRobin() : StrategyRegistry.byName(name);
    }
    strategy = orcaOptions(strategy, raw);
    strategy = prequalOptions(strategy, raw);
    String window = string(raw, "decayWindow");
    Duration decayWindow = window == null ? DEFAULT_DECAY_WINDOW : duration("decayWindow", window);
    String header = string(raw, "hashHeader");
    if (header != null) {
      header = header.toLowerCase(Locale.ROOT);
      if (header.isEmpty() || header.startsWith(":") || header.startsWith("grpc-")) {
        throw new IllegalArgumentException(
            "hashHeader must be a request header name but was '" + header + "'");
      }
      try {
        // Metadata.Key.of rejects characters HTTP/2 does not allow in header names.
        if (header.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          Metadata.Key.of(header, Metadata.BINARY_BYTE_MARSHALLER);
        } else {
          Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "hashHeader must be a valid header name but was '" + header + "'", e);
      }
    }
    return new PolicyConfig(
        strategy,
        decayWindow,
        header,
        failureStatuses(raw),
        MethodNames.parse("latencyExcludedMethods", raw.get("latencyExcludedMethods")),
        healthCheck(raw.get("healthCheck")),
        BalancerOptions.parse(raw));
  }

  /**
   * Applies A58's options to {@code orca_weighted_round_robin}; rejects them for other strategies.
   * Durations are strings such as {@code "10s"}; {@code blackoutPeriod} may be {@code "0s"}.
   */
  private static Strategy orcaOptions(Strategy strategy, Map<String, ?> raw) {
    List<String> given = new ArrayList<>();
    for (String f : ORCA_FIELDS) {
      if (raw.containsKey(f)) {
        given.add(f);
      }
    }
    if (given.isEmpty()) {
      return strategy;
    }
    if (!(strategy instanceof OrcaWeightedRoundRobin orca)) {
      throw new IllegalArgumentException(
          given.get(0)
              + " is an option of "
              + OrcaWeightedRoundRobin.NAME
              + " only, but the strategy is "
              + strategy.name());
    }
    OrcaWeightedRoundRobin.Builder b = orca.toBuilder();
    String blackout = string(raw, "blackoutPeriod");
    if (blackout != null) {
      b.blackoutPeriod(
          isZeroDuration(blackout) ? Duration.ZERO : duration("blackoutPeriod", blackout));
    }
    String expiration = string(raw, "weightExpirationPeriod");
    if (expiration != null) {
      b.weightExpirationPeriod(duration("weightExpirationPeriod", expiration));
    }
    String update = string(raw, "weightUpdatePeriod");
    if (update != null) {
      b.weightUpdatePeriod(duration("weightUpdatePeriod", update));
    }
    String oobPeriod = string(raw, "oobReportingPeriod");
    if (oobPeriod != null) {
      b.oobReportingPeriod(duration("oobReportingPeriod", oobPeriod));
    }
    Object penalty = raw.get("errorUtilizationPenalty");
    if (penalty != null) {
      if (!(penalty instanceof Number n)) {
        throw new IllegalArgumentException(
            "errorUtilizationPenalty must be a number, 0 or more, but was " + describe(penalty));
      }
      b.errorUtilizationPenalty(n.doubleValue());
    }
    Object oob = raw.get("enableOobLoadReport");
    if (oob != null) {
      if (!(oob instanceof Boolean enabled)) {
        throw new IllegalArgumentException(
            "enableOobLoadReport must be true or false but was " + describe(oob));
      }
      b.enableOobLoadReport(enabled);
    }
    return b.build();
  }

  /** Applies Prequal's options to {@code prequal}; rejects them for other strategies. */
  private static Strategy prequalOptions(Strategy strategy, Map<String, ?> raw) {
    List<String> given = new ArrayList<>();
    for (String f : PREQUAL_FIELDS) {
      if (raw.containsKey(f)) {
        given.add(f);
      }
    }
    if (given.isEmpty()) {
      return strategy;
    }
    if (!(strategy instanceof Prequal prequal)) {
      throw new IllegalArgumentException(
          given.get(0)
              + " is an option of "
              + Prequal.NAME
              + " only, but the strategy is "
              + strategy.name());
    }
    Prequal.Builder b = prequal.toBuilder();
    Number rate = number(raw, "probesPerPick");
    if (rate != null) {
      b.probesPerPick(rate.doubleValue());
    }
    Number quantile = number(raw, "hotQuantile");
    if (quantile != null) {
      b.hotQuantile(quantile.doubleValue());
    }
    Integer pool = wholeNumber(raw, "poolSize");
    if (pool != null) {
      b.poolSize(pool);
    }
    Integer reuse = wholeNumber(raw, "reuseBudget");
    if (reuse != null) {
      b.reuseBudget(reuse);
    }
    Integer min = wholeNumber(raw, "minEndpoints");
    if (min != null) {
      b.minEndpoints(min);
    }
    Integer outstanding = wholeNumber(raw, "maxOutstandingProbes");
    if (outstanding != null) {
      b.maxOutstandingProbes(outstanding);
    }
    String age = string(raw, "maxProbeAge");
    if (age != null) {
      b.maxProbeAge(duration("maxProbeAge", age));
    }
    String timeout = string(raw, "probeTimeout");
    if (timeout != null) {
      b.probeTimeout(duration("probeTimeout", timeout));
    }
    String dispatch = string(raw, "probeDispatchPeriod");
    if (dispatch != null) {
      b.probeDispatchPeriod(duration("probeDispatchPeriod", dispatch));
    }
    return b.build();
  }

  private static @Nullable Number number(Map<String, ?> raw, String field) {
    Object v = raw.get(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException(field + " must be a number but was " + describe(v));
    }
    return n;
  }

  private static @Nullable Integer wholeNumber(Map<String, ?> raw, String field) {
    Number n = number(raw, field);
    if (n == null) {
      return null;
    }
    double d = n.doubleValue();
    if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(field + " must be a whole number but was " + describe(n));
    }
    return (int) d;
  }

  private static @Nullable HealthCheckSpec healthCheck(@Nullable Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          "healthCheck must be an object such as {\"interval\": \"5s\"} but was "
              + describe(value));
    }
    @SuppressWarnings("unchecked") // JSON objects have string keys
    Map<String, ?> raw = (Map<String, ?>) map;
    for (String field : raw.keySet()) {
      if (!HEALTH_FIELDS.contains(field)) {
        throw new IllegalArgumentException(
            "unknown field 'healthCheck." + field + "'; healthCheck accepts " + HEALTH_FIELDS);
      }
    }
    Object service = raw.get("service");
    if (service != null && !(service instanceof String)) {
      throw new IllegalArgumentException(
          "healthCheck.service must be a string but was " + describe(service));
    }
    String interval = string(raw, "interval");
    String timeout = string(raw, "timeout");
    return new HealthCheckSpec(
        service == null ? "" : (String) service,
        interval == null ? Duration.ofSeconds(5) : duration("healthCheck.interval", interval),
        timeout == null ? Duration.ofSeconds(1) : duration("healthCheck.timeout", timeout),
        threshold(raw, "healthyThreshold", 2),
        threshold(raw, "unhealthyThreshold", 3));
  }

  private static int threshold(Map<String, ?> raw, String field, int defaultValue) {
    Object value = raw.get(field);
    if (value == null) {
      return defaultValue;
    }
    if (value instanceof Number n
        && n.doubleValue() >= 1
        && n.doubleValue() <= 1000
        && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw new IllegalArgumentException(
        "healthCheck." + field + " must be a whole number in 1..1000 but was " + describe(value));
  }

  private static Set<Status.Code> failureStatuses(Map<String, ?> raw) {
    Object value = raw.get("failureStatuses");
    if (value == null) {
      return DEFAULT_FAILURE_STATUSES;
    }
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(
          "failureStatuses must be an array of status code names but was " + value);
    }
    EnumSet<Status.Code> codes = EnumSet.noneOf(Status.Code.class);
    for (Object item : list) {
      Status.Code code = null;
      if (item instanceof String s) {
        try {
          code = Status.Code.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          code = null;
        }
      }
      if (code == null || code == Status.Code.OK || code == Status.Code.CANCELLED) {
        throw new IllegalArgumentException(
            "failureStatuses entries must be status code names other than OK and CANCELLED,"
                + " such as \"UNAVAILABLE\", but one was "
                + (item instanceof String ? "\"" + item + "\"" : String.valueOf(item)));
      }
      codes.add(code);
    }
    return Set.copyOf(codes);
  }

  private static @Nullable String string(Map<String, ?> raw, String field) {
    Object value = raw.get(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(
          field + " must be a non-blank string but was " + describe(value));
    }
    return s.trim();
  }

  /** True for a zero duration string such as "0s" or "0.0s". */
  static boolean isZeroDuration(String text) {
    if (!text.endsWith("s")) {
      return false;
    }
    try {
      return new BigDecimal(text.substring(0, text.length() - 1)).signum() == 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Parses a protobuf JSON duration: decimal seconds followed by {@code s}, such as "1.5s". */
  static Duration duration(String field, String text) {
    Duration d = null;
    if (text.endsWith("s")) {
      try {
        BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - 1));
        d = Duration.ofNanos(seconds.movePointRight(9).longValueExact());
      } catch (NumberFormatException | ArithmeticException e) {
        d = null;
      }
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(
          field
              + " must be a positive duration such as \"10s\" or \"0.5s\" but was \""
              + text
              + "\"");
    }
    return d;
  }

  private static String describe(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  /** True if a balancer built for {@code other} would be the same as one built for this config. */
  boolean sameBalancer(PolicyConfig other) {
    return strategy.equals(other.strategy)
        && decayWindow.equals(other.decayWindow)
        && Objects.equals(healthCheck, other.healthCheck)
        && balancerOptions.equals(other.balancerOptions);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof PolicyConfig that
        && sameBalancer(that)
        && Objects.equals(hashHeader, that.hashHeader)
        && Objects.equals(hashBinaryHeader, that.hashBinaryHeader)
        && classifier.equals(that.classifier)
        && latencyExcluded.equals(that.latencyExcluded);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        strategy,
        decayWindow,
        hashHeader,
        hashBinaryHeader,
        classifier,
        latencyExcluded,
        healthCheck,
        balancerOptions);
  }

  @Override
  public String toString() {
    return "PolicyConfig{strategy="
        + strategy.name()
        + ", decayWindow="
        + decayWindow
        + ", hashHeader="
        + (hashHeader != null
            ? hashHeader.name()
            : hashBinaryHeader != null ? hashBinaryHeader.name() : "none")
        + ", "
        + classifier
        + (latencyExcluded.isEmpty() ? "" : ", latencyExcludedMethods=" + latencyExcluded)
        + (healthCheck == null ? "" : ", " + healthCheck)
        + (balancerOptions.equals(BalancerOptions.DEFAULTS) ? "" : ", " + balancerOptions)
        + "}";
  }

  /** The {@code healthCheck} option: what to ask and how often; immutable. */
  record HealthCheckSpec(String service, Duration interval, Duration timeout, int rise, int fall) {}
}
