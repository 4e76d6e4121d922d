package dev.lb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.HealthStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/**
 * A whole Spring Boot application: a {@code @LoadBalanced} {@link RestClient}, {@link RestTemplate}
 * or {@link WebClient} calls {@code http://users/} and Spring Cloud LoadBalancer picks through lb's
 * weighted round robin over three real servers, one of which answers 500. Its failures reach lb
 * through Spring's lifecycle callbacks, lb ejects it, and the healthy two share the calls by weight
 * (3:1); every lease is released, once.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    classes = LoadBalancedRestClientTest.App.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_EACH_TEST_METHOD)
class LoadBalancedRestClientTest {
  private static final Backends backends = new Backends();
  private static Backends.Backend heavy;
  private static Backends.Backend light;
  private static Backends.Backend failing;

  /** The application under test: nothing but Spring's three load-balanced clients. */
  @SpringBootApplication
  static class App {
    @Bean
    @LoadBalanced
    RestClient.Builder restClientBuilder() {
      return RestClient.builder();
    }

    @Bean
    @LoadBalanced
    RestTemplate restTemplate() {
      return new RestTemplate();
    }

    @Bean
    @LoadBalanced
    WebClient.Builder webClientBuilder() {
      // The JDK's HTTP client: no Netty needed.
      return WebClient.builder().clientConnector(new JdkClientHttpConnector());
    }
  }

  @DynamicPropertySource
  static void services(DynamicPropertyRegistry registry) throws IOException {
    heavy = backends.start("heavy", false);
    light = backends.start("light", false);
    failing = backends.start("failing", true);
    registry.add("lb.services.users.strategy", () -> "weighted_round_robin");
    registry.add(
        "lb.services.users.endpoints",
        () ->
            heavy.address()
                + ";weight=3,"
                + light.address()
                + ";weight=1,"
                + failing.address()
                + ";weight=2");
    registry.add("lb.services.users.outlier-detection.consecutive-failures", () -> "2");
    registry.add("lb.services.users.outlier-detection.base-ejection-time", () -> "10m");
    registry.add("lb.services.users.outlier-detection.max-ejection-percent", () -> "50");
    registry.add("lb.services.users.outlier-detection.success-rate", () -> "false");
  }

  @Autowired RestClient.Builder builder;

  @Autowired RestTemplate restTemplate;

  @Autowired WebClient.Builder webClientBuilder;

  @Autowired OkHttpClient lbOkHttpClient;

  @Autowired
  @Qualifier("users") LoadBalancer users;

  @AfterEach
  void stopServers() {
    backends.close();
  }

  @Test
  void loadBalancedRestClient_failingServerEjected_restSplitByWeight_everyLeaseReleased() {
    RestClient client = builder.build();
    eightyCalls(
        () -> client.get().uri("http://users/hello").retrieve().body(String.class),
        HttpServerErrorException.class);
  }

  @Test
  void loadBalancedRestTemplate_failingServerEjected_restSplitByWeight_everyLeaseReleased() {
    eightyCalls(
        () -> restTemplate.getForObject("http://users/hello", String.class),
        HttpServerErrorException.class);
  }

  @Test
  void loadBalancedWebClient_failingServerEjected_restSplitByWeight_everyLeaseReleased() {
    WebClient client = webClientBuilder.build();
    eightyCalls(
        () ->
            client
                .get()
                .uri("http://users/hello")
                .retrieve()
                .bodyToMono(String.class)
                .block(Duration.ofSeconds(10)),
        WebClientResponseException.class);
  }

  /** 80 calls through a Spring client, and what lb must have seen of them. */
  private void eightyCalls(Supplier<String> call, Class<? extends Throwable> serverError) {
    int ok = 0;
    int errors = 0;
    for (int i = 0; i < 80; i++) {
      Throwable thrown = catchThrowable(call::get);
      if (thrown == null) {
        ok++;
      } else {
        assertThat(thrown).isInstanceOf(serverError);
        errors++;
      }
    }

    // Two consecutive failures eject it at once; weighted round robin gives it 2 of every 6 calls
    // before that, so it gets exactly its two.
    assertThat(failing.hits.get()).isEqualTo(2);
    assertThat(errors).isEqualTo(2);
    assertThat(ok).isEqualTo(78);
    assertThat(users.health(failing.address())).isEqualTo(HealthStatus.EJECTED);
    // The healthy two share the rest by weight, 3:1, within one round of the schedule.
    assertThat(heavy.hits.get() + light.hits.get()).isEqualTo(78);
    assertThat(heavy.hits.get()).isBetween(3 * light.hits.get() - 4, 3 * light.hits.get() + 4);

    Map<String, EndpointStats> stats = new java.util.HashMap<>();
    users.stats().endpoints().forEach(e -> stats.put(e.endpoint().address(), e));
    assertThat(users.stats().inFlight()).isZero();
    assertThat(stats.get(failing.address()).failures()).isEqualTo(2);
    assertThat(stats.get(heavy.address()).successes()).isEqualTo(heavy.hits.get());
    assertThat(stats.get(light.address()).successes()).isEqualTo(light.hits.get());
    assertThat(users.stats().picks()).isEqualTo(80);
  }

  @Test
  void okHttpClientBean_balancesTheSameService_andEjectsTheSameServer() throws IOException {
    int ok = 0;
    for (int i = 0; i < 40; i++) {
      Request request = new Request.Builder().url("http://users/hello").build();
      try (Response response = lbOkHttpClient.newCall(request).execute()) {
        if (response.code() == 200) {
          ok++;
        }
      }
    }
    // A 500 is a failure to lb but not a status lb-okhttp retries (502, 503, 504 are), so the
    // caller sees the failing server's two answers before it is ejected.
    assertThat(ok).isEqualTo(38);
    assertThat(failing.hits.get()).isEqualTo(2);
    assertThat(users.health(failing.address())).isEqualTo(HealthStatus.EJECTED);
    assertThat(users.stats().inFlight()).isZero();
  }
}
