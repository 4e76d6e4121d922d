package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Routing rules, traffic splits, stickiness and TLS, against real servers on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutingAndTlsTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<OkHttpClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private Backend backend(String name) throws IOException {
    Backend b = Backend.start(name);
    cleanup.add(b);
    return b;
  }

  private static LoadBalancer balancer(String name, Backend... backends) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (Backend b : backends) {
      endpoints.add(b.endpoint());
    }
    return LoadBalancer.builder()
        .name(name)
        .strategy(Strategies.roundRobin())
        .endpoints(endpoints)
        .build();
  }

  private OkHttpClient client(OkHttpClient base, Service... services) {
    LoadBalancingInterceptor.Builder b = LoadBalancingInterceptor.builder();
    for (Service s : services) {
      b.service(s);
    }
    OkHttpClient c = b.build().newClient(base);
    clients.add(c);
    return c;
  }

  private static String call(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      return r.body().string();
    }
  }

  private static Request get(String url) {
    return new Request.Builder().url(url).build();
  }

  @Test
  void route_pathPrefixHeaderAndHost_chooseTheirGroups() throws IOException {
    Backend api = backend("api");
    Backend canary = backend("canary");
    Backend admin = backend("admin");
    Backend web = backend("web");
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("shop")
                .route(Route.header("X-Canary", "always", balancer("canary", canary)))
                .route(Route.pathPrefix("/api/", balancer("api", api)))
                .route(Route.host("admin.shop", balancer("admin", admin)))
                .defaultTarget(balancer("web", web))
                .build());

    assertThat(call(c, get("http://shop/api/users"))).isEqualTo("api");
    assertThat(call(c, get("http://shop/apiary"))).isEqualTo("web");
    assertThat(call(c, get("http://shop/index.html"))).isEqualTo("web");
    assertThat(
            call(
                c,
                new Request.Builder()
                    .url("http://shop/api/x")
                    .header("X-Canary", "always")
                    .build()))
        .as("the first matching rule wins")
        .isEqualTo("canary");
    assertThat(
            call(
                c,
                new Request.Builder().url("http://shop/").header("Host", "admin.shop:80").build()))
        .isEqualTo("admin");
    assertThat(admin.requestsTo("/")).isEqualTo(1);
  }

  @Test
  void split_95to5Over10000Calls_withinToleranceAndEveryUserKeepsTheirArm() throws IOException {
    Backend stable = backend("stable");
    Backend canary = backend("canary");
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("users")
                .defaultTarget(
                    TrafficSplit.builder()
                        .arm("stable", balancer("stable", stable), 95)
                        .arm("canary", balancer("canary", canary), 5)
                        .build())
                .keyExtractor(KeyExtractor.header("X-User"))
                .build());
    int users = 2_000;
    int callsPerUser = 5;
    Map<String, String> armOf = new HashMap<>();
    int inconsistent = 0;

    for (int round = 0; round < callsPerUser; round++) {
      for (int u = 0; u < users; u++) {
        String user = "user-" + u;
        String arm =
            call(c, new Request.Builder().url("http://users/feed").header("X-User", user).build());
        String first = armOf.putIfAbsent(user, arm);
        if (first != null && !first.equals(arm)) {
          inconsistent++;
        }
      }
    }

    assertThat(inconsistent).as("calls that left their user's arm").isZero();
    int calls = users * callsPerUser;
    assertThat(stable.requests() + canary.requests()).isEqualTo(calls);
    // 5% of 2,000 users: binomial sd is about 9.7 users, so ±40 users (±2% of users) is > 4 sd.
    double canaryShare = canary.requests() / (double) calls;
    assertThat(canaryShare).isBetween(0.03, 0.07);
  }

  @Test
  void split_withoutKey_isRandomByWeightWithSeededRandom() throws IOException {
    Backend blue = backend("blue");
    Backend green = backend("green");
    LoadBalancingInterceptor lb =
        LoadBalancingInterceptor.builder()
            .service(
                Service.builder("users")
                    .defaultTarget(
                        TrafficSplit.builder()
                            .arm("blue", balancer("blue", blue), 3)
                            .arm("green", balancer("green", green), 1)
                            .build())
                    .build())
            .random(new SplittableRandom(42))
            .build();
    OkHttpClient c = lb.newClient();
    clients.add(c);

    for (int i = 0; i < 800; i++) {
      call(c, get("http://users/"));
    }

    // 200 expected for green, sd ≈ 12.2: ±50 is four sd.
    assertThat(green.requests()).isBetween(150, 250);
    assertThat(blue.requests() + green.requests()).isEqualTo(800);
  }

  @Test
  void split_zeroWeightArm_getsNothing_blueGreenSwitch() throws IOException {
    Backend blue = backend("blue");
    Backend green = backend("green");
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("users")
                .defaultTarget(
                    TrafficSplit.builder()
                        .arm("blue", balancer("blue", blue), 0)
                        .arm("green", balancer("green", green), 100)
                        .build())
                .keyExtractor(KeyExtractor.cookie("session"))
                .build());

    for (int i = 0; i < 50; i++) {
      call(
          c,
          new Request.Builder()
              .url("http://users/")
              .header("Cookie", "a=1; session=s" + i)
              .build());
    }

    assertThat(blue.requests()).isZero();
    assertThat(green.requests()).isEqualTo(50);
  }

  @Test
  void stickTable_keyReturnsToTheEndpointThatServedIt_untilThatEndpointLeaves() throws IOException {
    Backend a = backend("a");
    Backend b = backend("b");
    Backend d = backend("d");
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(StickyStrategy.wrap(Strategies.roundRobin()))
            .endpoints(List.of(a.endpoint(), b.endpoint(), d.endpoint()))
            .build();
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("users")
                .defaultTarget(lb)
                .keyExtractor(KeyExtractor.header("X-Session"))
                .stickTable(10_000, Duration.ofMinutes(30))
                .build());
    Request alice = new Request.Builder().url("http://users/").header("X-Session", "alice").build();

    String first = call(c, alice);
    for (int i = 0; i < 20; i++) {
      assertThat(call(c, alice)).isEqualTo(first);
      call(c, get("http://users/")); // keyless calls keep rotating
    }
    lb.removeEndpoint(first);
    String moved = call(c, alice);

    assertThat(moved).isNotEqualTo(first);
    assertThat(call(c, alice)).isEqualTo(moved);
  }

  @Test
  void stickTable_overANonStickyStrategy_isRejectedAtBuildTime() throws IOException {
    Backend a = backend("a");

    assertThatThrownBy(
            () ->
                Service.builder("users")
                    .defaultTarget(balancer("plain", a))
                    .keyExtractor(KeyExtractor.header("X-Session"))
                    .stickTable(100, Duration.ofMinutes(1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("balancer 'plain' must pick with StickyStrategy.wrap(...)")
        .hasMessageContaining("'round_robin'");
    assertThatThrownBy(
            () ->
                Service.builder("users")
                    .defaultTarget(balancer("plain", a))
                    .stickTable(100, Duration.ofMinutes(1))
                    .build())
        .hasMessage("service 'users' has a stick table but no key extractor");
  }

  @Test
  void https_selfSignedCertificateForTheEndpointHost_verifiesAgainstTheEndpointHost()
      throws IOException {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();
    Backend secure = httpsBackend("secure", cert);
    OkHttpClient c =
        client(
            trusting(cert),
            Service.builder("users")
                .defaultTarget(balancer("users", secure))
                .scheme("https")
                .build());

    assertThat(call(c, get("http://users/me"))).isEqualTo("secure");
  }

  @Test
  void https_certificateForTheServiceName_needsTheConfiguredTlsHostname() throws IOException {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("users.internal").build();
    Backend secure = httpsBackend("secure", cert);
    LoadBalancer lb = balancer("users", secure);
    OkHttpClient named =
        client(
            trusting(cert),
            Service.builder("users")
                .defaultTarget(lb)
                .scheme("https")
                .tlsHostname("users.internal")
                .build());
    OkHttpClient unnamed =
        client(
            trusting(cert),
            Service.builder("users").defaultTarget(lb).scheme("https").maxAttempts(1).build());

    assertThat(call(named, get("http://users/me"))).isEqualTo("secure");
    assertThatThrownBy(() -> call(unnamed, get("http://users/me")))
        .isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining("127.0.0.1");
    OkHttpClient wrongName =
        client(
            trusting(cert),
            Service.builder("users")
                .defaultTarget(lb)
                .scheme("https")
                .tlsHostname("orders.internal")
                .maxAttempts(1)
                .build());
    assertThatThrownBy(() -> call(wrongName, get("http://users/me")))
        .isInstanceOf(SSLPeerUnverifiedException.class);
  }

  private Backend httpsBackend(String name, HeldCertificate cert) throws IOException {
    Backend b = backend(name);
    b.useHttps(
        new HandshakeCertificates.Builder().heldCertificate(cert).build().sslSocketFactory());
    return b;
  }

  private static OkHttpClient trusting(HeldCertificate cert) {
    HandshakeCertificates trust =
        new HandshakeCertificates.Builder().addTrustedCertificate(cert.certificate()).build();
    return new OkHttpClient.Builder()
        .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager())
        .build();
  }
}
