package dev.lb.spring;

import dev.lb.LoadBalancer;
import dev.lb.okhttp.LoadBalancingInterceptor;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Auto-configuration of lb from {@code lb.services.<name>.*} properties ({@link LbProperties}).
 *
 * <ul>
 *   <li>Always: a {@link LoadBalancers} bean with one {@link LoadBalancer} per service, each built
 *       by {@link dev.lb.LoadBalancerConfig#fromMap} from its properties and then adjusted by every
 *       {@link LoadBalancerCustomizer} bean; and each balancer as a bean of its own, named {@code
 *       <name>LoadBalancer} and qualified {@code @Qualifier("<name>")}.
 *   <li>With lb-okhttp: a {@link LoadBalancingInterceptor} bean ({@code lbOkHttpInterceptor}) with
 *       every service by its name as host, and an {@link OkHttpClient} bean ({@code
 *       lbOkHttpClient}) built on it, so {@code http://users/profile} is balanced.
 *   <li>With Spring Cloud LoadBalancer: {@link LbLoadBalancerClientConfiguration} in every client
 *       context, so {@code @LoadBalanced} clients pick through lb for lb's services and report each
 *       call's outcome.
 *   <li>With Spring Boot's health module (Actuator): {@link LoadBalancersHealthIndicator}, the
 *       {@code lb} health component.
 *   <li>With lb-micrometer (and so Micrometer): {@link LoadBalancersMeterBinder}, a {@code
 *       MeterBinder} bean ({@code lbMeterBinder}) that Spring Boot binds to the application's meter
 *       registries: the {@code lb.*} meters of every service.
 * </ul>
 *
 * <p>A bad property fails the application's start with an {@link IllegalArgumentException} that
 * names the property and quotes the value.
 */
@AutoConfiguration(
    beforeName = "org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration")
@EnableConfigurationProperties(LbProperties.class)
@Import(LbAutoConfiguration.BalancerBeans.class)
public class LbAutoConfiguration {
  /** Created by Spring. */
  public LbAutoConfiguration() {}

  /**
   * The balancers.
   *
   * @param properties the bound {@code lb.*} properties
   * @param customizers applied to every service's builder, in their order
   * @return the balancers, closed with the context
   */
  @Bean
  @ConditionalOnMissingBean
  public LoadBalancers lbLoadBalancers(
      LbProperties properties, ObjectProvider<LoadBalancerCustomizer> customizers) {
    return LoadBalancers.of(properties.getServices(), customizers.orderedStream().toList());
  }

  /** The lb-okhttp beans, when lb-okhttp is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({LoadBalancingInterceptor.class, OkHttpClient.class})
  @Conditional(OnAnyService.class)
  public static class OkHttpConfiguration {
    /** Created by Spring. */
    public OkHttpConfiguration() {}

    /**
     * The interceptor, with every lb service by its name as host (there is none without a service).
     *
     * @param balancers the balancers
     * @return the interceptor
     */
    @Bean
    @ConditionalOnMissingBean
    public LoadBalancingInterceptor lbOkHttpInterceptor(LoadBalancers balancers) {
      LoadBalancingInterceptor.Builder builder = LoadBalancingInterceptor.builder();
      balancers.asMap().forEach(builder::service);
      return builder.build();
    }

    /**
     * A client that balances every lb service ({@link LoadBalancingInterceptor#newClient()}).
     *
     * @param interceptor the interceptor
     * @return the client
     */
    @Bean
    @ConditionalOnMissingBean(name = "lbOkHttpClient")
    public OkHttpClient lbOkHttpClient(LoadBalancingInterceptor interceptor) {
      return interceptor.newClient();
    }
  }

  /** The Spring Cloud LoadBalancer bridge, when Spring Cloud LoadBalancer is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({
    ReactorServiceInstanceLoadBalancer.class,
    LoadBalancerClientSpecification.class
  })
  public static class SpringCloudConfiguration {
    /** Created by Spring. */
    public SpringCloudConfiguration() {}

    /**
     * Adds {@link LbLoadBalancerClientConfiguration} to every client context, as a default
     * configuration (it stays out of the contexts of services lb does not have).
     *
     * @return the specification
     */
    @Bean
    public LoadBalancerClientSpecification lbLoadBalancerClientSpecification() {
      return new LoadBalancerClientSpecification(
          "default." + LbLoadBalancerClientConfiguration.class.getName(),
          new Class<?>[] {LbLoadBalancerClientConfiguration.class});
    }
  }

  /** The health indicator, when Spring Boot's health module is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  public static class HealthConfiguration {
    /** Created by Spring. */
    public HealthConfiguration() {}

    /**
     * The {@code lb} health component.
     *
     * @param balancers the balancers
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "lbHealthIndicator")
    public LoadBalancersHealthIndicator lbHealthIndicator(LoadBalancers balancers) {
      return new LoadBalancersHealthIndicator(balancers);
    }
  }

  /**
   * The Micrometer meters, when lb-micrometer and Micrometer are on the class path: Spring Boot
   * binds every {@code MeterBinder} bean to the application's meter registries.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "io.micrometer.core.instrument.MeterRegistry",
        "dev.lb.micrometer.LoadBalancerMetrics"
      })
  public static class MetricsConfiguration {
    /** Created by Spring. */
    public MetricsConfiguration() {}

    /**
     * The {@code lb.*} meters of every service.
     *
     * @param balancers the balancers
     * @return the binder, closed with the context
     */
    @Bean
    @ConditionalOnMissingBean
    public LoadBalancersMeterBinder lbMeterBinder(LoadBalancers balancers) {
      return new LoadBalancersMeterBinder(balancers);
    }
  }

  /** Matches when {@code lb.services} has at least one service (an interceptor needs one). */
  static final class OnAnyService implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return !serviceNames(context.getEnvironment()).isEmpty();
    }
  }

  static Set<String> serviceNames(Environment environment) {
    return Binder.get(environment)
        .bind("lb.services", Bindable.mapOf(String.class, Object.class))
        .orElse(Map.of())
        .keySet();
  }

  /**
   * Registers each service's balancer as a bean: the names come from the environment, since bean
   * definitions are registered before any bean (the {@link LoadBalancers} bean among them) exists.
   */
  static final class BalancerBeans
      implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanFactoryAware {
    private @Nullable Environment environment;
    private @Nullable BeanFactory beanFactory;

    @Override
    public void setEnvironment(Environment environment) {
      this.environment = environment;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
      this.beanFactory = beanFactory;
    }

    @Override
    public void registerBeanDefinitions(
        AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
      Environment env = environment;
      BeanFactory beans = beanFactory;
      if (env == null || beans == null) {
        return;
      }
      for (String name : serviceNames(env)) {
        String beanName = name + "LoadBalancer";
        if (registry.containsBeanDefinition(beanName)) {
          continue;
        }
        RootBeanDefinition definition =
            new RootBeanDefinition(
                LoadBalancer.class, () -> beans.getBean(LoadBalancers.class).get(name));
        definition.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
        // LoadBalancers closes the balancers; no second close per bean.
        definition.setDestroyMethodName("");
        registry.registerBeanDefinition(beanName, definition);
      }
    }
  }
}
