package dev.lb.statspage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.health.OutlierDetection;
import dev.lb.micrometer.LoadBalancerMetrics;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The page fetched over real HTTP on 127.0.0.1, its JSON parsed back. */
class StatsPageTest {
  private final FakeTicker ticker = new FakeTicker();
  private final LoadBalancer balancer =
      LoadBalancer.builder()
          .name("users \"eu\"")
          .ticker(ticker)
          .scheduler(new FakeScheduler(ticker))
          .outlierDetection(OutlierDetection.disabled())
          .endpoints(
              List.of(
                  Endpoint.builder("10.0.0.1", 8080).id("a").zone("z1").build(),
                  Endpoint.builder("10.0.0.2", 8080).id("b<script>").build()))
          .build();
  private StatsPage page;

  @AfterEach
  void close() {
    if (page != null) {
      page.close();
    }
    balancer.close();
  }

  /** A response: status, headers (names in lower case), body. */
  record Response(int statusCode, Map<String, String> headers, String body) {}

  private Response get(String path) throws IOException {
    return request(page.uri().resolve(path), "GET");
  }

  /** Over the JDK's HttpURLConnection (java.base: the module reads nothing more for its tests). */
  private static Response request(URI uri, String method) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(10_000);
    c.setReadTimeout(10_000);
    try {
      int status = c.getResponseCode();
      Map<String, String> headers = new java.util.HashMap<>();
      c.getHeaderFields()
          .forEach(
              (k, v) -> {
                if (k != null) {
                  headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0));
                }
              });
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new Response(status, headers, body);
    } finally {
      c.disconnect();
    }
  }

  private void traffic() {
    PickContext onlyA = PickContext.builder().exclude("b<script>").build();
    for (int i = 1; i <= 100; i++) {
      balancer.pick(onlyA).onSuccess(i * 100_000L); // 0.1 .. 10 ms
    }
    balancer.pick(PickContext.builder().exclude("a").build()).onFailure(1_000_000L, null);
    balancer.pick(onlyA); // one in flight
    balancer.disable("b<script>");
  }

  @Test
  void json_overHttp_parsesBackToTheStats() throws Exception {
    traffic();
    page = StatsPage.builder().balancer(balancer).start();
    assertThat(page.uri().getHost()).isEqualTo("127.0.0.1");

    Response r = get("stats.json");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers()).containsEntry("content-type", "application/json");
    JsonNode root = new ObjectMapper().readTree(r.body());
    JsonNode b = root.get("balancers").get(0);
    assertThat(b.get("name").asText()).isEqualTo("users \"eu\"");
    assertThat(b.get("strategy").asText()).isEqualTo("round_robin");
    assertThat(b.get("panic").asBoolean()).isFalse();
    assertThat(b.get("inFlight").asLong()).isEqualTo(1);
    JsonNode a = b.get("endpoints").get(0);
    assertThat(a.get("id").asText()).isEqualTo("a");
    assertThat(a.get("host").asText()).isEqualTo("10.0.0.1");
    assertThat(a.get("port").asInt()).isEqualTo(8080);
    assertThat(a.get("zone").asText()).isEqualTo("z1");
    assertThat(a.get("health").asText()).isEqualTo("HEALTHY");
    assertThat(a.get("successes").asLong()).isEqualTo(100);
    assertThat(a.get("inFlight").asLong()).isEqualTo(1);
    assertThat(a.get("picks").asLong()).isEqualTo(101);
    assertThat(a.get("latencySamples").asLong()).isEqualTo(100);
    assertThat(a.get("latencyP50Nanos").asDouble()).isCloseTo(5e6, within(5e6 * 0.0625));
    assertThat(a.get("latencyP99Nanos").asDouble()).isCloseTo(9.9e6, within(9.9e6 * 0.0625));
    assertThat(a.get("breakerState").isNull()).isTrue();
    JsonNode other = b.get("endpoints").get(1);
    assertThat(other.get("id").asText()).isEqualTo("b<script>");
    assertThat(other.get("zone").isNull()).isTrue();
    assertThat(other.get("health").asText()).isEqualTo("DISABLED");
    assertThat(other.get("failures").asLong()).isEqualTo(1);
    assertThat(other.get("latencyEwmaNanos").isNull()).isTrue(); // a failure sets no first estimate
  }

  @Test
  void html_tableEscapesNames_andPrometheusTextWhenGiven() throws Exception {
    traffic();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (LoadBalancerMetrics metrics =
        LoadBalancerMetrics.builder(balancer).statsMaxAge(Duration.ZERO).build()) {
      metrics.bindTo(registry);
      page = StatsPage.builder().balancer(balancer).prometheus(registry::scrape).start();

      Response html = get("/");
      assertThat(html.statusCode()).isEqualTo(200);
      assertThat(html.headers()).containsEntry("content-type", "text/html; charset=utf-8");
      assertThat(html.body())
          .contains("<h2>users &quot;eu&quot;</h2>", "b&lt;script&gt;", "DISABLED")
          .doesNotContain("b<script>");

      Response prom = get("metrics");
      assertThat(prom.statusCode()).isEqualTo(200);
      assertThat(prom.body()).contains("lb_calls_total{").contains("endpoint=\"a\"");
    }
  }

  @Test
  void unknownPaths_missingPrometheus_andOtherMethods_areRefused() throws Exception {
    page = StatsPage.builder().balancer(balancer).start();
    assertThat(get("metrics").statusCode()).isEqualTo(404);
    assertThat(get("nope").statusCode()).isEqualTo(404);
    Response post = request(page.uri(), "DELETE");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers()).containsEntry("allow", "GET, HEAD");
    Response head = request(page.uri().resolve("stats.json"), "HEAD");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void handler_mountsOnAServerOfYourOwn() throws Exception {
    StatsPage pages = StatsPage.builder().balancer(balancer).buildHandler();
    assertThatThrownBy(pages::uri).isInstanceOf(IllegalStateException.class);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/lb", pages.handler());
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/lb/stats.json");
      Response r = request(uri, "GET");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new ObjectMapper().readTree(r.body()).get("balancers").size()).isEqualTo(1);
    } finally {
      server.stop(0);
      pages.close();
    }
  }

  @Test
  void builder_validates() {
    assertThatThrownBy(() -> StatsPage.builder().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a stats page needs at least one balancer");
    assertThatThrownBy(() -> StatsPage.builder().port(70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be in [0, 65535] but was 70000");
    assertThatThrownBy(() -> StatsPage.builder().balancer(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("balancer");
  }
}
