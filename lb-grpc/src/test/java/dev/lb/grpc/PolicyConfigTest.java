package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.StrategyRegistry;
import dev.lb.strategy.Strategies;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing and validating the policies' service config objects. */
class PolicyConfigTest {
  private static PolicyConfig parse(Map<String, ?> raw) {
    return PolicyConfig.parseOrThrow("lb", null, raw);
  }

  private static String error(String policy, Map<String, ?> raw) {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    ConfigOrError result = provider.parseLoadBalancingPolicyConfig(raw);
    assertThat(result.getError()).as("error for %s", raw).isNotNull();
    assertThat(result.getError().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    return result.getError().getDescription();
  }

  @Test
  void everyStrategy_isRegisteredAsAPolicy_plusTheGenericOne() {
    LoadBalancerRegistry registry = LoadBalancerRegistry.getDefaultRegistry();
    for (String name : StrategyRegistry.names()) {
      LoadBalancerProvider provider = registry.getProvider("lb_" + name);
      assertThat(provider).as("lb_%s", name).isInstanceOf(LbLoadBalancerProvider.class);
      ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(Map.of());
      assertThat(((PolicyConfig) parsed.getConfig()).strategy.name()).isEqualTo(name);
    }
    assertThat(registry.getProvider("lb")).isInstanceOf(LbLoadBalancerProvider.class);
  }

  @Test
  void emptyConfig_givesTheDefaults() {
    PolicyConfig config = parse(Map.of());

    assertThat(config).isEqualTo(PolicyConfig.defaults(Strategies.roundRobin()));
    assertThat(config.decayWindow).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.hashHeader).isNull();
    assertThat(config.hashBinaryHeader).isNull();
    assertThat(config.classifier.classify(Status.Code.UNAVAILABLE))
        .isEqualTo(OutcomeClassifier.Outcome.FAILURE);
    assertThat(config.classifier.classify(Status.Code.NOT_FOUND))
        .isEqualTo(OutcomeClassifier.Outcome.SUCCESS);
    assertThat(config.classifier.classify(Status.Code.CANCELLED))
        .isEqualTo(OutcomeClassifier.Outcome.CANCEL);
  }

  @Test
  void everyOption_isParsed() {
    PolicyConfig config =
        parse(
            Map.of(
                "strategy", "Peak-EWMA",
                "decayWindow", "1.5s",
                "hashHeader", "X-User-Id",
                "failureStatuses", List.of("unavailable", "ABORTED")));

    assertThat(config.strategy).isSameAs(Strategies.peakEwma());
    assertThat(config.decayWindow).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.hashHeader.name()).isEqualTo("x-user-id");
    assertThat(config.classifier.classify(Status.Code.ABORTED))
        .isEqualTo(OutcomeClassifier.Outcome.FAILURE);
    assertThat(config.classifier.classify(Status.Code.DEADLINE_EXCEEDED))
        .isEqualTo(OutcomeClassifier.Outcome.SUCCESS);
    assertThat(config.toString())
        .contains("peak_ewma", "PT1.5S", "x-user-id", "UNAVAILABLE", "ABORTED");
    assertThat(config.sameBalancer(parse(Map.of("strategy", "peak_ewma", "decayWindow", "1.5s"))))
        .isTrue();
    assertThat(config).isNotEqualTo(parse(Map.of("strategy", "peak_ewma", "decayWindow", "1.5s")));
  }

  @Test
  void healthCheck_optionIsParsed_withDefaults() {
    PolicyConfig config =
        parse(Map.of("healthCheck", Map.of("service", "users.v1.Users", "interval", "2s")));

    assertThat(config.healthCheck)
        .isEqualTo(
            new PolicyConfig.HealthCheckSpec(
                "users.v1.Users", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3));
    assertThat(parse(Map.of("healthCheck", Map.of())).healthCheck)
        .isEqualTo(
            new PolicyConfig.HealthCheckSpec(
                "", Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 3));
    assertThat(config.sameBalancer(parse(Map.of()))).isFalse();
  }

  @Test
  void healthCheck_invalidValues_areRejected() {
    assertThat(error("lb", Map.of("healthCheck", "yes")))
        .contains("healthCheck must be an object such as {\"interval\": \"5s\"} but was \"yes\"");
    assertThat(error("lb", Map.of("healthCheck", Map.of("period", "1s"))))
        .contains("unknown field 'healthCheck.period'");
    assertThat(error("lb", Map.of("healthCheck", Map.of("timeout", "0s"))))
        .contains("healthCheck.timeout must be a positive duration");
    assertThat(error("lb", Map.of("healthCheck", Map.of("healthyThreshold", 0.0))))
        .contains("healthCheck.healthyThreshold must be a whole number in 1..1000 but was 0.0");
    assertThat(error("lb", Map.of("healthCheck", Map.of("unhealthyThreshold", 2.5))))
        .contains("but was 2.5");
    assertThat(error("lb", Map.of("healthCheck", Map.of("service", 1.0))))
        .contains("healthCheck.service must be a string but was 1.0");
  }

  @Test
  void binaryHashHeader_isABinaryKey() {
    PolicyConfig config = parse(Map.of("hashHeader", "x-session-bin"));

    assertThat(config.hashHeader).isNull();
    assertThat(config.hashBinaryHeader.name()).isEqualTo("x-session-bin");
  }

  @Test
  void emptyFailureStatuses_countNothingAgainstTheEndpoint() {
    PolicyConfig config = parse(Map.of("failureStatuses", List.of()));

    assertThat(config.classifier.classify(Status.Code.UNAVAILABLE))
        .isEqualTo(OutcomeClassifier.Outcome.SUCCESS);
  }

  @Test
  void invalidOptions_areRejected_namingOptionAndValue() {
    assertThat(error("lb_peak_ewma", Map.of("decayWindow", "-1s")))
        .startsWith("invalid lb_peak_ewma config")
        .contains(
            "decayWindow must be a positive duration such as \"10s\" or \"0.5s\" but was \"-1s\"");
    assertThat(error("lb_peak_ewma", Map.of("decayWindow", "10"))).contains("but was \"10\"");
    assertThat(error("lb_peak_ewma", Map.of("decayWindow", "0s"))).contains("but was \"0s\"");
    assertThat(error("lb_peak_ewma", Map.of("decayWindow", 10.0)))
        .contains("decayWindow must be a non-blank string but was 10.0");
    assertThat(error("lb", Map.of("strategy", "fastest")))
        .contains("strategy must be one of")
        .contains("'fastest'");
    assertThat(error("lb_round_robin", Map.of("strategy", "p2c")))
        .contains(
            "unknown field 'strategy'; lb_round_robin accepts [decayWindow, hashHeader,"
                + " failureStatuses, latencyExcludedMethods, healthCheck, outlierDetection,"
                + " slowStart, panicThreshold,"
                + " localZone, overprovisioningFactor, maxInFlightPerEndpoint,"
                + " concurrencyLimitPerEndpoint, concurrencyLimit, circuitBreaker]");
    assertThat(error("lb", Map.of("hashHeadr", "x"))).contains("unknown field 'hashHeadr'");
    assertThat(error("lb", Map.of("hashHeader", "grpc-timeout")))
        .contains("hashHeader must be a request header name but was 'grpc-timeout'");
    assertThat(error("lb", Map.of("hashHeader", "x user")))
        .contains("hashHeader must be a valid header name but was 'x user'");
    assertThat(error("lb", Map.of("failureStatuses", "UNAVAILABLE")))
        .contains("failureStatuses must be an array of status code names but was UNAVAILABLE");
    assertThat(error("lb", Map.of("failureStatuses", List.of("UNAVAILABLE", "BROKEN"))))
        .contains("but one was \"BROKEN\"");
    assertThat(error("lb", Map.of("failureStatuses", List.of("CANCELLED"))))
        .contains("other than OK and CANCELLED");
    assertThat(error("lb", Map.of("failureStatuses", List.of(14.0)))).contains("but one was 14.0");
  }

  @Test
  void balancerOptions_everyOneIsParsed_andPartOfTheBalancersIdentity() {
    Map<String, Object> raw = new HashMap<>();
    raw.put(
        "outlierDetection",
        Map.of(
            "interval",
            "1s",
            "baseEjectionTime",
            "2s",
            "maxEjectionTime",
            "20s",
            "maxEjectionPercent",
            50.0,
            "consecutiveFailures",
            3.0,
            "successRate",
            Map.of("stdevFactor", 1.5, "minimumHosts", 3.0, "requestVolume", 10.0),
            "failurePercentage",
            Map.of("threshold", 60.0)));
    raw.put("slowStart", Map.of("window", "30s", "minWeightPercent", 5.0, "aggression", 2.0));
    raw.put("panicThreshold", 0.0);
    raw.put("localZone", "eu-west-1a");
    raw.put("overprovisioningFactor", 1.2);
    raw.put("maxInFlightPerEndpoint", 100.0);
    raw.put(
        "circuitBreaker",
        Map.of(
            "failureRateThreshold", 25.0,
            "slowCallRateThreshold", 80.0,
            "slowCallDurationThreshold", "2s",
            "slidingWindowType", "time_based",
            "slidingWindowSize", 60.0,
            "minimumNumberOfCalls", 20.0,
            "consecutiveFailureThreshold", 5.0,
            "waitDurationInOpenState", "10s",
            "permittedNumberOfCallsInHalfOpenState", 3.0,
            "maxWaitDurationInHalfOpenState", "0s"));

    PolicyConfig config = parse(raw);

    assertThat(config.toString())
        .contains("consecutiveFailures=3", "stdevFactor=1.5", "threshold=60")
        .contains("window=PT30S", "aggression=2.0", "panicThreshold=0", "localZone=eu-west-1a")
        .contains("overprovisioningFactor=1.2", "maxInFlightPerEndpoint=100")
        .contains("slidingWindowType=TIME_BASED", "maxWaitDurationInHalfOpenState=PT0S");
    assertThat(config.sameBalancer(parse(new HashMap<>(raw)))).isTrue();
    assertThat(config.sameBalancer(parse(Map.of()))).isFalse();
    raw.put("panicThreshold", 1.0);
    assertThat(config.sameBalancer(parse(raw))).isFalse();
    assertThat(parse(Map.of("outlierDetection", false)))
        .isNotEqualTo(parse(Map.of("outlierDetection", true)));
  }

  @Test
  void balancerOptions_invalidValues_areRejected_namingOptionAndQuotingValue() {
    Map<Map<String, ?>, String> cases = new java.util.LinkedHashMap<>();
    cases.put(
        Map.of("outlierDetection", "off"),
        "outlierDetection must be an object of options but was \"off\"");
    cases.put(
        Map.of("outlierDetection", Map.of("intervall", "1s")),
        "unknown option 'outlierDetection.intervall'; outlierDetection accepts [interval,");
    cases.put(
        Map.of("outlierDetection", Map.of("interval", "-1s")),
        "outlierDetection.interval must be a duration such as \"500ms\", \"30s\" or \"PT1M\" but"
            + " was \"-1s\"");
    cases.put(
        Map.of("outlierDetection", Map.of("baseEjectionTime", 30.0)),
        "outlierDetection.baseEjectionTime must be a duration such as \"500ms\", \"30s\" or"
            + " \"PT1M\" but was 30");
    cases.put(
        Map.of("outlierDetection", Map.of("maxEjectionPercent", 101.0)),
        "outlierDetection.maxEjectionPercent = 101 is invalid: maxEjectionPercent must be in"
            + " 0..100 but was 101");
    cases.put(
        Map.of("outlierDetection", Map.of("consecutiveFailures", -1.0)),
        "outlierDetection.consecutiveFailures = -1 is invalid: consecutiveFailures must be 0 or"
            + " more but was -1");
    cases.put(
        Map.of("outlierDetection", Map.of("successRate", Map.of("stdevFactor", 0.0))),
        "outlierDetection.successRate = {stdevFactor=0.0} is invalid: successRateStdevFactor must"
            + " be positive but was 0.0");
    cases.put(
        Map.of("outlierDetection", Map.of("failurePercentage", Map.of("minimumHosts", 0.5))),
        "outlierDetection.failurePercentage.minimumHosts must be a whole number but was 0.5");
    cases.put(
        Map.of("slowStart", Map.of()),
        "slowStart.window is required: a positive duration such as \"30s\"");
    cases.put(
        Map.of("slowStart", Map.of("window", "10s", "minWeightPercent", 0.0)),
        "slowStart.minWeightPercent = 0 is invalid: minWeightPercent must be in 1..100 but was 0");
    cases.put(
        Map.of("slowStart", Map.of("window", "10s", "aggression", -2.0)),
        "slowStart.aggression = -2 is invalid: aggression must be positive but was -2.0");
    cases.put(
        Map.of("panicThreshold", 150.0),
        "panicThreshold = 150 is invalid: panicThreshold must be in 0..100 but was 150");
    cases.put(
        Map.of("maxInFlightPerEndpoint", 1e20),
        "maxInFlightPerEndpoint must be a whole number but was 1.0E20");
    cases.put(Map.of("localZone", " "), "localZone must be non-blank text but was \" \"");
    cases.put(
        Map.of("overprovisioningFactor", 0.9),
        "overprovisioningFactor = 0.9 is invalid: overprovisioningFactor must be 1 or more but was"
            + " 0.9");
    cases.put(
        Map.of("maxInFlightPerEndpoint", 0.0),
        "maxInFlightPerEndpoint = 0 is invalid: maxInFlightPerEndpoint must be 1 or more but was"
            + " 0");
    cases.put(
        Map.of("circuitBreaker", Map.of("failureRateThreshold", 0.0)),
        "circuitBreaker.failureRateThreshold = 0 is invalid: failureRateThreshold must be in (0,"
            + " 100] but was 0.0");
    cases.put(
        Map.of("circuitBreaker", Map.of("slidingWindowType", "SESSION")),
        "circuitBreaker.slidingWindowType must be one of [count_based, time_based] but was"
            + " \"SESSION\"");
    cases.put(
        Map.of(
            "circuitBreaker",
            Map.of("slidingWindowType", "TIME_BASED", "slidingWindowSize", 7200.0)),
        "circuitBreaker.slidingWindowSize = 7200 is invalid: slidingWindowSize must be in 1..3600"
            + " for TIME_BASED but was 7200");
    cases.put(
        Map.of("circuitBreaker", Map.of("maxWaitDurationInHalfOpenState", "-1s")),
        "circuitBreaker.maxWaitDurationInHalfOpenState must be a duration such as \"500ms\","
            + " \"30s\" or \"PT1M\" but was \"-1s\"");
    cases.put(
        Map.of("circuitBreaker", Map.of("waitDurationInOpenState", "0s")),
        "circuitBreaker.waitDurationInOpenState = \"0s\" is invalid: waitDurationInOpenState must"
            + " be positive but was PT0S");
    cases.put(
        Map.of("circuitBreaker", Map.of("resetTimeout", "1s")),
        "unknown option 'circuitBreaker.resetTimeout'; circuitBreaker accepts"
            + " [failureRateThreshold,");

    cases.forEach(
        (raw, expected) ->
            assertThat(error("lb_round_robin", raw)).as("%s", raw).contains(expected));
    // The same reader as configuration files and properties: numbers written as text are numbers.
    assertThat(parse(Map.of("panicThreshold", "50")).balancerOptions)
        .isEqualTo(parse(Map.of("panicThreshold", 50.0)).balancerOptions);
  }

  @Test
  void jsonNull_meansAbsent_blankIsRejected() {
    Map<String, Object> raw = new HashMap<>();
    raw.put("hashHeader", null);
    assertThat(parse(raw).hashHeader).isNull();
    assertThat(error("lb", Map.of("hashHeader", " ")))
        .contains("hashHeader must be a non-blank string but was \" \"");
  }

  @Test
  void latencyExcludedMethods_methodConfigNames() {
    MethodNames names =
        MethodNames.parse(
            "latencyExcludedMethods",
            List.of(
                Map.of("service", "pkg.Watcher"),
                Map.of("service", "pkg.Users", "method", "Poll")));
    assertThat(names.contains("pkg.Watcher/Watch")).isTrue();
    assertThat(names.contains("pkg.Users/Poll")).isTrue();
    assertThat(names.contains("pkg.Users/Get")).isFalse();
    assertThat(names.toString()).isEqualTo("[pkg.Watcher/*, pkg.Users/Poll]");
    assertThat(MethodNames.NONE.contains("pkg.Users/Get")).isFalse();
    assertThat(error("lb", Map.of("latencyExcludedMethods", "pkg.Users")))
        .contains("latencyExcludedMethods must be an array of names");
    assertThat(error("lb", Map.of("latencyExcludedMethods", List.of(Map.of("method", "Get")))))
        .contains("latencyExcludedMethods entries must be objects with a non-blank \"service\"");
    PolicyConfig parsed =
        PolicyConfig.parseOrThrow(
            "lb",
            null,
            Map.of("latencyExcludedMethods", List.of(Map.of("service", "pkg.Watcher"))));
    assertThat(parsed.latencyExcluded.contains("pkg.Watcher/Watch")).isTrue();
    assertThat(parsed.toString()).contains("latencyExcludedMethods=[pkg.Watcher/*]");
    assertThat(parsed.sameBalancer(PolicyConfig.parseOrThrow("lb", null, Map.of())))
        .as("applies to the next picker, without a new balancer")
        .isTrue();
    assertThat(parsed).isNotEqualTo(PolicyConfig.parseOrThrow("lb", null, Map.of()));
  }

  @Test
  void duration_acceptsProtobufJsonDurations() {
    assertThat(PolicyConfig.duration("d", "30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(PolicyConfig.duration("d", "0.000000001s")).isEqualTo(Duration.ofNanos(1));
    assertThatThrownBy(() -> PolicyConfig.duration("d", "0.0000000001s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "d must be a positive duration such as \"10s\" or \"0.5s\" but was \"0.0000000001s\"");
    assertThatThrownBy(() -> PolicyConfig.duration("d", "1m"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void customProvider_rejectsBadArguments() {
    assertThatThrownBy(() -> new LbLoadBalancerProvider(" ", Strategies.random()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("policyName must not be blank but was ' '");
    assertThatThrownBy(() -> new LbLoadBalancerProvider(null, Strategies.random()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("policyName must not be null");
    assertThatThrownBy(() -> new LbLoadBalancerProvider("x", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("strategy must not be null");
    LbLoadBalancerProvider custom = new LbLoadBalancerProvider("x", Strategies.random());
    assertThat(custom.getPolicyName()).isEqualTo("x");
    assertThat(custom.isAvailable()).isTrue();
    assertThat(custom.getPriority()).isEqualTo(5);
  }

  @Test
  void orcaOptions_setTheA58Options_andOnlyForThatStrategy() {
    LoadBalancerProvider provider =
        LoadBalancerRegistry.getDefaultRegistry().getProvider("lb_orca_weighted_round_robin");
    PolicyConfig config =
        (PolicyConfig)
            provider
                .parseLoadBalancingPolicyConfig(
                    Map.of(
                        "blackoutPeriod", "0s",
                        "weightExpirationPeriod", "60s",
                        "weightUpdatePeriod", "0.5s",
                        "errorUtilizationPenalty", 2.0,
                        "enableOobLoadReport", false,
                        "oobReportingPeriod", "5s"))
                .getConfig();
    dev.lb.strategy.OrcaWeightedRoundRobin s =
        (dev.lb.strategy.OrcaWeightedRoundRobin) config.strategy;
    assertThat(s.blackoutPeriod()).isZero();
    assertThat(s.weightExpirationPeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.weightUpdatePeriod()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.errorUtilizationPenalty()).isEqualTo(2.0);
    assertThat(s.oobReportingPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(
            ((PolicyConfig) provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig()).strategy)
        .isEqualTo(Strategies.orcaWeightedRoundRobin());

    PolicyConfig generic =
        parse(Map.of("strategy", "orca_weighted_round_robin", "blackoutPeriod", "5s"));
    assertThat(((dev.lb.strategy.OrcaWeightedRoundRobin) generic.strategy).blackoutPeriod())
        .isEqualTo(Duration.ofSeconds(5));

    assertThat(error("lb_orca_weighted_round_robin", Map.of("errorUtilizationPenalty", -1.0)))
        .contains("errorUtilizationPenalty")
        .contains("-1.0");
    assertThat(error("lb_orca_weighted_round_robin", Map.of("weightUpdatePeriod", "soon")))
        .contains("weightUpdatePeriod")
        .contains("\"soon\"");
    assertThat(
            ((dev.lb.strategy.OrcaWeightedRoundRobin)
                    parse(
                            Map.of(
                                "strategy",
                                "orca_weighted_round_robin",
                                "enableOobLoadReport",
                                true))
                        .strategy)
                .enableOobLoadReport())
        .isTrue();
    assertThat(error("lb_orca_weighted_round_robin", Map.of("enableOobLoadReport", "yes")))
        .contains("enableOobLoadReport must be true or false but was \"yes\"");
    assertThat(error("lb_round_robin", Map.of("blackoutPeriod", "1s")))
        .contains("unknown field 'blackoutPeriod'");
    assertThat(error("lb", Map.of("blackoutPeriod", "1s")))
        .contains("blackoutPeriod is an option of orca_weighted_round_robin only");
  }
}
