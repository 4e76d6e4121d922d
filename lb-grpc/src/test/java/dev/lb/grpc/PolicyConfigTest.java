package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    for (String name : Strategies.names()) {
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
            "unknown field 'strategy'; lb_round_robin accepts [decayWindow, hashHeader, failureStatuses, healthCheck]");
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
  void jsonNull_meansAbsent_blankIsRejected() {
    Map<String, Object> raw = new HashMap<>();
    raw.put("hashHeader", null);
    assertThat(parse(raw).hashHeader).isNull();
    assertThat(error("lb", Map.of("hashHeader", " ")))
        .contains("hashHeader must be a non-blank string but was \" \"");
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
        .hasMessage("policyName must not be null or blank but was ' '");
    assertThatThrownBy(() -> new LbLoadBalancerProvider("x", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("strategy must not be null");
    LbLoadBalancerProvider custom = new LbLoadBalancerProvider("x", Strategies.random());
    assertThat(custom.getPolicyName()).isEqualTo("x");
    assertThat(custom.isAvailable()).isTrue();
    assertThat(custom.getPriority()).isEqualTo(5);
  }
}
