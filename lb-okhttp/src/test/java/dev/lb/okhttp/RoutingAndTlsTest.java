package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.hash.HashStrategies;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
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
  void liveClient_canaryRampAndRouteTableSwap_withoutANewClient_usersKeepTheirArm()
      throws IOException {
    Backend stable = backend("stable");
    Backend canary = backend("canary");
    Backend api = backend("api");
    LoadBalancer stableLb = balancer("stable", stable);
    LoadBalancer canaryLb = balancer("canary", canary);
    Service service =
        Service.builder("shop")
            .defaultTarget(
                TrafficSplit.builder()
                    .arm("stable", stableLb, 95)
                    .arm("canary", canaryLb, 5)
                    .build())
            .keyExtractor(KeyExtractor.header("X-User"))
            .build();
    OkHttpClient c = client(new OkHttpClient(), service);
    int users = 1000;
    boolean[] wasCanary = new boolean[users];
    int before = 0;
    for (int u = 0; u < users; u++) {
      wasCanary[u] =
          call(c, new Request.Builder().url("http://shop/").header("X-User", "u" + u).build())
              .equals("canary");
      before += wasCanary[u] ? 1 : 0;
    }

    service.updateDefaultTarget(
        service.defaultTarget().withWeight("stable", 1).withWeight("canary", 3)); // 25 %, total 4
    int after = 0;
    for (int u = 0; u < users; u++) {
      boolean isCanary =
          call(c, new Request.Builder().url("http://shop/").header("X-User", "u" + u).build())
              .equals("canary");
      if (wasCanary[u]) {
        assertThat(isCanary).as("user u%s stayed in the canary as it grew", u).isTrue();
      }
      after += isCanary ? 1 : 0;
    }
    assertThat(before).isBetween(25, 80);
    assertThat(after).isBetween(680, 820);

    service.updateRoutes(List.of(Route.pathPrefix("/api", balancer("api", api))));
    assertThat(call(c, get("http://shop/api/orders"))).isEqualTo("api");
    assertThat(service.routes()).hasSize(1);
    service.updateRoutes(List.of(service.routes().get(0).withTarget(TrafficSplit.of(stableLb))));
    assertThat(call(c, get("http://shop/api/orders"))).isEqualTo("stable");
    assertThatThrownBy(() -> service.defaultTarget().withWeight("blue", 1))
        .hasMessage("traffic split has no arm 'blue'; its arms are [stable, canary]");
  }

  @Test
  void route_pathPrefixWithoutSlash_matchesWholeSegmentsOnly() throws IOException {
    Backend api = backend("api");
    Backend web = backend("web");
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("shop")
                .route(Route.pathPrefix("/api", balancer("api", api)))
                .defaultTarget(balancer("web", web))
                .build());

    assertThat(call(c, get("http://shop/api"))).isEqualTo("api");
    assertThat(call(c, get("http://shop/api/"))).isEqualTo("api");
    assertThat(call(c, get("http://shop/api/orders?x=1"))).isEqualTo("api");
    assertThat(call(c, get("http://shop/apiary"))).isEqualTo("web");
    assertThat(call(c, get("http://shop/api-v2/x"))).isEqualTo("web");
    assertThat(Route.matchesSegments("/api", "/api/")).as("'/api/' is below-only").isFalse();
    assertThat(Route.matchesSegments("/anything", "/")).isTrue();
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
  void stickTable_keySticksToOneEndpoint_andReSticksWhenThatEndpointIsRemoved() throws IOException {
    Backend a = backend("a");
    Backend b = backend("b");
    Backend d = backend("d");
    Service service =
        Service.builder("users")
            .endpoints("round_robin", List.of(a.endpoint(), b.endpoint(), d.endpoint()))
            .keyExtractor(KeyExtractor.header("X-Session"))
            .stickTable(10_000, Duration.ofMinutes(30))
            .build();
    OkHttpClient c = client(new OkHttpClient(), service);
    LoadBalancer lb = service.defaultTarget().arms().get(0).balancer();
    Request alice = new Request.Builder().url("http://users/").header("X-Session", "alice").build();
    Set<String> keyless = new HashSet<>();

    String first = call(c, alice);
    for (int i = 0; i < 20; i++) {
      assertThat(call(c, alice)).isEqualTo(first);
      keyless.add(call(c, get("http://users/")));
    }
    lb.removeEndpoint(first);
    String moved = call(c, alice);
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      after.add(call(c, alice));
    }

    assertThat(lb.strategy().name()).isEqualTo("sticky");
    assertThat(keyless).as("keyless calls are placed by round robin").hasSize(3);
    assertThat(moved).isNotEqualTo(first);
    assertThat(after).as("alice sticks to her new endpoint").containsOnly(moved);
  }

  @Test
  void stickTable_retryFailsOverFromTheKeysEndpoint_keyReSticksToWhereTheRetryWent()
      throws IOException {
    List<Backend> servers = List.of(backend("a"), backend("b"), backend("d"));
    Service service =
        Service.builder("users")
            .endpoints("round_robin", servers.stream().map(Backend::endpoint).toList())
            .keyExtractor(KeyExtractor.header("X-Session"))
            .stickTable(10_000, Duration.ofMinutes(30))
            .build();
    OkHttpClient c = client(new OkHttpClient(), service);
    Request alice = new Request.Builder().url("http://users/").header("X-Session", "alice").build();
    String owner = call(c, alice);
    Backend ownerServer = servers.stream().filter(s -> s.name().equals(owner)).findFirst().get();

    ownerServer.answer(r -> Backend.status(503));
    String retriedOn = call(c, alice);
    ownerServer.answer(r -> Backend.ok(owner));
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      after.add(call(c, alice));
    }

    assertThat(retriedOn).as("the 503 was retried elsewhere").isNotEqualTo(owner);
    assertThat(after).as("alice stuck to where her retry went").containsOnly(retriedOn);
  }

  @Test
  void stickTable_keyOwnerEjected_keyMovesToAnotherEndpointAndStaysThereWhenItReturns()
      throws Exception {
    List<Backend> servers = List.of(backend("a"), backend("b"), backend("d"));
    CountDownLatch ejected = new CountDownLatch(1);
    CountDownLatch restored = new CountDownLatch(1);
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(
                HashStrategies.sticky(
                    Strategies.roundRobin(), StickTables.caffeine(10_000, Duration.ofMinutes(30))))
            .endpoints(servers.stream().map(Backend::endpoint).toList())
            .outlierDetection(
                OutlierDetection.builder()
                    .consecutiveFailures(2)
                    .successRate(false)
                    .maxEjectionPercent(50)
                    .baseEjectionTime(Duration.ofSeconds(1))
                    .build())
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onEjected(
                      LoadBalancer b, Endpoint e, String reason, Duration ejectionTime) {
                    ejected.countDown();
                  }

                  @Override
                  public void onRestored(LoadBalancer b, Endpoint e) {
                    restored.countDown();
                  }
                })
            .build();
    // One attempt per call: the key must move because its endpoint was ejected, not because a
    // failed attempt was retried elsewhere.
    OkHttpClient c =
        client(
            new OkHttpClient(),
            Service.builder("users")
                .defaultTarget(lb)
                .keyExtractor(KeyExtractor.header("X-Session"))
                .maxAttempts(1)
                .build());
    Request alice = new Request.Builder().url("http://users/").header("X-Session", "alice").build();
    String owner = call(c, alice);
    Backend ownerServer = servers.stream().filter(s -> s.name().equals(owner)).findFirst().get();

    ownerServer.answer(r -> Backend.status(503));
    while (ejected.getCount() > 0) {
      call(c, get("http://users/")); // keyless calls hit the owner's 503s until it is ejected
    }
    int ownerServed = ownerServer.requests();
    String moved = call(c, alice);
    ownerServer.answer(r -> Backend.ok(owner));
    assertThat(restored.await(20, TimeUnit.SECONDS)).as("the owner re-admitted").isTrue();
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      after.add(call(c, alice));
    }

    assertThat(moved).isNotEqualTo(owner);
    assertThat(ownerServer.requests())
        .as("alice's call did not go to the ejected owner")
        .isEqualTo(ownerServed);
    assertThat(after).as("alice stays on her new endpoint").containsOnly(moved);
  }

  @Test
  void stickTable_withoutKeyExtractorOrWithoutEndpoints_isRejectedAtBuildTime() throws IOException {
    Backend a = backend("a");

    assertThatThrownBy(
            () ->
                Service.builder("users")
                    .defaultTarget(balancer("plain", a))
                    .keyExtractor(KeyExtractor.header("X-Session"))
                    .stickTable(100, Duration.ofMinutes(1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("applies to the balancer that endpoints(...) builds")
        .hasMessageContaining("HashStrategies.sticky(placement, StickTables.caffeine(...))");
    assertThatThrownBy(
            () ->
                Service.builder("users")
                    .endpoints("p2c", List.of(a.endpoint()))
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

  @Test
  void https_tlsHostname_isSentAsSni_andAttemptsShareOnePooledConnection() throws IOException {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("users.internal").build();
    Backend secure = httpsBackend("secure", cert);
    Service.Builder service =
        Service.builder("users").defaultTarget(balancer("users", secure)).scheme("https");
    OkHttpClient named = client(trusting(cert), service.tlsHostname("users.internal").build());

    for (int i = 0; i < 5; i++) {
      assertThat(call(named, get("http://users/me"))).isEqualTo("secure");
    }

    assertThat(secure.serverNames()).containsExactly("users.internal");
    assertThat(named.connectionPool().connectionCount())
        .as("equal SNI factories and verifiers keep the pooled connection reusable")
        .isEqualTo(1);
  }

  @Test
  void https_withoutTlsHostname_sendsNoSniForAnIpEndpoint() throws IOException {
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
    assertThat(secure.serverNames()).isEmpty();
  }

  @Test
  void sniSocketFactory_everySocketItCreatesCarriesTheServerName() throws Exception {
    SSLSocketFactory base = (SSLSocketFactory) SSLSocketFactory.getDefault();
    SniSocketFactory factory = new SniSocketFactory(base, "users.internal");
    InetAddress loopback = Backend.loopback();
    List<Socket> sockets = new ArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 50, loopback)) {
      int port = server.getLocalPort();
      sockets.add(factory.createSocket());
      sockets.add(factory.createSocket("127.0.0.1", port));
      sockets.add(factory.createSocket("127.0.0.1", port, loopback, 0));
      sockets.add(factory.createSocket(loopback, port));
      sockets.add(factory.createSocket(loopback, port, loopback, 0));
      sockets.add(factory.createSocket(new Socket(loopback, port), "127.0.0.1", port, true));

      assertThat(sockets)
          .allSatisfy(
              s ->
                  assertThat(((SSLSocket) s).getSSLParameters().getServerNames())
                      .containsExactly(new SNIHostName("users.internal")));
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    assertThat(factory.getDefaultCipherSuites()).isEqualTo(base.getDefaultCipherSuites());
    assertThat(factory.getSupportedCipherSuites()).isEqualTo(base.getSupportedCipherSuites());
    assertThat(factory)
        .isEqualTo(new SniSocketFactory(base, "users.internal"))
        .hasSameHashCodeAs(new SniSocketFactory(base, "users.internal"))
        .isNotEqualTo(new SniSocketFactory(base, "orders.internal"));
  }

  @Test
  void sniSocketFactory_ipLiteralsAndInvalidNamesAreNotSniNames() {
    assertThat(SniSocketFactory.isSniName("users.internal")).isTrue();
    assertThat(SniSocketFactory.isSniName("10.0.0.1")).isFalse();
    assertThat(SniSocketFactory.isSniName("::1")).isFalse();
    assertThat(SniSocketFactory.isSniName("under_score.example")).isFalse();
  }

  /** The Host header, or HTTP/2's :authority, which OkHttp sends it as over ALPN-negotiated h2. */
  private static String hostOf(mockwebserver3.RecordedRequest r) {
    String host = r.getHeaders().get("Host");
    return String.valueOf(host != null ? host : r.getHeaders().get(":authority"));
  }

  @Test
  void hostHeader_endpointByDefault_serviceNameFixedOrTlsHostnameWhenChosen() throws Exception {
    Backend echo = backend("echo");
    echo.answer(r -> Backend.ok(String.valueOf(hostOf(r))));
    LoadBalancer lb = balancer("users", echo);
    String endpoint = "127.0.0.1:" + echo.port();

    assertThat(call(client(new OkHttpClient(), Service.of("users", lb)), get("http://users/")))
        .isEqualTo(endpoint);
    assertThat(
            call(
                client(
                    new OkHttpClient(),
                    Service.builder("users").defaultTarget(lb).hostHeaderServiceName().build()),
                get("http://users/")))
        .isEqualTo("users");
    OkHttpClient fixed =
        client(
            new OkHttpClient(),
            Service.builder("users").defaultTarget(lb).hostHeader("shop.example.com:8443").build());
    assertThat(call(fixed, get("http://users/"))).isEqualTo("shop.example.com:8443");
    assertThat(
            call(fixed, new Request.Builder().url("http://users/").header("Host", "mine").build()))
        .as("a Host the caller set is kept")
        .isEqualTo("mine");

    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("users.internal").build();
    Backend secure = httpsBackend("secure", cert);
    secure.answer(r -> Backend.ok(String.valueOf(hostOf(r))));
    Service.Builder tls =
        Service.builder("users")
            .defaultTarget(balancer("users", secure))
            .scheme("https")
            .tlsHostname("users.internal");
    assertThat(call(client(trusting(cert), tls.build()), get("http://users/")))
        .as("Host follows the TLS hostname, as SNI does")
        .isEqualTo("users.internal");
    assertThat(call(client(trusting(cert), tls.hostHeaderEndpoint().build()), get("http://users/")))
        .isEqualTo("127.0.0.1:" + secure.port());
    assertThatThrownBy(() -> Service.builder("users").hostHeader("a b"))
        .hasMessage(
            "host header must be an authority such as 'shop.example.com:8443' but was 'a b'");
  }

  @Test
  void certificatePins_forTheServiceName_areEnforcedOnEveryEndpoint() throws Exception {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("users.internal").build();
    HeldCertificate other = new HeldCertificate.Builder().addSubjectAlternativeName("x").build();
    Backend secure = httpsBackend("secure", cert);
    LoadBalancer lb = balancer("users", secure);
    Service service =
        Service.builder("users")
            .defaultTarget(lb)
            .scheme("https")
            .tlsHostname("users.internal")
            .maxAttempts(1)
            .build();
    OkHttpClient wrongPin =
        trusting(cert)
            .newBuilder()
            .certificatePinner(
                new okhttp3.CertificatePinner.Builder()
                    .add("users.internal", okhttp3.CertificatePinner.pin(other.certificate()))
                    .build())
            .build();
    OkHttpClient rightPin =
        trusting(cert)
            .newBuilder()
            .certificatePinner(
                new okhttp3.CertificatePinner.Builder()
                    .add("users.internal", okhttp3.CertificatePinner.pin(cert.certificate()))
                    .build())
            .build();

    assertThatThrownBy(() -> call(client(wrongPin, service), get("http://users/me")))
        .isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining("Certificate pinning failure");
    assertThat(call(client(rightPin, service), get("http://users/me"))).isEqualTo("secure");

    // Without a TLS hostname, pins for the service's own host apply.
    HeldCertificate ipCert =
        new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();
    Backend ip = httpsBackend("ip", ipCert);
    OkHttpClient pinnedByHost =
        trusting(ipCert)
            .newBuilder()
            .certificatePinner(
                new okhttp3.CertificatePinner.Builder()
                    .add("users", okhttp3.CertificatePinner.pin(other.certificate()))
                    .build())
            .build();
    assertThatThrownBy(
            () ->
                call(
                    client(
                        pinnedByHost,
                        Service.builder("users")
                            .defaultTarget(balancer("users", ip))
                            .scheme("https")
                            .maxAttempts(1)
                            .build()),
                    get("http://users/me")))
        .isInstanceOf(SSLPeerUnverifiedException.class);
  }

  @Test
  void healthChecker_tlsHostnameHostHeaderHeadersAndBodyPredicate() throws Exception {
    HeldCertificate cert =
        new HeldCertificate.Builder().addSubjectAlternativeName("users.internal").build();
    Backend secure = httpsBackend("secure", cert);
    java.util.concurrent.atomic.AtomicReference<String> seen =
        new java.util.concurrent.atomic.AtomicReference<>();
    secure.answer(
        r -> {
          seen.set(hostOf(r) + " " + r.getHeaders().get("X-Token"));
          return Backend.ok(
              r.getUrl().encodedPath().equals("/down")
                  ? "{\"status\":\"DOWN\"}"
                  : "{\"status\":\"UP\"}");
        });
    HttpHealthChecker.Builder checker =
        HttpHealthChecker.builder()
            .client(trusting(cert))
            .scheme("https")
            .tlsHostname("users.internal")
            .header("X-Token", "t0k")
            .bodyPredicate(body -> !body.contains("\"DOWN\""), 1024);

    assertThat(
            checker
                .build()
                .check(secure.endpoint(), Duration.ofSeconds(5))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .isHealthy())
        .isTrue();
    assertThat(seen.get()).isEqualTo("users.internal t0k");
    assertThat(secure.serverNames()).containsExactly("users.internal");
    var down =
        checker
            .path("/down")
            .build()
            .check(secure.endpoint(), Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(down.isHealthy()).isFalse();
    assertThat(down.reason()).contains("DOWN");
    checker
        .hostHeader("vhost.example")
        .path("/health")
        .build()
        .check(secure.endpoint(), Duration.ofSeconds(5))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertThat(seen.get()).startsWith("vhost.example ");
    assertThatThrownBy(() -> HttpHealthChecker.builder().bodyPredicate(b -> true, 0))
        .hasMessage("health check max body bytes must be positive but was 0");
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
