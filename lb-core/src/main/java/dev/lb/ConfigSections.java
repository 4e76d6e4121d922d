package dev.lb;

import static dev.lb.ConfigNode.booleanOrNull;
import static dev.lb.ConfigNode.byIndex;
import static dev.lb.ConfigNode.camel;
import static dev.lb.ConfigNode.isIndexed;
import static dev.lb.ConfigNode.normalize;
import static dev.lb.ConfigNode.quote;

import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthChecker;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.limit.ConcurrencyLimitFactory;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.limit.RateLimiters;
import dev.lb.retry.RetryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The sections of a {@link LoadBalancerConfig} with options of their own (endpoints, outlier
 * detection, slow start, health checks, circuit breaker, rate limiter, retry budget): each reads
 * its part of the tree, checks it, records what it parsed and returns the value or builder step it
 * sets. Stateless.
 */
final class ConfigSections {
  private ConfigSections() {}

  static @Nullable List<Endpoint> endpoints(ConfigNode root) {
    Object raw = root.raw("endpoints");
    if (raw == null) {
      return null;
    }
    List<Object> items = new ArrayList<>();
    if (raw instanceof List<?> list) {
      items.addAll(list);
    } else if (raw instanceof Map<?, ?> indexed && isIndexed(indexed)) {
      items.addAll(byIndex(indexed).values());
    } else if (raw instanceof String text) {
      for (String item : text.trim().split("[,\\s]+", -1)) {
        if (!item.isEmpty()) {
          items.add(item);
        }
      }
    } else {
      throw new IllegalArgumentException(
          "endpoints must be a list of \"host:port\" (or of maps with host and port) but was "
              + quote(raw));
    }
    List<Endpoint> endpoints = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      String path = "endpoints[" + i + "]";
      Object item = items.get(i);
      endpoints.add(
          item instanceof Map<?, ?> m
              ? endpoint(new ConfigNode(path, normalize(m, path)))
              : endpoint(path, item));
    }
    return List.copyOf(endpoints);
  }

  /** {@code host:port;weight=3;zone=z;priority=1;backup;id=x}, IPv6 hosts in brackets. */
  private static Endpoint endpoint(String path, @Nullable Object item) {
    if (!(item instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException(
          path + " must be \"host:port\" with optional \";weight=N\"... but was " + quote(item));
    }
    String[] parts = text.trim().split(";", -1);
    String address = parts[0].trim();
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException(
          path + " must start with host:port (such as 10.0.0.1:8080) but was \"" + text + "\"");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("host", host);
    attributes.put("port", address.substring(colon + 1));
    for (int i = 1; i < parts.length; i++) {
      String attribute = parts[i].trim();
      int eq = attribute.indexOf('=');
      String key = eq < 0 ? attribute : attribute.substring(0, eq).trim();
      Object value = eq < 0 ? "true" : attribute.substring(eq + 1).trim();
      if (key.isEmpty() || attributes.put(camel(key), value) != null) {
        throw new IllegalArgumentException(
            path + " has an empty or repeated attribute '" + attribute + "' in \"" + text + "\"");
      }
    }
    return endpoint(new ConfigNode(path, attributes));
  }

  private static Endpoint endpoint(ConfigNode node) {
    node.only(List.of("host", "port", "id", "weight", "zone", "priority", "backup", "metadata"));
    String host = node.text("host");
    Integer port = node.whole("port");
    if (host == null || port == null) {
      throw new IllegalArgumentException(node.path + " needs a host and a port");
    }
    return node.attempt(
        "",
        node.values,
        () -> {
          Endpoint.Builder b = Endpoint.builder(host, port);
          String id = node.text("id");
          if (id != null) {
            b.id(id);
          }
          Integer weight = node.whole("weight");
          if (weight != null) {
            b.weight(weight);
          }
          String z = node.text("zone");
          if (z != null) {
            b.zone(z);
          }
          Integer priority = node.whole("priority");
          if (priority != null) {
            b.priority(priority);
          }
          Boolean backup = node.bool("backup");
          if (backup != null) {
            b.backup(backup);
          }
          if (node.raw("metadata") != null) {
            ConfigNode metadata = node.node("metadata");
            for (String key : metadata.values.keySet()) {
              String value = metadata.text(key);
              b.metadata(key, value == null ? "" : value);
            }
          }
          return b.build();
        });
  }

  static @Nullable OutlierDetection outlierDetection(ConfigNode root, Map<String, Object> parsed) {
    Object raw = root.raw("outlierDetection");
    if (raw == null) {
      return null;
    }
    Boolean on = booleanOrNull(raw);
    if (on != null) {
      parsed.put("outlierDetection", on);
      return on ? OutlierDetection.defaults() : OutlierDetection.disabled();
    }
    ConfigNode n = root.node("outlierDetection");
    n.only(
        List.of(
            "interval",
            "baseEjectionTime",
            "maxEjectionTime",
            "maxEjectionPercent",
            "consecutiveFailures",
            "successRate",
            "failurePercentage"));
    Map<String, Object> p = new LinkedHashMap<>();
    OutlierDetection.Builder b = OutlierDetection.builder();
    n.set(p, "interval", n.duration("interval"), b::interval);
    n.set(p, "baseEjectionTime", n.duration("baseEjectionTime"), b::baseEjectionTime);
    n.set(p, "maxEjectionTime", n.duration("maxEjectionTime"), b::maxEjectionTime);
    n.set(p, "maxEjectionPercent", n.whole("maxEjectionPercent"), b::maxEjectionPercent);
    n.set(p, "consecutiveFailures", n.whole("consecutiveFailures"), b::consecutiveFailures);
    Object successRate = n.raw("successRate");
    Boolean successRateOn = booleanOrNull(successRate);
    if (successRateOn != null) {
      n.set(p, "successRate", successRateOn, b::successRate);
    } else if (successRate != null) {
      ConfigNode sr = n.node("successRate");
      sr.only(List.of("stdevFactor", "minimumHosts", "requestVolume"));
      Map<String, Object> q = new LinkedHashMap<>();
      double factor = orDefault(sr.number("stdevFactor"), 1.9, q, "stdevFactor");
      int hosts = orDefault(sr.whole("minimumHosts"), 5, q, "minimumHosts");
      int volume = orDefault(sr.whole("requestVolume"), 100, q, "requestVolume");
      sr.attempt("", sr.values, () -> b.successRate(factor, hosts, volume));
      p.put("successRate", Collections.unmodifiableMap(q));
    }
    Object failurePercentage = n.raw("failurePercentage");
    Boolean failurePercentageOn = booleanOrNull(failurePercentage);
    if (failurePercentageOn != null) {
      n.set(p, "failurePercentage", failurePercentageOn, b::failurePercentage);
    } else if (failurePercentage != null) {
      ConfigNode fp = n.node("failurePercentage");
      fp.only(List.of("threshold", "minimumHosts", "requestVolume"));
      Map<String, Object> q = new LinkedHashMap<>();
      int threshold = orDefault(fp.whole("threshold"), 85, q, "threshold");
      int hosts = orDefault(fp.whole("minimumHosts"), 5, q, "minimumHosts");
      int volume = orDefault(fp.whole("requestVolume"), 50, q, "requestVolume");
      fp.attempt("", fp.values, () -> b.failurePercentage(threshold, hosts, volume));
      p.put("failurePercentage", Collections.unmodifiableMap(q));
    }
    OutlierDetection built = n.attempt("", n.values, b::build);
    parsed.put("outlierDetection", Collections.unmodifiableMap(p));
    return built;
  }

  static @Nullable SlowStart slowStart(ConfigNode root, Map<String, Object> parsed) {
    if (root.raw("slowStart") == null) {
      return null;
    }
    ConfigNode n = root.node("slowStart");
    n.only(List.of("window", "minWeightPercent", "aggression"));
    Duration window = n.duration("window");
    if (window == null) {
      throw new IllegalArgumentException(
          n.path + ".window is required: a positive duration such as \"30s\"");
    }
    Map<String, Object> p = new LinkedHashMap<>();
    SlowStart s = n.attempt("window", window, () -> SlowStart.of(window));
    p.put("window", window);
    Integer minPercent = n.whole("minWeightPercent");
    if (minPercent != null) {
      SlowStart base = s;
      s = n.attempt("minWeightPercent", minPercent, () -> base.withMinWeightPercent(minPercent));
      p.put("minWeightPercent", minPercent);
    }
    Double aggression = n.number("aggression");
    if (aggression != null) {
      SlowStart base = s;
      s = n.attempt("aggression", aggression, () -> base.withAggression(aggression));
      p.put("aggression", aggression);
    }
    parsed.put("slowStart", Collections.unmodifiableMap(p));
    return s;
  }

  static @Nullable HealthCheckSettings healthCheck(ConfigNode root, Map<String, Object> parsed) {
    if (root.raw("healthCheck") == null) {
      return null;
    }
    ConfigNode n = root.node("healthCheck");
    n.only(
        List.of(
            "interval",
            "unhealthyInterval",
            "timeout",
            "jitter",
            "healthyThreshold",
            "unhealthyThreshold"));
    Map<String, Object> p = new LinkedHashMap<>();
    List<Consumer<HealthCheckConfig.Builder>> sets = new ArrayList<>();
    // Validated on a builder with a checker that is never run.
    HealthCheckConfig.Builder scratch =
        HealthCheckConfig.builder(
            (endpoint, timeout) -> {
              throw new AssertionError("never run");
            });
    healthStep(n, p, sets, scratch, "interval", n.duration("interval"), (b, v) -> b.interval(v));
    healthStep(
        n,
        p,
        sets,
        scratch,
        "unhealthyInterval",
        n.duration("unhealthyInterval"),
        (b, v) -> b.unhealthyInterval(v));
    healthStep(n, p, sets, scratch, "timeout", n.duration("timeout"), (b, v) -> b.timeout(v));
    healthStep(n, p, sets, scratch, "jitter", n.number("jitter"), (b, v) -> b.jitter(v));
    healthStep(
        n,
        p,
        sets,
        scratch,
        "healthyThreshold",
        n.whole("healthyThreshold"),
        (b, v) -> b.healthyThreshold(v));
    healthStep(
        n,
        p,
        sets,
        scratch,
        "unhealthyThreshold",
        n.whole("unhealthyThreshold"),
        (b, v) -> b.unhealthyThreshold(v));
    n.attempt("", n.values, scratch::build);
    parsed.put("healthCheck", Collections.unmodifiableMap(p));
    return new HealthCheckSettings(List.copyOf(sets));
  }

  private static <T> void healthStep(
      ConfigNode n,
      Map<String, Object> parsed,
      List<Consumer<HealthCheckConfig.Builder>> sets,
      HealthCheckConfig.Builder scratch,
      String key,
      @Nullable T value,
      java.util.function.BiConsumer<HealthCheckConfig.Builder, T> set) {
    if (value == null) {
      return;
    }
    n.attempt(
        key,
        value,
        () -> {
          set.accept(scratch, value);
          return value;
        });
    parsed.put(key, value);
    sets.add(b -> set.accept(b, value));
  }

  static @Nullable CircuitBreakerConfig circuitBreaker(
      ConfigNode root, Map<String, Object> parsed) {
    if (root.raw("circuitBreaker") == null) {
      return null;
    }
    ConfigNode n = root.node("circuitBreaker");
    n.only(
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
            "maxWaitDurationInHalfOpenState"));
    Map<String, Object> p = new LinkedHashMap<>();
    CircuitBreakerConfig.Builder b = CircuitBreakerConfig.builder();
    n.set(p, "failureRateThreshold", n.number("failureRateThreshold"), b::failureRateThreshold);
    n.set(p, "slowCallRateThreshold", n.number("slowCallRateThreshold"), b::slowCallRateThreshold);
    n.set(
        p,
        "slowCallDurationThreshold",
        n.duration("slowCallDurationThreshold"),
        b::slowCallDurationThreshold);
    CircuitBreakerConfig.SlidingWindowType type =
        n.constant("slidingWindowType", CircuitBreakerConfig.SlidingWindowType.class);
    Integer size = n.whole("slidingWindowSize");
    if (type != null || size != null) {
      CircuitBreakerConfig.SlidingWindowType t =
          type == null ? CircuitBreakerConfig.SlidingWindowType.COUNT_BASED : type;
      int s = size == null ? 100 : size;
      n.attempt(
          size == null ? "slidingWindowType" : "slidingWindowSize", s, () -> b.slidingWindow(t, s));
      p.put("slidingWindowType", t);
      p.put("slidingWindowSize", s);
    }
    n.set(p, "minimumNumberOfCalls", n.whole("minimumNumberOfCalls"), b::minimumNumberOfCalls);
    n.set(
        p,
        "consecutiveFailureThreshold",
        n.whole("consecutiveFailureThreshold"),
        b::consecutiveFailureThreshold);
    n.set(
        p,
        "waitDurationInOpenState",
        n.duration("waitDurationInOpenState"),
        b::waitDurationInOpenState);
    n.set(
        p,
        "permittedNumberOfCallsInHalfOpenState",
        n.whole("permittedNumberOfCallsInHalfOpenState"),
        b::permittedNumberOfCallsInHalfOpenState);
    n.set(
        p,
        "maxWaitDurationInHalfOpenState",
        n.duration("maxWaitDurationInHalfOpenState"),
        b::maxWaitDurationInHalfOpenState);
    CircuitBreakerConfig config = n.attempt("", n.values, b::build);
    parsed.put("circuitBreaker", Collections.unmodifiableMap(p));
    return config;
  }

  static @Nullable Consumer<LoadBalancer.Builder> rateLimiter(
      ConfigNode root, Map<String, Object> parsed) {
    if (root.raw("rateLimiter") == null) {
      return null;
    }
    ConfigNode n = root.node("rateLimiter");
    n.only(List.of("algorithm", "permits", "period", "burst"));
    RateLimiters.Algorithm algorithm = n.constant("algorithm", RateLimiters.Algorithm.class);
    Integer permits = n.whole("permits");
    Duration period = n.duration("period");
    if (permits == null || period == null) {
      throw new IllegalArgumentException(
          n.path + " needs permits and period, such as {permits: 100, period: 1s}");
    }
    Integer burst = n.whole("burst");
    RateLimiters.Algorithm a = algorithm == null ? RateLimiters.Algorithm.TOKEN_BUCKET : algorithm;
    if (burst != null && a != RateLimiters.Algorithm.TOKEN_BUCKET) {
      throw new IllegalArgumentException(
          n.path
              + ".burst applies to the token_bucket algorithm only, not "
              + quote(n.raw("algorithm")));
    }
    // Built once here to check the values; the factory builds one limiter per endpoint.
    n.attempt("", n.values, () -> limiter(a, permits, period, burst, null).build());
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("algorithm", a);
    p.put("permits", permits);
    p.put("period", period);
    if (burst != null) {
      p.put("burst", burst);
    }
    parsed.put("rateLimiter", Collections.unmodifiableMap(p));
    return b ->
        b.rateLimiters((endpoint, ticker) -> limiter(a, permits, period, burst, ticker).build());
  }

  private static RateLimiters.Builder limiter(
      RateLimiters.Algorithm algorithm,
      int permits,
      Duration period,
      @Nullable Integer burst,
      @Nullable Ticker ticker) {
    RateLimiters.Builder b =
        switch (algorithm) {
          case TOKEN_BUCKET -> RateLimiters.tokenBucket(permits, period);
          case LEAKY_BUCKET -> RateLimiters.leakyBucket(permits, period);
          case FIXED_WINDOW -> RateLimiters.fixedWindow(permits, period);
          case SLIDING_WINDOW -> RateLimiters.slidingWindow(permits, period);
        };
    if (burst != null) {
      b.burst(burst);
    }
    return ticker == null ? b : b.ticker(ticker);
  }

  /**
   * {@code concurrencyLimitPerEndpoint} or {@code concurrencyLimit}: {@code algorithm} ({@code
   * fixed} with {@code limit}, {@code vegas}, {@code gradient}) and the algorithm's options.
   */
  static @Nullable ConcurrencyLimitFactory concurrencyLimit(
      ConfigNode root, String key, Map<String, Object> parsed) {
    if (root.raw(key) == null) {
      return null;
    }
    ConfigNode n = root.node(key);
    String algorithm = n.text("algorithm");
    if (algorithm == null) {
      throw new IllegalArgumentException(
          n.at("algorithm") + " is required: one of [fixed, vegas, gradient]");
    }
    Map<String, Object> p = new LinkedHashMap<>();
    String a = algorithm.toLowerCase(Locale.ROOT);
    p.put("algorithm", a);
    ConcurrencyLimitFactory factory;
    switch (a) {
      case "fixed" -> {
        n.only(List.of("algorithm", "limit"));
        Integer limit = n.whole("limit");
        if (limit == null) {
          throw new IllegalArgumentException(n.at("limit") + " is required for the fixed limit");
        }
        factory = n.attempt("limit", limit, () -> ConcurrencyLimits.fixed(limit));
        p.put("limit", limit);
      }
      case "vegas" -> {
        n.only(keysWith("smoothing"));
        ConcurrencyLimits.VegasBuilder b = ConcurrencyLimits.vegas();
        settings(n, p, b);
        n.set(p, "smoothing", n.number("smoothing"), b::smoothing);
        factory = n.attempt("", n.values, b::build);
      }
      case "gradient" -> {
        n.only(keysWith("smoothing", "queueSize", "longWindow", "tolerance"));
        ConcurrencyLimits.GradientBuilder b = ConcurrencyLimits.gradient();
        settings(n, p, b);
        n.set(p, "smoothing", n.number("smoothing"), b::smoothing);
        n.set(p, "queueSize", n.whole("queueSize"), b::queueSize);
        n.set(p, "longWindow", n.whole("longWindow"), b::longWindow);
        n.set(p, "tolerance", n.number("tolerance"), b::tolerance);
        factory = n.attempt("", n.values, b::build);
      }
      default ->
          throw new IllegalArgumentException(
              n.at("algorithm")
                  + " must be one of [fixed, vegas, gradient] but was \""
                  + algorithm
                  + "\"");
    }
    parsed.put(key, Collections.unmodifiableMap(p));
    return factory;
  }

  private static List<String> keysWith(String... more) {
    List<String> keys =
        new ArrayList<>(
            List.of(
                "algorithm",
                "initialLimit",
                "minLimit",
                "maxLimit",
                "probeInterval",
                "probeSamples",
                "idleTimeout"));
    keys.addAll(List.of(more));
    return keys;
  }

  private static void settings(
      ConfigNode n, Map<String, Object> p, ConcurrencyLimits.Settings<?> b) {
    n.set(p, "initialLimit", n.whole("initialLimit"), b::initialLimit);
    n.set(p, "minLimit", n.whole("minLimit"), b::minLimit);
    n.set(p, "maxLimit", n.whole("maxLimit"), b::maxLimit);
    n.set(p, "probeInterval", n.duration("probeInterval"), b::probeInterval);
    n.set(p, "probeSamples", n.whole("probeSamples"), b::probeSamples);
    n.set(p, "idleTimeout", n.duration("idleTimeout"), b::idleTimeout);
  }

  static @Nullable Consumer<LoadBalancer.Builder> retryBudget(
      ConfigNode root, Map<String, Object> parsed) {
    if (root.raw("retryBudget") == null) {
      return null;
    }
    ConfigNode n = root.node("retryBudget");
    n.only(List.of("percentCanRetry", "minRetriesPerSecond", "ttl"));
    Map<String, Object> p = new LinkedHashMap<>();
    Double percent = n.number("percentCanRetry");
    Integer min = n.whole("minRetriesPerSecond");
    Duration ttl = n.duration("ttl");
    RetryBudget.Builder check = RetryBudget.builder();
    n.set(p, "percentCanRetry", percent, check::percentCanRetry);
    n.set(p, "minRetriesPerSecond", min, check::minRetriesPerSecond);
    n.set(p, "ttl", ttl, check::ttl);
    n.attempt("", n.values, check::build);
    parsed.put("retryBudget", Collections.unmodifiableMap(p));
    // A budget holds live state: each balancer built from this configuration gets its own.
    return b -> {
      RetryBudget.Builder rb = RetryBudget.builder();
      if (percent != null) {
        rb.percentCanRetry(percent);
      }
      if (min != null) {
        rb.minRetriesPerSecond(min);
      }
      if (ttl != null) {
        rb.ttl(ttl);
      }
      b.retryBudget(rb.build());
    };
  }

  private static <T extends Number> T orDefault(
      @Nullable T value, T otherwise, Map<String, Object> parsed, String key) {
    T v = value == null ? otherwise : value;
    parsed.put(key, v);
    return v;
  }

  /** The health-check options, applied to a builder once the checker is known. */
  static final class HealthCheckSettings {
    private final List<Consumer<HealthCheckConfig.Builder>> sets;

    HealthCheckSettings(List<Consumer<HealthCheckConfig.Builder>> sets) {
      this.sets = sets;
    }

    HealthCheckConfig build(HealthChecker checker) {
      HealthCheckConfig.Builder b = HealthCheckConfig.builder(checker);
      for (Consumer<HealthCheckConfig.Builder> set : sets) {
        set.accept(b);
      }
      return b.build();
    }
  }
}
