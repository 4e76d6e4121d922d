package dev.lb.grpc;

import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The options of a policy's service config that configure its lb-core {@link LoadBalancer}: outlier
 * detection, slow start, panic threshold, local zone, overprovisioning factor, the per-endpoint
 * concurrency cap, the adaptive (or fixed) concurrency limits per endpoint and per channel, and
 * circuit breaker. They are read by lb-core's {@link LoadBalancerConfig}, the same reader (and the
 * same names, ranges and error messages, which name the option by its path and quote the value) as
 * configuration files and Spring properties use; immutable.
 *
 * <p>Two option sets are equal when their parsed values are, so an unchanged service config keeps
 * the channel's balancer (and its statistics); any change builds a new one.
 */
final class BalancerOptions {
  /** The service-config fields handed to {@link LoadBalancerConfig}; the policy reads the rest. */
  static final List<String> FIELDS =
      List.of(
          "outlierDetection",
          "slowStart",
          "panicThreshold",
          "localZone",
          "overprovisioningFactor",
          "maxInFlightPerEndpoint",
          "concurrencyLimitPerEndpoint",
          "concurrencyLimit",
          "circuitBreaker");

  static final BalancerOptions DEFAULTS = new BalancerOptions(LoadBalancerConfig.fromMap(Map.of()));

  private final LoadBalancerConfig config;

  private BalancerOptions(LoadBalancerConfig config) {
    this.config = config;
  }

  /**
   * Parses the balancer options of a policy's JSON object; other fields are ignored here.
   *
   * @throws IllegalArgumentException naming the option and quoting the value, if one is invalid
   */
  static BalancerOptions parse(Map<String, ?> raw) {
    Map<String, @Nullable Object> mine = new LinkedHashMap<>();
    for (String field : FIELDS) {
      if (raw.containsKey(field)) {
        mine.put(field, raw.get(field));
      }
    }
    return mine.isEmpty() ? DEFAULTS : new BalancerOptions(LoadBalancerConfig.fromMap(mine));
  }

  /** Sets every configured option on {@code builder}; unset ones keep lb-core's defaults. */
  void applyTo(LoadBalancer.Builder builder) {
    config.applyTo(builder);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof BalancerOptions that && config.equals(that.config);
  }

  @Override
  public int hashCode() {
    return config.hashCode();
  }

  @Override
  public String toString() {
    return config.options().toString();
  }
}
