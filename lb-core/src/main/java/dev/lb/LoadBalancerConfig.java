package dev.lb;

import static dev.lb.ConfigNode.normalize;
import static dev.lb.ConfigSections.circuitBreaker;
import static dev.lb.ConfigSections.concurrencyLimit;
import static dev.lb.ConfigSections.endpoints;
import static dev.lb.ConfigSections.healthCheck;
import static dev.lb.ConfigSections.outlierDetection;
import static dev.lb.ConfigSections.rateLimiter;
import static dev.lb.ConfigSections.retryBudget;
import static dev.lb.ConfigSections.slowStart;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.breaker.CircuitBreakerConfig;
import dev.lb.breaker.CircuitBreakerFactory;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthChecker;
import dev.lb.health.OutlierDetection;
import dev.lb.health.SlowStart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
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
 *   <tr><td>{@code concurrencyLimitPerEndpoint}, {@code concurrencyLimit}</td><td>{@code
 *       algorithm} (required: {@code fixed} with {@code limit}, {@code vegas}, {@code gradient});
 *       for the adaptive ones {@code initialLimit}, {@code minLimit}, {@code maxLimit}, {@code
 *       probeInterval}, {@code probeSamples}, {@code idleTimeout}, {@code smoothing}, and for
 *       {@code gradient} also {@code queueSize}, {@code longWindow}, {@code tolerance}</td>
 *       <td>{@link LoadBalancer.Builder#concurrencyLimitPerEndpoint}, {@link
 *       LoadBalancer.Builder#concurrencyLimit}</td></tr>
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
          "retryBudget",
          "concurrencyLimitPerEndpoint",
          "concurrencyLimit");

  private final Map<String, Object> options;
  private final List<Consumer<LoadBalancer.Builder>> steps;
  private final ConfigSections.@Nullable HealthCheckSettings healthCheck;
  private final @Nullable HealthChecker checker;

  private LoadBalancerConfig(
      Map<String, Object> options,
      List<Consumer<LoadBalancer.Builder>> steps,
      ConfigSections.@Nullable HealthCheckSettings healthCheck,
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
    ConfigNode root = new ConfigNode("", normalize(tree, ""));
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
    ConfigSections.HealthCheckSettings hc = healthCheck;
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

  private static LoadBalancerConfig read(ConfigNode root) {
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
    ConfigSections.HealthCheckSettings healthCheck = healthCheck(root, parsed);
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
    // A factory makes each endpoint's (or the balancer's) live limit: sharing it is safe.
    dev.lb.limit.ConcurrencyLimitFactory perEndpoint =
        concurrencyLimit(root, "concurrencyLimitPerEndpoint", parsed);
    if (perEndpoint != null) {
      steps.add(b -> b.concurrencyLimitPerEndpoint(perEndpoint));
    }
    dev.lb.limit.ConcurrencyLimitFactory balancerWide =
        concurrencyLimit(root, "concurrencyLimit", parsed);
    if (balancerWide != null) {
      steps.add(b -> b.concurrencyLimit(balancerWide));
    }
    return new LoadBalancerConfig(
        Collections.unmodifiableMap(parsed), List.copyOf(steps), healthCheck, null);
  }

  private static void add(
      Map<String, Object> parsed,
      List<Consumer<LoadBalancer.Builder>> steps,
      LoadBalancer.Builder scratch,
      ConfigNode node,
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
}
