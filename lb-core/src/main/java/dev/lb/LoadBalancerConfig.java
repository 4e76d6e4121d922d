package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthChecker;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import dev.lb.limit.RateLimiters;
import dev.lb.retry.RetryBudget;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A balancer's configuration as data: built from a tree of maps (YAML, JSON, Spring or SmallRye
 * properties, Typesafe Config) or from a compact spec string, then applied to a {@link
 * LoadBalancer.Builder}. Every option is checked when the configuration is made, and an error names
 * the option by its path and quotes the value: {@code outlierDetection.baseEjectionTime must be a
 * duration such as "30s" but was "thirty"}.
 *
 * <pre>{@code
 * LoadBalancer users = LoadBalancerConfig.fromMap(Map.of(
 *         "name", "users",
 *         "strategy", "peak_ewma",
 *         "endpoints", List.of("10.0.0.1:8080", "10.0.0.2:8080;weight=2;zone=eu-west-1a"),
 *         "outlierDetection", Map.of("consecutiveFailures", 5, "baseEjectionTime", "30s")))
 *     .toBuilder()
 *     .build();
 *
 * LoadBalancer orders = LoadBalancerConfig.parse(
 *         "strategy=least_connections,panicThreshold=0,slowStart.window=30s,"
 *             + "endpoints=10.0.0.5:80 10.0.0.6:80;weight=3")
 *     .toBuilder()
 *     .build();
 * }</pre>
 *
 * <h2>Options</h2>
 *
 * <table>
 *   <caption>The options, their values and the builder method each sets</caption>
 *   <tr><th>path</th><th>value</th><th>sets</th></tr>
 *   <tr><td>{@code name}</td><td>text</td><td>{@link LoadBalancer.Builder#name}</td></tr>
 *   <tr><td>{@code strategy}</td><td>a {@link StrategyRegistry} name: {@code round_robin},
 *       {@code peak_ewma}, {@code ring_hash}...</td><td>{@link LoadBalancer.Builder#strategy}</td></tr>
 *   <tr><td>{@code endpoints}</td><td>a list (or a comma- or space-separated text) of
 *       {@code host:port} with optional {@code ;weight=3;zone=z;priority=1;backup;id=x}, or of maps
 *       with {@code host}, {@code port}, {@code weight}, {@code zone}, {@code priority},
 *       {@code backup}, {@code id}, {@code metadata}</td>
 *       <td>{@link LoadBalancer.Builder#endpoints}</td></tr>
 *   <tr><td>{@code decayWindow}, {@code removalDrainTimeout}</td><td>durations</td>
 *       <td>the builder methods of those names</td></tr>
 *   <tr><td>{@code panicThreshold}, {@code maxInFlightPerEndpoint}</td><td>whole numbers</td>
 *       <td>the builder methods of those names</td></tr>
 *   <tr><td>{@code localZone}</td><td>text</td><td>{@link LoadBalancer.Builder#localZone}</td></tr>
 *   <tr><td>{@code overprovisioningFactor}</td><td>a number</td>
 *       <td>{@link LoadBalancer.Builder#overprovisioningFactor}</td></tr>
 *   <tr><td>{@code outlierDetection}</td><td>{@code true}/{@code false}, or {@code interval},
 *       {@code baseEjectionTime}, {@code maxEjectionTime}, {@code maxEjectionPercent},
 *       {@code consecutiveFailures}, {@code successRate} ({@code true}/{@code false} or
 *       {@code stdevFactor}, {@code minimumHosts}, {@code requestVolume}),
 *       {@code failurePercentage} ({@code true}/{@code false} or {@code threshold},
 *       {@code minimumHosts}, {@code requestVolume})</td>
 *       <td>{@link LoadBalancer.Builder#outlierDetection}</td></tr>
 *   <tr><td>{@code slowStart}</td><td>{@code window} (required), {@code minWeightPercent},
 *       {@code aggression}</td><td>{@link LoadBalancer.Builder#slowStart}</td></tr>
 *   <tr><td>{@code healthCheck}</td><td>{@code interval}, {@code unhealthyInterval},
 *       {@code timeout}, {@code jitter}, {@code healthyThreshold}, {@code unhealthyThreshold}; the
 *       checker itself is code: {@link #withHealthChecker}</td>
 *       <td>{@link LoadBalancer.Builder#healthCheck}</td></tr>
 *   <tr><td>{@code circuitBreaker}</td><td>the {@link CircuitBreakerConfig} options by name:
 *       {@code failureRateThreshold}, {@code slowCallRateThreshold},
 *       {@code slowCallDurationThreshold}, {@code slidingWindowType} ({@code count_based},
 *       {@code time_based}), {@code slidingWindowSize}, {@code minimumNumberOfCalls},
 *       {@code consecutiveFailureThreshold}, {@code waitDurationInOpenState},
 *       {@code permittedNumberOfCallsInHalfOpenState}, {@code maxWaitDurationInHalfOpenState}</td>
 *       <td>{@link LoadBalancer.Builder#circuitBreakers}, one breaker per endpoint</td></tr>
 *   <tr><td>{@code rateLimiter}</td><td>{@code permits} and {@code period} (required),
 *       {@code algorithm} ({@code token_bucket}, the default, {@code leaky_bucket},
 *       {@code fixed_window}, {@code sliding_window}), {@code burst}</td>
 *       <td>{@link LoadBalancer.Builder#rateLimiters}, one limiter per endpoint</td></tr>
 *   <tr><td>{@code retryBudget}</td><td>{@code percentCanRetry}, {@code minRetriesPerSecond},
 *       {@code ttl}</td><td>{@link LoadBalancer.Builder#retryBudget}</td></tr>
 * </table>
 *
 * <p>Keys may be written in camelCase or kebab-case ({@code base-ejection-time}), nested or as
 * dotted paths ({@code "outlierDetection.interval": "10s"}). Values may be the JSON or YAML types
 * or the text that properties files give: {@code "50"}, {@code "true"}, {@code "0.5"}. Durations
 * are a number and a unit ({@code 500ms}, {@code 10s}, {@code 1.5m}, {@code 2h}; also {@code ns},
 * {@code us}, {@code d}) or ISO-8601 ({@code PT10S}). An unknown key is an error that lists the
 * keys accepted there, so a misspelled option never goes unnoticed.
 *
 * <p>What is code stays code: the ticker, random source, scheduler, state executor, listeners,
 * custom strategies, breaker and limiter factories, and the health checker are set on the builder
 * that {@link #toBuilder()} returns (or before {@link #applyTo}).
 *
 * <p>The spec string is {@code key=value} pairs separated by commas, keys as dotted paths; a list
 * (the endpoints) separates its items by spaces.
 *
 * <p>Instances are immutable and thread-safe. Two configurations are equal when their parsed
 * options are, so a changed file can be compared with the running one before a balancer is rebuilt.
 */
@Experimental("new in 0.1; option names follow the builder's and may gain aliases")
public final class LoadBalancerConfig {
  private static final List<String> TOP =
      List.of(
          "name",
          "strategy",
          "endpoints",
          "decayWindow",
          "removalDrainTimeout",
          "panicThreshold",
          "maxInFlightPerEndpoint",
          "localZone",
          "overprovisioningFactor",
          "outlierDetection",
          "slowStart",
          "healthCheck",
          "circuitBreaker",
          "rateLimiter",
          "retryBudget");

  private static final Pattern DURATION =
      Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|µs|ms|s|m|h|d)");

  private final Map<String, Object> options;
  private final List<Consumer<LoadBalancer.Builder>> steps;
  private final @Nullable HealthCheckSettings healthCheck;
  private final @Nullable HealthChecker checker;

  private LoadBalancerConfig(
      Map<String, Object> options,
      List<Consumer<LoadBalancer.Builder>> steps,
      @Nullable HealthCheckSettings healthCheck,
      @Nullable HealthChecker checker) {
    this.options = options;
    this.steps = steps;
    this.healthCheck = healthCheck;
    this.checker = checker;
  }

  /**
   * Reads a configuration from a tree of maps, lists and values.
   *
   * @param tree the options by key, as the class documentation lists them; an empty map is lb's
   *     defaults
   * @return the configuration
   * @throws NullPointerException if {@code tree} is null
   * @throws IllegalArgumentException naming the option's path and quoting the value, if an option
   *     is unknown or its value is invalid
   */
  public static LoadBalancerConfig fromMap(Map<String, ?> tree) {
    checkNotNull(tree, "tree");
    Node root = new Node("", normalize(tree, ""));
    return read(root);
  }

  /**
   * Reads a configuration from a spec string such as {@code
   * "strategy=peak_ewma,panicThreshold=0,outlierDetection.baseEjectionTime=30s"}.
   *
   * @param spec comma-separated {@code path=value} pairs; the endpoints' items separated by spaces;
   *     an empty string is lb's defaults
   * @return the configuration
   * @throws NullPointerException if {@code spec} is null
   * @throws IllegalArgumentException naming the option's path and quoting the value, if a pair is
   *     malformed, an option is unknown, given twice, or its value is invalid
   */
  public static LoadBalancerConfig parse(String spec) {
    checkNotNull(spec, "spec");
    Map<String, Object> flat = new LinkedHashMap<>();
    for (String pair : spec.split(",", -1)) {
      if (pair.isBlank()) {
        if (spec.isBlank()) {
          continue;
        }
        throw new IllegalArgumentException(
            "spec has an empty option (two commas, or a comma at an end): '" + spec + "'");
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "spec option must be path=value but was '" + pair.trim() + "' in '" + spec + "'");
      }
      String key = pair.substring(0, eq).trim();
      if (flat.put(key, pair.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("spec gives '" + key + "' twice: '" + spec + "'");
      }
    }
    return fromMap(flat);
  }

  /**
   * Returns this configuration with the health checker its {@code healthCheck} options run. Without
   * one, {@code healthCheck} options make {@link #applyTo} fail, since there is nothing to run.
   *
   * @param checker the checker; called as {@link HealthCheckConfig} documents
   * @return a configuration equal to this one that also sets the health check
   * @throws NullPointerException if {@code checker} is null
   */
  public LoadBalancerConfig withHealthChecker(HealthChecker checker) {
    checkNotNull(checker, "checker");
    return new LoadBalancerConfig(options, steps, healthCheck, checker);
  }

  /**
   * Returns a new builder with every configured option set; what is not configured keeps the
   * builder's default.
   *
   * @return a new builder
   * @throws IllegalStateException if {@code healthCheck} options are set but no checker was given
   *     with {@link #withHealthChecker}
   */
  public LoadBalancer.Builder toBuilder() {
    return applyTo(LoadBalancer.builder());
  }

  /**
   * Sets every configured option on {@code builder}, over what it had; options not configured are
   * left as they are.
   *
   * @param builder the builder to set the options on
   * @return {@code builder}
   * @throws NullPointerException if {@code builder} is null
   * @throws IllegalStateException if {@code healthCheck} options are set but no checker was given
   *     with {@link #withHealthChecker}
   */
  public LoadBalancer.Builder applyTo(LoadBalancer.Builder builder) {
    checkNotNull(builder, "builder");
    HealthCheckSettings hc = healthCheck;
    if (hc != null && checker == null) {
      throw new IllegalStateException(
          "healthCheck options "
              + options.get("healthCheck")
              + " are set but there is no checker to run: call withHealthChecker(...)");
    }
    for (Consumer<LoadBalancer.Builder> step : steps) {
      step.accept(builder);
    }
    if (hc != null && checker != null) {
      builder.healthCheck(hc.build(checker));
    } else if (checker != null) {
      builder.healthCheck(HealthCheckConfig.builder(checker).build());
    }
    return builder;
  }

  /**
   * The options as parsed: nested maps keyed by the camelCase names, values as Java types ({@link
   * Integer}, {@link Double}, {@link Boolean}, {@link String}, {@link Duration}, a {@link List} of
   * {@link Endpoint}s).
   *
   * @return an unmodifiable map in the order of the class documentation's table
   */
  public Map<String, Object> options() {
    return options;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof LoadBalancerConfig that
        && options.equals(that.options)
        && java.util.Objects.equals(checker, that.checker);
  }

  @Override
  public int hashCode() {
    return options.hashCode();
  }

  @Override
  public String toString() {
    return "LoadBalancerConfig" + options;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private static LoadBalancerConfig read(Node root) {
    root.only(TOP);
    Map<String, Object> parsed = new LinkedHashMap<>();
    List<Consumer<LoadBalancer.Builder>> steps = new ArrayList<>();
    // Each option is applied to a scratch builder as it is read, so the builder's own range checks
    // run now, with the option's path in the message, rather than when the balancer is built.
    LoadBalancer.Builder scratch = LoadBalancer.builder();

    String name = root.text("name");
    if (name != null) {
      add(parsed, steps, scratch, root, "name", name, b -> b.name(name));
    }
    String strategyName = root.text("strategy");
    if (strategyName != null) {
      dev.lb.strategy.Strategy strategy =
          root.attempt("strategy", strategyName, () -> StrategyRegistry.byName(strategyName));
      add(parsed, steps, scratch, root, "strategy", strategy.name(), b -> b.strategy(strategy));
    }
    List<Endpoint> endpoints = endpoints(root);
    if (endpoints != null) {
      add(parsed, steps, scratch, root, "endpoints", endpoints, b -> b.endpoints(endpoints));
    }
    Duration decay = root.duration("decayWindow");
    if (decay != null) {
      add(parsed, steps, scratch, root, "decayWindow", decay, b -> b.decayWindow(decay));
    }
    Duration drain = root.duration("removalDrainTimeout");
    if (drain != null) {
      add(
          parsed,
          steps,
          scratch,
          root,
          "removalDrainTimeout",
          drain,
          b -> b.removalDrainTimeout(drain));
    }
    Integer panic = root.whole("panicThreshold");
    if (panic != null) {
      add(parsed, steps, scratch, root, "panicThreshold", panic, b -> b.panicThreshold(panic));
    }
    Integer maxInFlight = root.whole("maxInFlightPerEndpoint");
    if (maxInFlight != null) {
      add(
          parsed,
          steps,
          scratch,
          root,
          "maxInFlightPerEndpoint",
          maxInFlight,
          b -> b.maxInFlightPerEndpoint(maxInFlight));
    }
    String zone = root.text("localZone");
    if (zone != null) {
      add(parsed, steps, scratch, root, "localZone", zone, b -> b.localZone(zone));
    }
    Double overprovisioning = root.number("overprovisioningFactor");
    if (overprovisioning != null) {
      add(
          parsed,
          steps,
          scratch,
          root,
          "overprovisioningFactor",
          overprovisioning,
          b -> b.overprovisioningFactor(overprovisioning));
    }
    OutlierDetection outliers = outlierDetection(root, parsed);
    if (outliers != null) {
      steps.add(b -> b.outlierDetection(outliers));
    }
    SlowStart slowStart = slowStart(root, parsed);
    if (slowStart != null) {
      steps.add(b -> b.slowStart(slowStart));
    }
    HealthCheckSettings healthCheck = healthCheck(root, parsed);
    CircuitBreakerConfig breaker = circuitBreaker(root, parsed);
    if (breaker != null) {
      CircuitBreakerFactory breakers = CircuitBreakerFactory.of(breaker);
      steps.add(b -> b.circuitBreakers(breakers));
    }
    Consumer<LoadBalancer.Builder> limiter = rateLimiter(root, parsed);
    if (limiter != null) {
      steps.add(limiter);
    }
    Consumer<LoadBalancer.Builder> budget = retryBudget(root, parsed);
    if (budget != null) {
      steps.add(budget);
    }
    return new LoadBalancerConfig(
        Collections.unmodifiableMap(parsed), List.copyOf(steps), healthCheck, null);
  }

  private static void add(
      Map<String, Object> parsed,
      List<Consumer<LoadBalancer.Builder>> steps,
      LoadBalancer.Builder scratch,
      Node node,
      String key,
      Object value,
      Consumer<LoadBalancer.Builder> step) {
    node.attempt(
        key,
        node.raw(key),
        () -> {
          step.accept(scratch);
          return value;
        });
    parsed.put(key, value);
    steps.add(step);
  }

  private static @Nullable List<Endpoint> endpoints(Node root) {
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
              ? endpoint(new Node(path, normalize(m, path)))
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
    return endpoint(new Node(path, attributes));
  }

  private static Endpoint endpoint(Node node) {
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
            Node metadata = node.node("metadata");
            for (String key : metadata.values.keySet()) {
              String value = metadata.text(key);
              b.metadata(key, value == null ? "" : value);
            }
          }
          return b.build();
        });
  }

  private static @Nullable OutlierDetection outlierDetection(
      Node root, Map<String, Object> parsed) {
    Object raw = root.raw("outlierDetection");
    if (raw == null) {
      return null;
    }
    Boolean on = booleanOrNull(raw);
    if (on != null) {
      parsed.put("outlierDetection", on);
      return on ? OutlierDetection.defaults() : OutlierDetection.disabled();
    }
    Node n = root.node("outlierDetection");
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
      Node sr = n.node("successRate");
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
      Node fp = n.node("failurePercentage");
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

  private static @Nullable SlowStart slowStart(Node root, Map<String, Object> parsed) {
    if (root.raw("slowStart") == null) {
      return null;
    }
    Node n = root.node("slowStart");
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

  private static @Nullable HealthCheckSettings healthCheck(Node root, Map<String, Object> parsed) {
    if (root.raw("healthCheck") == null) {
      return null;
    }
    Node n = root.node("healthCheck");
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
      Node n,
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

  private static @Nullable CircuitBreakerConfig circuitBreaker(
      Node root, Map<String, Object> parsed) {
    if (root.raw("circuitBreaker") == null) {
      return null;
    }
    Node n = root.node("circuitBreaker");
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

  private static @Nullable Consumer<LoadBalancer.Builder> rateLimiter(
      Node root, Map<String, Object> parsed) {
    if (root.raw("rateLimiter") == null) {
      return null;
    }
    Node n = root.node("rateLimiter");
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

  private static @Nullable Consumer<LoadBalancer.Builder> retryBudget(
      Node root, Map<String, Object> parsed) {
    if (root.raw("retryBudget") == null) {
      return null;
    }
    Node n = root.node("retryBudget");
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

  // ---------------------------------------------------------------------------------------------
  // The tree

  /** The health-check options, applied to a builder once the checker is known. */
  private static final class HealthCheckSettings {
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

  /** One object of the tree: its path for messages and its values by camelCase key. */
  private static final class Node {
    final String path;
    final Map<String, Object> values;

    Node(String path, Map<String, Object> values) {
      this.path = path;
      this.values = values;
    }

    String at(String key) {
      return path.isEmpty() ? key : key.isEmpty() ? path : path + "." + key;
    }

    @Nullable Object raw(String key) {
      return values.get(key);
    }

    void only(List<String> keys) {
      for (String key : values.keySet()) {
        if (!keys.contains(key)) {
          throw new IllegalArgumentException(
              "unknown option '"
                  + at(key)
                  + "'; "
                  + (path.isEmpty() ? "the options are " : path + " accepts ")
                  + keys);
        }
      }
    }

    Node node(String key) {
      Object value = values.get(key);
      if (!(value instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(
            at(key) + " must be an object of options but was " + quote(value));
      }
      @SuppressWarnings("unchecked") // normalize() made every nested map a Map<String, Object>
      Map<String, Object> m = (Map<String, Object>) map;
      return new Node(at(key), m);
    }

    @Nullable String text(String key) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      if (!(value instanceof String || value instanceof Number || value instanceof Boolean)
          || value.toString().isBlank()) {
        throw new IllegalArgumentException(
            at(key) + " must be non-blank text but was " + quote(value));
      }
      return value.toString().trim();
    }

    @Nullable Integer whole(String key) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      BigDecimal d = decimal(value);
      if (d != null) {
        try {
          return d.stripTrailingZeros().intValueExact();
        } catch (ArithmeticException e) {
          // falls through to the error
        }
      }
      throw new IllegalArgumentException(
          at(key) + " must be a whole number but was " + quote(value));
    }

    @Nullable Double number(String key) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      BigDecimal d = decimal(value);
      if (d == null) {
        throw new IllegalArgumentException(at(key) + " must be a number but was " + quote(value));
      }
      return d.doubleValue();
    }

    @Nullable Boolean bool(String key) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      Boolean b = booleanOrNull(value);
      if (b == null) {
        throw new IllegalArgumentException(
            at(key) + " must be true or false but was " + quote(value));
      }
      return b;
    }

    @Nullable Duration duration(String key) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      if (value instanceof Duration d) {
        return d;
      }
      Duration d = value instanceof String s ? parseDuration(s.trim()) : null;
      if (d == null) {
        throw new IllegalArgumentException(
            at(key)
                + " must be a duration such as \"500ms\", \"30s\" or \"PT1M\" but was "
                + quote(value));
      }
      return d;
    }

    <E extends Enum<E>> @Nullable E constant(String key, Class<E> type) {
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      if (type.isInstance(value)) {
        return type.cast(value);
      }
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        String name = e.name().toLowerCase(Locale.ROOT);
        names.add(name);
        if (value instanceof String s
            && s.trim().toLowerCase(Locale.ROOT).replace('-', '_').equals(name)) {
          return e;
        }
      }
      throw new IllegalArgumentException(
          at(key) + " must be one of " + names + " but was " + quote(value));
    }

    /** Calls {@code set} with {@code value} unless it is null, naming the path if it refuses. */
    <T> void set(Map<String, Object> parsed, String key, @Nullable T value, Consumer<T> set) {
      if (value == null) {
        return;
      }
      attempt(
          key,
          value,
          () -> {
            set.accept(value);
            return value;
          });
      parsed.put(key, value);
    }

    /** Runs {@code action}; an {@link IllegalArgumentException} from it gains the option's path. */
    <T> T attempt(String key, @Nullable Object value, java.util.function.Supplier<T> action) {
      try {
        return action.get();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            at(key) + " = " + quote(value) + " is invalid: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Copies {@code tree} into maps keyed by camelCase names, with dotted keys split into nested
   * maps; a key given twice (in two spellings, or nested and dotted) is an error.
   */
  private static Map<String, Object> normalize(Map<?, ?> tree, String path) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : tree.entrySet()) {
      Object rawKey = entry.getKey();
      if (!(rawKey instanceof String key) || key.isBlank()) {
        throw new IllegalArgumentException(
            "option names must be non-blank text but "
                + (path.isEmpty() ? "the" : path)
                + " has "
                + quote(rawKey));
      }
      String[] segments = key.trim().split("\\.", -1);
      Map<String, Object> target = out;
      String at = path;
      for (int i = 0; i < segments.length; i++) {
        String segment = camel(segments[i].trim());
        if (segment.isEmpty()) {
          throw new IllegalArgumentException("option name '" + rawKey + "' has an empty part");
        }
        at = at.isEmpty() ? segment : at + "." + segment;
        if (i == segments.length - 1) {
          Object value = entry.getValue();
          Object normalized =
              value instanceof Map<?, ?> m && !isIndexed(m) ? normalize(m, at) : value;
          Object previous = target.get(segment);
          if (previous instanceof Map<?, ?> pm && normalized instanceof Map<?, ?> nm) {
            merge(castMap(pm), castMap(nm), at);
          } else if (previous != null) {
            throw new IllegalArgumentException("option '" + at + "' is given twice");
          } else if (normalized != null) {
            target.put(segment, normalized);
          }
        } else {
          Object next = target.get(segment);
          if (next == null) {
            next = new LinkedHashMap<String, Object>();
            target.put(segment, next);
          } else if (!(next instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(
                "option '" + at + "' is both a value (" + quote(next) + ") and an object");
          }
          target = castMap((Map<?, ?>) next);
        }
      }
    }
    return out;
  }

  private static void merge(Map<String, Object> into, Map<String, Object> from, String path) {
    for (Map.Entry<String, Object> e : from.entrySet()) {
      String at = path + "." + e.getKey();
      Object previous = into.get(e.getKey());
      if (previous instanceof Map<?, ?> pm && e.getValue() instanceof Map<?, ?> nm) {
        merge(castMap(pm), castMap(nm), at);
      } else if (previous != null) {
        throw new IllegalArgumentException("option '" + at + "' is given twice");
      } else {
        into.put(e.getKey(), e.getValue());
      }
    }
  }

  @SuppressWarnings("unchecked") // every map normalize() makes is a Map<String, Object>
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  /** A map from "0", "1"... (or "[0]"...): how properties binders hand over a list. */
  private static boolean isIndexed(Map<?, ?> map) {
    if (map.isEmpty()) {
      return false;
    }
    for (Object key : map.keySet()) {
      if (!(key instanceof String s) || !s.matches("\\[?[0-9]+]?")) {
        return false;
      }
    }
    return true;
  }

  private static Map<Integer, Object> byIndex(Map<?, ?> indexed) {
    Map<Integer, Object> sorted = new TreeMap<>();
    for (Map.Entry<?, ?> e : indexed.entrySet()) {
      sorted.put(
          Integer.parseInt(((String) e.getKey()).replace("[", "").replace("]", "")), e.getValue());
    }
    return sorted;
  }

  /** {@code baseEjectionTime} from {@code base-ejection-time} or {@code base_ejection_time}. */
  static String camel(String key) {
    if (key.indexOf('-') < 0 && key.indexOf('_') < 0) {
      return key;
    }
    StringBuilder out = new StringBuilder(key.length());
    boolean upper = false;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '-' || c == '_') {
        upper = out.length() > 0;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  private static @Nullable BigDecimal decimal(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return BigDecimal.valueOf(((Number) value).longValue());
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (value instanceof BigDecimal d) {
      return d;
    }
    if (value instanceof Number n) {
      return parseDecimal(n.toString());
    }
    return value instanceof String s ? parseDecimal(s.trim()) : null;
  }

  private static @Nullable BigDecimal parseDecimal(String s) {
    if (!s.matches("[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
      return null;
    }
    return new BigDecimal(s);
  }

  private static @Nullable Boolean booleanOrNull(@Nullable Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s) {
      String t = s.trim().toLowerCase(Locale.ROOT);
      if (t.equals("true")) {
        return true;
      }
      if (t.equals("false")) {
        return false;
      }
    }
    return null;
  }

  /** {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code PT10S}; null if it is none of these. */
  static @Nullable Duration parseDuration(String s) {
    if (s.length() > 1 && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      return null;
    }
    BigDecimal amount = new BigDecimal(m.group(1));
    long nanosPerUnit =
        switch (m.group(2)) {
          case "ns" -> 1L;
          case "us", "µs" -> 1_000L;
          case "ms" -> 1_000_000L;
          case "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          case "h" -> 3_600_000_000_000L;
          default -> 86_400_000_000_000L;
        };
    try {
      return Duration.ofNanos(
          amount
              .multiply(BigDecimal.valueOf(nanosPerUnit))
              .setScale(0, java.math.RoundingMode.HALF_UP)
              .longValueExact());
    } catch (ArithmeticException e) {
      return null;
    }
  }

  private static String quote(@Nullable Object value) {
    if (value instanceof String) {
      return "\"" + value + "\"";
    }
    if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      return String.valueOf(d.longValue());
    }
    return String.valueOf(value);
  }
}
