package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.TrafficPolicy;
import dev.lb.health.OutlierDetection;
import java.io.IOException;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A balancer's {@link TrafficPolicy} drops through the interceptor, against real servers on
 * 127.0.0.1: a dropped call fails as an IOException naming the drop, reaches no server, and is
 * drawn once (a second draw would let more calls through than the policy says).
 */
class TrafficPolicyAdapterTest {
  private final TrafficPolicy traffic = TrafficPolicy.create();
  private Backend a;
  private Backend b;
  private OkHttpClient client;
  private LoadBalancer lb;

  @AfterEach
  void close() {
    if (client != null) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
    if (lb != null) {
      lb.close();
    }
    a.close();
    b.close();
  }

  private void start() throws IOException {
    a = Backend.start("a");
    b = Backend.start("b");
    lb =
        LoadBalancer.builder()
            .name("users")
            .outlierDetection(OutlierDetection.disabled())
            .trafficPolicy(traffic)
            .endpoints(List.of(a.endpoint(), b.endpoint()))
            .build();
    client =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).maxAttempts(3).build())
            .build()
            .newClient();
  }

  private boolean get() {
    try (Response r =
        client.newCall(new Request.Builder().url("http://users/").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      return true;
    } catch (IOException e) {
      assertThat(e)
          .hasMessageContaining("dropped the call")
          .hasMessageContaining("(service 'users')")
          .cause()
          .isInstanceOfSatisfying(
              NoEndpointAvailableException.class,
              n -> assertThat(n.reason()).isEqualTo(NoEndpointAvailableException.Reason.DROPPED));
      return false;
    }
  }

  @Test
  void halfDropped_aboutHalfReachTheServers_eachCallDrawnOnce() throws IOException {
    start();
    traffic.setDrops(List.of(TrafficPolicy.Drop.of("throttle", 0.5)));
    int ok = 0;
    int n = 400;
    for (int i = 0; i < n; i++) {
      ok += get() ? 1 : 0;
    }
    // Drawn twice per call (tryPick, then pick for the message), only a quarter would be dropped:
    // ~300 through. Binomial(400, 0.5): 150..250 is more than 5 sigma either way.
    assertThat(ok).isBetween(150, 250);
    assertThat(a.requests() + b.requests()).isEqualTo(ok);
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void allDropped_noServerSeesARequest_thenLiftedEveryCallPasses() throws IOException {
    start();
    traffic.setDrops(List.of(TrafficPolicy.Drop.of("lb", 1.0)));
    for (int i = 0; i < 10; i++) {
      assertThat(get()).isFalse();
    }
    assertThat(a.requests() + b.requests()).isZero();
    assertThatThrownBy(
            () -> client.newCall(new Request.Builder().url("http://users/").build()).execute())
        .hasMessageContaining("drop category 'lb' sheds 100.0% of calls");

    traffic.setDrops(List.of());
    for (int i = 0; i < 10; i++) {
      assertThat(get()).isTrue();
    }
    assertThat(a.requests() + b.requests()).isEqualTo(10);
  }
}
