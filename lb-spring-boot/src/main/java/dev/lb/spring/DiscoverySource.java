package dev.lb.spring;

import java.util.Locale;

/**
 * Where a service's endpoints come from: the {@code lb.services.<name>.discovery} property.
 *
 * <p>Thread-safe (an enum).
 */
public enum DiscoverySource {
  /** The {@code endpoints} property, fixed for the application's life. The default. */
  STATIC,
  /**
   * Spring Cloud's {@code ServiceInstanceListSupplier} for the service (its {@code
   * DiscoveryClient}s: Kubernetes, Consul, Eureka, the simple one), followed as it changes, through
   * the Spring Cloud LoadBalancer bridge. The {@code endpoints} property, if any, is the membership
   * until the first list arrives.
   */
  SPRING_CLOUD;

  /**
   * Reads the property's text: {@code static} or {@code spring-cloud} (any case, {@code _} for
   * {@code -}).
   *
   * @param path the property's name, for the error message
   * @param value the property's value
   * @return the source
   * @throws IllegalArgumentException naming the property and quoting the value, if it is neither
   */
  static DiscoverySource parse(String path, Object value) {
    String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT).replace('_', '-');
    return switch (text) {
      case "static" -> STATIC;
      case "spring-cloud" -> SPRING_CLOUD;
      default ->
          throw new IllegalArgumentException(
              path + " must be \"static\" or \"spring-cloud\" but was \"" + value + "\"");
    };
  }
}
