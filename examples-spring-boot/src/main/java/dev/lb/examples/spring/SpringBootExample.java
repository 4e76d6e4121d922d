package dev.lb.examples.spring;

import dev.lb.LoadBalancer;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientResponseException;

/**
 * A Spring Boot application that calls a service named {@code users} through lb. Its {@code
 * application.properties} configures the service ({@code lb.services.users.*}); lb-spring-boot
 * builds the balancer, and Spring Cloud LoadBalancer's {@code @LoadBalanced} {@link RestClient}
 * asks lb which server gets each call to {@code http://users/...} and reports how it went. The
 * example starts three servers on 127.0.0.1 (weights 3, 1 and 2; the third answers 503), sends 60
 * calls and prints who got them: the broken server is ejected after three failures, and the others
 * share the rest 3:1.
 *
 * <pre>./mvnw -q -pl examples-spring-boot -am compile exec:java</pre>
 */
@SpringBootApplication
public class SpringBootExample {
  /** Created by Spring. */
  public SpringBootExample() {}

  // README: beans
  @Bean
  @LoadBalanced
  RestClient.Builder restClientBuilder() {
    return RestClient.builder();
  }

  @Bean
  UsersClient usersClient(RestClient.Builder builder) {
    return new UsersClient(builder.build());
  }

  // README: end

  /** The application's own code: it names the service, lb picks the server. */
  public static final class UsersClient {
    private final RestClient client;

    UsersClient(RestClient client) {
      this.client = client;
    }

    /**
     * Calls {@code http://users/hello}.
     *
     * @return the answer (the server's name)
     */
    public @Nullable String hello() {
      return client.get().uri("http://users/hello").retrieve().body(String.class);
    }
  }

  /**
   * Starts the application with the given endpoints for {@code users}.
   *
   * @param endpoints the value of {@code lb.services.users.endpoints}
   * @return the running application
   */
  static ConfigurableApplicationContext start(String endpoints) {
    SpringApplication app = new SpringApplication(SpringBootExample.class);
    app.setDefaultProperties(Map.of("lb.services.users.endpoints", endpoints));
    return app.run();
  }

  /**
   * Runs the example: three servers, 60 calls, a table of who got them.
   *
   * @param args ignored
   * @throws IOException if a server cannot start
   */
  public static void main(String[] args) throws IOException {
    try (ExampleBackends backends = ExampleBackends.start();
        ConfigurableApplicationContext app = start(backends.endpointsProperty())) {
      UsersClient users = app.getBean(UsersClient.class);
      Map<String, Integer> answers = new TreeMap<>();
      for (int i = 0; i < 60; i++) {
        String who;
        try {
          who = String.valueOf(users.hello());
        } catch (RestClientResponseException e) {
          who = "error " + e.getStatusCode().value();
        }
        answers.merge(who, 1, Integer::sum);
      }
      // Each lb service is also a bean: "usersLoadBalancer", or @Qualifier("users").
      LoadBalancer balancer = app.getBean("usersLoadBalancer", LoadBalancer.class);
      System.out.println("answers: " + answers);
      System.out.println(balancer.stats().toTable());
    }
  }
}
