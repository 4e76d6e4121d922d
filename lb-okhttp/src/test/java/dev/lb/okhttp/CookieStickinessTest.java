package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cookies and stickiness with the client's {@link CookieJar}, against real servers on 127.0.0.1:
 * the jar is asked and told with the logical URL, so a session survives failover, and a server's
 * session cookie pins the session to the server that set it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CookieStickinessTest {
  private final List<Backend> backends = new ArrayList<>();
  private final List<OkHttpClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
    backends.forEach(Backend::close);
  }

  /** A jar that keeps every cookie it is told, and records the URLs it is asked and told with. */
  static final class RecordingJar implements CookieJar {
    final List<Cookie> cookies = new CopyOnWriteArrayList<>();
    final List<String> hosts = new CopyOnWriteArrayList<>();

    @Override
    public void saveFromResponse(HttpUrl url, List<Cookie> list) {
      hosts.add("save " + url.host());
      for (Cookie c : list) {
        cookies.removeIf(old -> old.name().equals(c.name()));
        cookies.add(c);
      }
    }

    @Override
    public List<Cookie> loadForRequest(HttpUrl url) {
      hosts.add("load " + url.host());
      return cookies.stream().filter(c -> c.matches(url)).toList();
    }
  }

  /** Servers that give a request without a session cookie a session of their own. */
  private List<Backend> sessionServers(String cookie, String... names) throws IOException {
    return sessionServersWith(cookie, "", names);
  }

  private List<Backend> sessionServersWith(String cookie, String attributes, String... names)
      throws IOException {
    List<Backend> list = new ArrayList<>();
    for (String name : names) {
      Backend b = Backend.start(name);
      int[] sessions = {0};
      b.answer(
          (RecordedRequest r) -> {
            String sent = r.getHeaders().get("Cookie");
            if (sent != null && sent.contains(cookie + "=")) {
              return Backend.ok(name + " " + sent);
            }
            String id;
            synchronized (sessions) {
              id = name + "-" + ++sessions[0];
            }
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Set-Cookie", cookie + "=" + id + "; Path=/" + attributes)
                .body(name + " new")
                .build();
          });
      backends.add(b);
      list.add(b);
    }
    return list;
  }

  private OkHttpClient client(Service service, CookieJar jar) {
    OkHttpClient c =
        LoadBalancingInterceptor.builder()
            .service(service)
            .build()
            .newClient(new OkHttpClient.Builder().cookieJar(jar).build());
    clients.add(c);
    return c;
  }

  private static String get(OkHttpClient c) throws IOException {
    try (Response r = c.newCall(new Request.Builder().url("http://users/cart").build()).execute()) {
      return r.body().string();
    }
  }

  @Test
  void cookieJar_isAskedAndToldWithTheLogicalUrl_soTheSessionSurvivesFailover() throws IOException {
    List<Backend> servers = sessionServers("session", "a", "b");
    RecordingJar jar = new RecordingJar();
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(servers.stream().map(Backend::endpoint).toList())
            .build();
    OkHttpClient c = client(Service.of("users", lb), jar);

    String first = get(c);
    String owner = first.substring(0, 1);
    Backend other = servers.get(owner.equals("a") ? 1 : 0);
    servers.get(owner.equals("a") ? 0 : 1).kill();

    assertThat(jar.cookies)
        .singleElement()
        .satisfies(k -> assertThat(k.domain()).isEqualTo("users"));
    assertThat(jar.hosts).allSatisfy(h -> assertThat(h).endsWith(" users"));
    String afterFailover = get(c);
    assertThat(afterFailover)
        .as("the session cookie goes to the other server after failover")
        .isEqualTo(other.name() + " session=" + owner + "-1");
  }

  @Test
  void secureSessionCookie_ofAnHttpsServiceAddressedAsHttp_isSentBackAndSurvivesFailover()
      throws IOException {
    okhttp3.tls.HeldCertificate cert =
        new okhttp3.tls.HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();
    List<Backend> servers = sessionServersWith("session", "; Secure; HttpOnly", "a", "b");
    for (Backend b : servers) {
      b.useHttps(
          new okhttp3.tls.HandshakeCertificates.Builder()
              .heldCertificate(cert)
              .build()
              .sslSocketFactory());
    }
    okhttp3.tls.HandshakeCertificates trust =
        new okhttp3.tls.HandshakeCertificates.Builder()
            .addTrustedCertificate(cert.certificate())
            .build();
    RecordingJar jar = new RecordingJar();
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .strategy(Strategies.roundRobin())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(servers.stream().map(Backend::endpoint).toList())
            .build();
    OkHttpClient c =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).scheme("https").build())
            .build()
            .newClient(
                new OkHttpClient.Builder()
                    .cookieJar(jar)
                    .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager())
                    .build());
    clients.add(c);

    String first = get(c);
    String owner = first.substring(0, 1);
    assertThat(jar.cookies).singleElement().satisfies(k -> assertThat(k.secure()).isTrue());
    assertThat(get(c)).as("sent back to a server").endsWith(" session=" + owner + "-1");
    servers.get(owner.equals("a") ? 0 : 1).kill();
    assertThat(get(c)).as("and after failover").endsWith(" session=" + owner + "-1");
  }

  @Test
  void stickyCookie_setByAServer_pinsTheSessionToThatServer_seenThroughTheJar() throws IOException {
    List<Backend> servers = sessionServers("JSESSIONID", "a", "b", "c");
    RecordingJar jar = new RecordingJar();
    Service service =
        Service.builder("users")
            .endpoints("round_robin", servers.stream().map(Backend::endpoint).toList())
            .stickTable(1000, Duration.ofMinutes(10))
            .stickyCookie("JSESSIONID")
            .build();
    OkHttpClient c = client(service, jar);

    String first = get(c);
    String owner = first.substring(0, 1);
    for (int i = 0; i < 10; i++) {
      assertThat(get(c)).isEqualTo(owner + " JSESSIONID=" + owner + "-1");
    }

    assertThat(servers)
        .allSatisfy(b -> assertThat(b.requests()).isEqualTo(b.name().equals(owner) ? 11 : 0));
  }
}
