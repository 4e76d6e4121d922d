package dev.lb.grpc;

import dev.lb.LoadBalancer;
import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The options of a policy's service config that configure its lb-core {@link LoadBalancer}: outlier
 * detection, slow start, panic threshold, local zone, overprovisioning factor, the per-endpoint
 * concurrency cap and circuit breaker. Parsed and validated once, with errors that name the option
 * by its JSON path and quote the value; immutable.
 *
 * <p>Two option sets are equal when their parsed values are, so an unchanged service config keeps
 * the channel's balancer (and its statistics); any change builds a new one.
 */
final class BalancerOptions {
  static final List<String> FIELDS =
      List.of(
          "outlierDetection",
          "slowStart",
          "panicThreshold",
          "localZone",
          "overprovisioningFactor",
          "maxInFlightPerEndpoint",
          "circuitBreaker");

  private static final List<String> OUTLIER_FIELDS =
      List.of(
          "interval",
          "baseEjectionTime",
          "maxEjectionTime",
          "maxEjectionPercent",
          "consecutiveFailures",
          "successRate",
          "failurePercentage");
  private static final List<String> SUCCESS_RATE_FIELDS =
      List.of("stdevFactor", "minimumHosts", "requestVolume");
  private static final List<String> FAILURE_PERCENTAGE_FIELDS =
      List.of("threshold", "minimumHosts", "requestVolume");
  private static final List<String> SLOW_START_FIELDS =
      List.of("window", "minWeightPercent", "aggression");
  private static final List<String> BREAKER_FIELDS =
      List.of(
          "failureRateThreshold",
          "slowCallRateThreshold",
          "slowCallDurationThreshold",
          "slidingWindowType",
          "slidingWindowSize",
          "minimumNumberOfCalls",
          "consecutiveFailureThreshold",
          "waitDurationInOpenState",
          "permittedNumberOfCallsInHalfOpenState",
          "maxWaitDurationInHalfOpenState");

  static final BalancerOptions DEFAULTS = new BalancerOptions(Map.of());

  // The parsed values by option, for equality and toString; the objects below are built from them.
  private final Map<String, Object> values;
  private final @Nullable OutlierDetection outlierDetection;
  private final @Nullable SlowStart slowStart;
  private final @Nullable Integer panicThreshold;
  private final @Nullable String localZone;
  private final @Nullable Double overprovisioningFactor;
  private final @Nullable Integer maxInFlightPerEndpoint;
  private final @Nullable CircuitBreakerConfig circuitBreaker;

  private BalancerOptions(Map<String, ?> raw) {
    Map<String, Object> parsed = new LinkedHashMap<>();
    this.outlierDetection = outlierDetection(raw.get("outlierDetection"), parsed);
    this.slowStart = slowStart(raw.get("slowStart"), parsed);
    this.panicThreshold = whole(raw, "panicThreshold", "panicThreshold", 0, 100, parsed);
    Object zone = raw.get("localZone");
    if (zone != null) {
      if (!(zone instanceof String s) || s.isBlank()) {
        throw new IllegalArgumentException(
            "localZone must be a non-blank string but was " + describe(zone));
      }
      this.localZone = s.trim();
      parsed.put("localZone", localZone);
    } else {
      this.localZone = null;
    }
    this.overprovisioningFactor =
        number(raw, "overprovisioningFactor", "overprovisioningFactor", 1, false, parsed);
    this.maxInFlightPerEndpoint =
        whole(
            raw, "maxInFlightPerEndpoint", "maxInFlightPerEndpoint", 1, Integer.MAX_VALUE, parsed);
    this.circuitBreaker = circuitBreaker(raw.get("circuitBreaker"), parsed);
    this.values = Map.copyOf(parsed);
  }

  /**
   * Parses the balancer options of a policy's JSON object; other fields are ignored here.
   *
   * @throws IllegalArgumentException naming the option and quoting the value, if one is invalid
   */
  static BalancerOptions parse(Map<String, ?> raw) {
    for (String field : FIELDS) {
      if (raw.containsKey(field)) {
        return new BalancerOptions(raw);
      }
    }
    return DEFAULTS;
  }

  /** Sets every configured option on {@code builder}; unset ones keep lb-core's defaults. */
  void applyTo(LoadBalancer.Builder builder) {
    if (outlierDetection != null) {
      builder.outlierDetection(outlierDetection);
    }
    if (slowStart != null) {
      builder.slowStart(slowStart);
    }
    if (panicThreshold != null) {
      builder.panicThreshold(panicThreshold);
    }
    if (localZone != null) {
      builder.localZone(localZone);
    }
    if (overprovisioningFactor != null) {
      builder.overprovisioningFactor(overprovisioningFactor);
    }
    if (maxInFlightPerEndpoint != null) {
      builder.maxInFlightPerEndpoint(maxInFlightPerEndpoint);
    }
    if (circuitBreaker != null) {
      builder.circuitBreakers(CircuitBreakerFactory.of(circuitBreaker));
    }
  }

  private static @Nullable OutlierDetection outlierDetection(
      @Nullable Object value, Map<String, Object> parsed) {
    if (value == null) {
      return null;
    }
    if (value instanceof Boolean on) {
      parsed.put("outlierDetection", on);
      return on ? OutlierDetection.defaults() : OutlierDetection.disabled();
    }
    Map<String, ?> raw =
        object(value, "outlierDetection", OUTLIER_FIELDS, "{\"interval\": \"10s\"}");
    Map<String, Object> p = new LinkedHashMap<>();
    OutlierDetection.Builder b = OutlierDetection.builder();
    Duration interval = duration(raw, "interval", "outlierDetection.interval", false, p);
    Duration base =
        duration(raw, "baseEjectionTime", "outlierDetection.baseEjectionTime", false, p);
    Duration max = duration(raw, "maxEjectionTime", "outlierDetection.maxEjectionTime", false, p);
    Integer maxPercent =
        whole(raw, "maxEjectionPercent", "outlierDetection.maxEjectionPercent", 0, 100, p);
    Integer consecutive =
        whole(
            raw,
            "consecutiveFailures",
            "outlierDetection.consecutiveFailures",
            0,
            Integer.MAX_VALUE,
            p);
    if (interval != null) {
      b.interval(interval);
    }
    if (base != null) {
      b.baseEjectionTime(base);
    }
    if (max != null) {
      b.maxEjectionTime(max);
    }
    if (maxPercent != null) {
      b.maxEjectionPercent(maxPercent);
    }
    if (consecutive != null) {
      b.consecutiveFailures(consecutive);
    }
    Object successRate = raw.get("successRate");
    if (successRate instanceof Boolean on) {
      b.successRate(on);
      p.put("successRate", on);
    } else if (successRate != null) {
      Map<String, ?> sr =
          object(
              successRate,
              "outlierDetection.successRate",
              SUCCESS_RATE_FIELDS,
              "{\"stdevFactor\": 1.9}");
      Map<String, Object> q = new LinkedHashMap<>();
      Double factor =
          number(sr, "stdevFactor", "outlierDetection.successRate.stdevFactor", 0, true, q);
      Integer hosts =
          whole(
              sr,
              "minimumHosts",
              "outlierDetection.successRate.minimumHosts",
              1,
              Integer.MAX_VALUE,
              q);
      Integer volume =
          whole(
              sr,
              "requestVolume",
              "outlierDetection.successRate.requestVolume",
              1,
              Integer.MAX_VALUE,
              q);
      b.successRate(
          factor == null ? 1.9 : factor, hosts == null ? 5 : hosts, volume == null ? 100 : volume);
      p.put("successRate", q);
    }
    Object failurePercentage = raw.get("failurePercentage");
    if (failurePercentage instanceof Boolean on) {
      b.failurePercentage(on);
      p.put("failurePercentage", on);
    } else if (failurePercentage != null) {
      Map<String, ?> fp =
          object(
              failurePercentage,
              "outlierDetection.failurePercentage",
              FAILURE_PERCENTAGE_FIELDS,
              "{\"threshold\": 85}");
      Map<String, Object> q = new LinkedHashMap<>();
      Integer threshold =
          whole(fp, "threshold", "outlierDetection.failurePercentage.threshold", 0, 100, q);
      Integer hosts =
          whole(
              fp,
              "minimumHosts",
              "outlierDetection.failurePercentage.minimumHosts",
              1,
              Integer.MAX_VALUE,
              q);
      Integer volume =
          whole(
              fp,
              "requestVolume",
              "outlierDetection.failurePercentage.requestVolume",
              1,
              Integer.MAX_VALUE,
              q);
      b.failurePercentage(
          threshold == null ? 85 : threshold,
          hosts == null ? 5 : hosts,
          volume == null ? 50 : volume);
      p.put("failurePercentage", q);
    }
    parsed.put("outlierDetection", p);
    return b.build();
  }

  private static @Nullable SlowStart slowStart(@Nullable Object value, Map<String, Object> parsed) {
    if (value == null) {
      return null;
    }
    Map<String, ?> raw = object(value, "slowStart", SLOW_START_FIELDS, "{\"window\": \"30s\"}");
    Map<String, Object> p = new LinkedHashMap<>();
    Duration window = duration(raw, "window", "slowStart.window", false, p);
    if (window == null) {
      throw new IllegalArgumentException(
          "slowStart.window is required: a positive duration such as \"30s\"");
    }
    Integer minPercent = whole(raw, "minWeightPercent", "slowStart.minWeightPercent", 1, 100, p);
    Double aggression = number(raw, "aggression", "slowStart.aggression", 0, true, p);
    SlowStart s = SlowStart.of(window);
    if (minPercent != null) {
      s = s.withMinWeightPercent(minPercent);
    }
    if (aggression != null) {
      s = s.withAggression(aggression);
    }
    parsed.put("slowStart", p);
    return s;
  }

  private static @Nullable CircuitBreakerConfig circuitBreaker(
      @Nullable Object value, Map<String, Object> parsed) {
    if (value == null) {
      return null;
    }
    Map<String, ?> raw =
        object(value, "circuitBreaker", BREAKER_FIELDS, "{\"failureRateThreshold\": 50}");
    Map<String, Object> p = new LinkedHashMap<>();
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.builder();
    Double failureRate =
        percentage(raw, "failureRateThreshold", "circuitBreaker.failureRateThreshold", p);
    Double slowRate =
        percentage(raw, "slowCallRateThreshold", "circuitBreaker.slowCallRateThreshold", p);
    Duration slowCall =
        duration(
            raw, "slowCallDurationThreshold", "circuitBreaker.slowCallDurationThreshold", false, p);
    String windowType = null;
    Object type = raw.get("slidingWindowType");
    if (type != null) {
      String t = type instanceof String s ? s.trim().toUpperCase(Locale.ROOT) : "";
      if (!t.equals("COUNT_BASED") && !t.equals("TIME_BASED")) {
        throw new IllegalArgumentException(
            "circuitBreaker.slidingWindowType must be \"COUNT_BASED\" or \"TIME_BASED\" but was "
                + describe(type));
      }
      windowType = t;
      p.put("slidingWindowType", t);
    }
    Integer windowSize =
        whole(
            raw,
            "slidingWindowSize",
            "circuitBreaker.slidingWindowSize",
            1,
            "TIME_BASED".equals(windowType)
                ? CircuitBreakerConfig.MAX_WINDOW_SECONDS
                : CircuitBreakerConfig.MAX_CALLS,
            p);
    Integer minimumCalls =
        whole(
            raw,
            "minimumNumberOfCalls",
            "circuitBreaker.minimumNumberOfCalls",
            1,
            Integer.MAX_VALUE,
            p);
    Integer consecutive =
        whole(
            raw,
            "consecutiveFailureThreshold",
            "circuitBreaker.consecutiveFailureThreshold",
            0,
            Integer.MAX_VALUE,
            p);
    Duration openWait =
        duration(
            raw, "waitDurationInOpenState", "circuitBreaker.waitDurationInOpenState", false, p);
    Integer halfOpenCalls =
        whole(
            raw,
            "permittedNumberOfCallsInHalfOpenState",
            "circuitBreaker.permittedNumberOfCallsInHalfOpenState",
            1,
            CircuitBreakerConfig.MAX_CALLS,
            p);
    Duration halfOpenWait =
        duration(
            raw,
            "maxWaitDurationInHalfOpenState",
            "circuitBreaker.maxWaitDurationInHalfOpenState",
            true,
            p);
    if (failureRate != null) {
      b.failureRateThreshold(failureRate);
    }
    if (slowRate != null) {
      b.slowCallRateThreshold(slowRate);
    }
    if (slowCall != null) {
      b.slowCallDurationThreshold(slowCall);
    }
    if (windowType != null || windowSize != null) {
      b.slidingWindow(
          CircuitBreakerConfig.SlidingWindowType.valueOf(
              windowType == null ? "COUNT_BASED" : windowType),
          windowSize == null ? 100 : windowSize);
    }
    if (minimumCalls != null) {
      b.minimumNumberOfCalls(minimumCalls);
    }
    if (consecutive != null) {
      b.consecutiveFailureThreshold(consecutive);
    }
    if (openWait != null) {
      b.waitDurationInOpenState(openWait);
    }
    if (halfOpenCalls != null) {
      b.permittedNumberOfCallsInHalfOpenState(halfOpenCalls);
    }
    if (halfOpenWait != null) {
      b.maxWaitDurationInHalfOpenState(halfOpenWait);
    }
    parsed.put("circuitBreaker", p);
    return b.build();
  }

  /** {@code value} as a JSON object with only {@code fields}, or an error naming {@code path}. */
  @SuppressWarnings("unchecked") // JSON objects have string keys
  private static Map<String, ?> object(
      Object value, String path, List<String> fields, String example) {
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          path + " must be an object such as " + example + " but was " + describe(value));
    }
    Map<String, ?> raw = (Map<String, ?>) map;
    for (String field : raw.keySet()) {
      if (!fields.contains(field)) {
        throw new IllegalArgumentException(
            "unknown field '" + path + "." + field + "'; " + path + " accepts " + fields);
      }
    }
    return raw;
  }

  /** A whole number in {@code min..max}, or null if absent. */
  private static @Nullable Integer whole(
      Map<String, ?> raw, String field, String path, int min, int max, Map<String, Object> out) {
    Object value = raw.get(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n) {
      double d = n.doubleValue();
      if (d >= min && d <= max && d == Math.rint(d)) {
        Integer i = (int) d;
        out.put(field, i);
        return i;
      }
    }
    throw new IllegalArgumentException(
        path + " must be a whole number in " + min + ".." + max + " but was " + describe(value));
  }

  /** A percentage in (0, 100], or null if absent. */
  private static @Nullable Double percentage(
      Map<String, ?> raw, String field, String path, Map<String, Object> out) {
    Object value = raw.get(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n && n.doubleValue() > 0 && n.doubleValue() <= 100) {
      out.put(field, n.doubleValue());
      return n.doubleValue();
    }
    throw new IllegalArgumentException(
        path + " must be a percentage in (0, 100] but was " + describe(value));
  }

  /** A finite number at least {@code min} (above it if {@code exclusive}), or null if absent. */
  private static @Nullable Double number(
      Map<String, ?> raw,
      String field,
      String path,
      double min,
      boolean exclusive,
      Map<String, Object> out) {
    Object value = raw.get(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isFinite(d) && (exclusive ? d > min : d >= min)) {
        out.put(field, d);
        return d;
      }
    }
    throw new IllegalArgumentException(
        path
            + " must be a number "
            + (exclusive ? "above " : "of at least ")
            + describe(min)
            + " but was "
            + describe(value));
  }

  /** A duration string such as "10s" (zero allowed if {@code zeroAllowed}), or null if absent. */
  private static @Nullable Duration duration(
      Map<String, ?> raw, String field, String path, boolean zeroAllowed, Map<String, Object> out) {
    Object value = raw.get(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException(
          path
              + " must be a duration string such as \"10s\" or \"0.5s\" but was "
              + describe(value));
    }
    Duration d;
    if (zeroAllowed && PolicyConfig.isZeroDuration(s.trim())) {
      d = Duration.ZERO;
    } else {
      try {
        d = PolicyConfig.duration(path, s.trim());
      } catch (IllegalArgumentException e) {
        if (!zeroAllowed) {
          throw e;
        }
        throw new IllegalArgumentException(
            path + " must be \"0s\" or a positive duration such as \"10s\" but was \"" + s + "\"",
            e);
      }
    }
    out.put(field, d);
    return d;
  }

  static String describe(@Nullable Object value) {
    // Whole numbers as JSON wrote them (5, not 5.0), while a long holds them exactly: beyond 2^53
    // the double's own form (1.0E20) quotes the value instead of a clamped long.
    if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      return String.valueOf(d.longValue());
    }
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof BalancerOptions that && values.equals(that.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
