package dev.lb.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code lb.*} properties: one entry under {@code lb.services} per balanced service, keyed by
 * the service's name (the host that {@code @LoadBalanced} clients and the OkHttp client use).
 *
 * <p>Each service's entry is kept as the tree Spring binds it to and handed to {@link
 * dev.lb.LoadBalancerConfig#fromMap}, which checks every option and names the bad one: {@code
 * endpoints}, {@code strategy} and every balancer option ({@code decay-window}, {@code
 * outlier-detection.*}, {@code slow-start.*}, {@code circuit-breaker.*}, ...), in kebab-case or
 * camelCase. Two keys are this module's own: {@code discovery}, where the endpoints come from
 * ({@code static}, the default: the {@code endpoints} property; or {@code spring-cloud}: Spring
 * Cloud's {@code ServiceInstanceListSupplier}, that is its {@code DiscoveryClient}s, see {@link
 * DiscoverySource}); and {@code secure}, whether Spring Cloud's clients reach the instances over
 * https (false by default).
 *
 * <pre>
 * lb.services.users.strategy=peak_ewma
 * lb.services.users.endpoints=10.0.0.1:8080,10.0.0.2:8080;weight=2
 * lb.services.users.outlier-detection.consecutive-failures=3
 * </pre>
 *
 * <p>Mutable, as Spring's binding requires; read once, when the balancers are built.
 */
@ConfigurationProperties(prefix = "lb")
public class LbProperties {
  private Map<String, Map<String, Object>> services = new LinkedHashMap<>();

  /** Creates empty properties, to be bound by Spring. */
  public LbProperties() {}

  /**
   * The services by name, each as its property tree.
   *
   * @return the services; never null
   */
  public Map<String, Map<String, Object>> getServices() {
    return services;
  }

  /**
   * Sets the services, as Spring's binding does.
   *
   * @param services the services by name, each as its property tree
   */
  public void setServices(Map<String, Map<String, Object>> services) {
    this.services = services;
  }
}
