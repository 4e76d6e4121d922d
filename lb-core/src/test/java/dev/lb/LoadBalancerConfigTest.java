package dev.lb;

import static dev.lb.testing.HealthFixture.fail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.health.HealthStatus;
import dev.lb.testing.FakeHealthChecker;
import dev.lb.testing.HealthFixture;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoadBalancerConfigTest {
  private final HealthFixture f = new HealthFixture();

  /** The same options as YAML or JSON give them: nested, typed. */
  private static Map<String, Object> nested() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("name", "users");
    tree.put("strategy", "least_connections");
    tree.put(
        "endpoints",
        List.of(
            "10.0.0.1:8080",
            "10.0.0.2:8080;weight=3;zone=eu-west-1a",
            Map.of("host", "::1", "port", 9090, "priority", 1, "backup", true)));
    tree.put("panicThreshold", 0);
    tree.put("maxInFlightPerEndpoint", 2);
    tree.put(
        "outlierDetection",
        Map.of(
            "consecutiveFailures",
            3,
            "baseEjectionTime",
            "30s",
            "maxEjectionPercent",
            100,
            "successRate",
            false));
    tree.put("retryBudget", Map.of("percentCanRetry", 0.5, "minRetriesPerSecond", 7));
    return tree;
  }

  /** The same options as a properties file gives them: flat, dotted, kebab-case, all text. */
  private static Map<String, Object> flatProperties() throws Exception {
    Properties p = new Properties();
    p.load(
        new java.io.StringReader(
            """
            name=users
            strategy=least-connections
            endpoints=10.0.0.1:8080, 10.0.0.2:8080;weight=3;zone=eu-west-1a, [::1]:9090;priority=1;backup
            panic-threshold=0
            max-in-flight-per-endpoint=2
            outlier-detection.consecutive-failures=3
            outlier-detection.base-ejection-time=PT30S
            outlier-detection.max-ejection-percent=100
            outlier-detection.success-rate=false
            retry-budget.percent-can-retry=0.50
            retry-budget.min-retries-per-second=7
            """));
    Map<String, Object> flat = new LinkedHashMap<>();
    p.forEach((k, v) -> flat.put((String) k, v));
    return flat;
  }

  @Test
  void propertiesText_nestedTypedTree_andSpecString_giveEqualConfigurations() throws Exception {
    LoadBalancerConfig fromTree = LoadBalancerConfig.fromMap(nested());
    LoadBalancerConfig fromProperties = LoadBalancerConfig.fromMap(flatProperties());
    LoadBalancerConfig fromSpec =
        LoadBalancerConfig.parse(
            "name=users,strategy=least_connections,"
                + "endpoints=10.0.0.1:8080 10.0.0.2:8080;weight=3;zone=eu-west-1a"
                + " [::1]:9090;priority=1;backup,"
                + "panicThreshold=0,maxInFlightPerEndpoint=2,"
                + "outlierDetection.consecutiveFailures=3,outlierDetection.baseEjectionTime=30000ms,"
                + "outlierDetection.maxEjectionPercent=100,outlierDetection.successRate=false,"
                + "retryBudget.percentCanRetry=0.5,retryBudget.minRetriesPerSecond=7");

    assertThat(fromProperties).isEqualTo(fromTree).hasSameHashCodeAs(fromTree);
    assertThat(fromSpec).isEqualTo(fromTree);
    assertThat(fromTree.options().get("outlierDetection"))
        .isEqualTo(
            Map.of(
                "baseEjectionTime",
                Duration.ofSeconds(30),
                "consecutiveFailures",
                3,
                "maxEjectionPercent",
                100,
                "successRate",
                false));
  }

  @Test
  void appliedConfiguration_balancesAndEjectsAsConfigured_onTheCallersClockAndScheduler() {
    LoadBalancer lb = LoadBalancerConfig.fromMap(nested()).applyTo(f.builder(List.of())).build();

    assertThat(lb.name()).isEqualTo("users");
    assertThat(lb.strategy().name()).isEqualTo("least_connections");
    assertThat(lb.endpoints())
        .extracting(Endpoint::address, Endpoint::weight, Endpoint::zone, Endpoint::priority)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.0.0.1:8080", 1, null, 0),
            org.assertj.core.groups.Tuple.tuple("10.0.0.2:8080", 3, "eu-west-1a", 0),
            org.assertj.core.groups.Tuple.tuple("[::1]:9090", 1, null, 1));
    assertThat(lb.endpoints().get(2).backup()).isTrue();

    // maxInFlightPerEndpoint = 2: the third concurrent lease on one endpoint is refused.
    String first = lb.endpoints().get(0).id();
    Lease a = HealthFixture.leaseOn(lb, first);
    Lease b = HealthFixture.leaseOn(lb, first);
    assertThatThrownBy(() -> HealthFixture.leaseOn(lb, first))
        .isInstanceOf(NoEndpointAvailableException.class);
    a.onSuccess(1);
    b.onSuccess(1);

    // outlierDetection.consecutiveFailures = 3, baseEjectionTime = 30s.
    fail(lb, first, 3);
    f.scheduler.runDue();
    assertThat(lb.health(first)).isEqualTo(HealthStatus.EJECTED);
    f.scheduler.advance(Duration.ofSeconds(30));
    assertThat(lb.health(first)).isEqualTo(HealthStatus.HEALTHY);
  }

  @Test
  void retryBudget_eachBalancerBuiltFromOneConfiguration_getsItsOwn() {
    LoadBalancerConfig config =
        LoadBalancerConfig.parse("endpoints=10.0.0.1:80,retryBudget.minRetriesPerSecond=1");
    LoadBalancer one = config.toBuilder().build();
    LoadBalancer two = config.toBuilder().build();
    long before = two.stats().retryBudgetRemaining();

    assertThat(one.retryBudget()).isNotNull().isNotSameAs(two.retryBudget());
    while (one.retryBudget().tryWithdraw()) {
      // spend all of one's budget
    }

    assertThat(one.stats().retryBudgetRemaining()).isZero();
    assertThat(two.stats().retryBudgetRemaining()).isEqualTo(before).isPositive();
    one.close();
    two.close();
  }

  @Test
  void healthCheckOptions_withoutAChecker_failWhenApplied_andRunTheGivenChecker() {
    LoadBalancerConfig config =
        LoadBalancerConfig.fromMap(
            Map.of(
                "endpoints",
                "10.0.0.1:80",
                "healthCheck",
                Map.of("interval", "5s", "unhealthyThreshold", 1)));
    assertThatThrownBy(config::toBuilder)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("withHealthChecker");

    FakeHealthChecker checker = new FakeHealthChecker();
    checker.fail("10.0.0.1:80");
    LoadBalancer lb = config.withHealthChecker(checker).applyTo(f.builder(List.of())).build();
    f.scheduler.advance(Duration.ofSeconds(5));
    assertThat(lb.health("10.0.0.1:80")).isEqualTo(HealthStatus.UNHEALTHY);
  }

  @Test
  void rateLimiter_oneLimiterPerEndpoint() {
    LoadBalancer lb =
        LoadBalancerConfig.parse(
                "endpoints=10.0.0.1:80 10.0.0.2:80,rateLimiter.permits=1,rateLimiter.period=1s,"
                    + "rateLimiter.algorithm=fixed-window")
            .applyTo(f.builder(List.of()))
            .build();
    lb.pick().onSuccess(1);
    lb.pick().onSuccess(1);
    assertThat(lb.tryPick(PickContext.none())).as("both endpoints used their one permit").isNull();
    f.scheduler.advance(Duration.ofSeconds(1));
    assertThat(lb.tryPick(PickContext.none())).isNotNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          outlierDetection.baseEjectionTime=thirty | outlierDetection.baseEjectionTime must be a duration such as "500ms", "30s" or "PT1M" but was "thirty"
          outlierDetection.bogus=1                 | unknown option 'outlierDetection.bogus'; outlierDetection accepts [interval,
          bogus=1                                  | unknown option 'bogus'; the options are [name, strategy,
          panicThreshold=101                       | panicThreshold = "101" is invalid:
          panicThreshold=1.5                       | panicThreshold must be a whole number but was "1.5"
          strategy=fastest                         | strategy = "fastest" is invalid: strategy must be one of
          slowStart.minWeightPercent=10            | slowStart.window is required
          slowStart.window=-3s                     | slowStart.window must be a duration such as
          outlierDetection.successRate.stdevFactor=0 | outlierDetection.successRate = {stdevFactor=0} is invalid:
          circuitBreaker.slidingWindowType=sliding | circuitBreaker.slidingWindowType must be one of [count_based, time_based] but was "sliding"
          rateLimiter.permits=10                   | rateLimiter needs permits and period
          rateLimiter.algorithm=leaky_bucket&rateLimiter.permits=1&rateLimiter.period=1s&rateLimiter.burst=5 | rateLimiter.burst applies to the token_bucket algorithm only
          endpoints=10.0.0.1                       | endpoints[0] must start with host:port (such as 10.0.0.1:8080) but was "10.0.0.1"
          endpoints=a:1 http://b:80                | endpoints[1]
          endpoints=a:1;weight=0                   | endpoints[0] = {host=a, port=1, weight=0} is invalid:
          endpoints=a:1;weight=2;weight=3          | endpoints[0] has an empty or repeated attribute 'weight=3'
          retryBudget.percentCanRetry=yes          | retryBudget.percentCanRetry must be a number but was "yes"
          name=                                    | name must be non-blank text but was ""
          """)
  void badOption_failsAtOnce_namingItsPathAndQuotingTheValue(String spec, String message) {
    assertThatThrownBy(() -> LoadBalancerConfig.parse(spec.replace('&', ',')))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message.strip());
  }

  @Test
  void sameOptionTwice_inTwoSpellingsOrNestedAndDotted_isAnError() {
    assertThatThrownBy(
            () -> LoadBalancerConfig.fromMap(Map.of("panicThreshold", 1, "panic-threshold", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'panicThreshold' is given twice");
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("slowStart", Map.of("window", "10s"));
    tree.put("slowStart.window", "20s");
    assertThatThrownBy(() -> LoadBalancerConfig.fromMap(tree))
        .hasMessageContaining("'slowStart.window' is given twice");
    assertThatThrownBy(() -> LoadBalancerConfig.parse("name=a,name=b"))
        .hasMessageContaining("gives 'name' twice");
    assertThatThrownBy(() -> LoadBalancerConfig.parse("name=a,,strategy=random"))
        .hasMessageContaining("empty option");
    assertThatThrownBy(() -> LoadBalancerConfig.parse("name"))
        .hasMessageContaining("must be path=value but was 'name'");
  }

  @Test
  void endpointsAsAnIndexedMap_asSpringBindsAList_keepTheirOrder() {
    Map<String, Object> indexed = new LinkedHashMap<>();
    indexed.put("10", "10.0.0.11:80");
    indexed.put("2", "10.0.0.3:80");
    indexed.put("0", "10.0.0.1:80");
    LoadBalancerConfig config = LoadBalancerConfig.fromMap(Map.of("endpoints", indexed));
    assertThat(config.toBuilder().build().endpoints())
        .extracting(Endpoint::address)
        .containsExactly("10.0.0.1:80", "10.0.0.3:80", "10.0.0.11:80");
  }

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S",
    "1.5s, PT1.5S",
    "2m, PT2M",
    "1h, PT1H",
    "1d, PT24H",
    "250us, PT0.00025S",
    "7ns, PT0.000000007S",
    "PT10S, PT10S",
    "pt1m, PT1M",
  })
  void durations_numberAndUnit_orIso8601(String text, String expected) {
    assertThat(ConfigNode.parseDuration(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @CsvSource({"10", "s", "1.s", "-1s", "P", "1w", "99999999999999999d"})
  void durations_withoutAUnitOrOutOfRange_areNotDurations(String text) {
    assertThat(ConfigNode.parseDuration(text.strip())).isNull();
  }

  @Test
  void emptyConfiguration_isTheBuildersDefaults() {
    assertThat(LoadBalancerConfig.parse("").options()).isEmpty();
    assertThat(LoadBalancerConfig.fromMap(Map.of())).isEqualTo(LoadBalancerConfig.parse(" "));
    LoadBalancer lb =
        LoadBalancerConfig.parse("").applyTo(LoadBalancer.builder().name("x")).build();
    assertThat(lb.name()).isEqualTo("x");
  }

  @Test
  void outlierDetectionAsABoolean_andCircuitBreakerOptions() {
    LoadBalancerConfig off = LoadBalancerConfig.parse("outlierDetection=false");
    assertThat(off.options()).containsEntry("outlierDetection", false);
    LoadBalancerConfig breaker =
        LoadBalancerConfig.parse(
            "endpoints=a:1,circuitBreaker.failureRateThreshold=50,"
                + "circuitBreaker.slidingWindowSize=20,circuitBreaker.waitDurationInOpenState=10s");
    assertThat(breaker.options().get("circuitBreaker"))
        .isEqualTo(
            Map.of(
                "failureRateThreshold",
                50.0,
                "slidingWindowType",
                dev.lb.breaker.CircuitBreakerConfig.SlidingWindowType.COUNT_BASED,
                "slidingWindowSize",
                20,
                "waitDurationInOpenState",
                Duration.ofSeconds(10)));
    LoadBalancer lb = breaker.toBuilder().build();
    assertThat(lb.stats().endpoints().get(0).breakerState()).isNotNull();
    lb.close();
  }

  @Test
  void nulls_namedInTheException() {
    assertThatThrownBy(() -> LoadBalancerConfig.fromMap(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("tree");
    assertThatThrownBy(() -> LoadBalancerConfig.parse(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("spec");
    LoadBalancerConfig config = LoadBalancerConfig.parse("");
    assertThatThrownBy(() -> config.applyTo(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("builder");
    assertThatThrownBy(() -> config.withHealthChecker(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("checker");
  }

  @Test
  void concurrencyLimits_fromConfig_refuseOverTheLimit_andAdaptiveOptionsAreChecked() {
    LoadBalancer lb =
        LoadBalancerConfig.parse(
                "endpoints=10.0.0.1:80 10.0.0.2:80,concurrencyLimit.algorithm=fixed,"
                    + "concurrencyLimit.limit=2")
            .toBuilder()
            .build();
    Lease first = lb.pick();
    Lease second = lb.pick();
    assertThatThrownBy(lb::pick)
        .isInstanceOf(NoEndpointAvailableException.class)
        .extracting(e -> ((NoEndpointAvailableException) e).reason())
        .isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY);
    first.onSuccess(1);
    lb.pick().onSuccess(1);
    second.onSuccess(1);
    lb.close();

    LoadBalancerConfig adaptive =
        LoadBalancerConfig.fromMap(
            Map.of(
                "concurrency-limit-per-endpoint",
                Map.of(
                    "algorithm", "gradient",
                    "min-limit", "2",
                    "max-limit", 50,
                    "probe-interval", "20s",
                    "tolerance", 2.0)));
    assertThat(adaptive.options().get("concurrencyLimitPerEndpoint"))
        .isEqualTo(
            Map.of(
                "algorithm",
                "gradient",
                "minLimit",
                2,
                "maxLimit",
                50,
                "probeInterval",
                Duration.ofSeconds(20),
                "tolerance",
                2.0));
    adaptive.toBuilder().endpoints(List.of(Endpoint.of("10.0.0.1", 80))).build().close();

    assertThatThrownBy(() -> LoadBalancerConfig.parse("concurrencyLimit.algorithm=aimd"))
        .hasMessage(
            "concurrencyLimit.algorithm must be one of [fixed, vegas, gradient] but was \"aimd\"");
    assertThatThrownBy(() -> LoadBalancerConfig.parse("concurrencyLimit.limit=5"))
        .hasMessage("concurrencyLimit.algorithm is required: one of [fixed, vegas, gradient]");
    assertThatThrownBy(() -> LoadBalancerConfig.parse("concurrencyLimit.algorithm=fixed"))
        .hasMessage("concurrencyLimit.limit is required for the fixed limit");
    assertThatThrownBy(
            () ->
                LoadBalancerConfig.parse(
                    "concurrencyLimit.algorithm=vegas,concurrencyLimit.queueSize=3"))
        .hasMessageStartingWith("unknown option 'concurrencyLimit.queueSize'");
    assertThatThrownBy(
            () ->
                LoadBalancerConfig.parse(
                    "concurrencyLimitPerEndpoint.algorithm=vegas,"
                        + "concurrencyLimitPerEndpoint.minLimit=0"))
        .hasMessageStartingWith("concurrencyLimitPerEndpoint.minLimit = \"0\" is invalid: ");
  }
}
