package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimits;
import java.io.IOException;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A call refused by the balancer-wide concurrency limit fails as an IOException naming it. */
class ConcurrencyLimitAdapterTest {
  private OkHttpClient client;

  @AfterEach
  void close() {
    if (client != null) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  @Test
  void balancerWideLimitReached_callFailsFastWithAnIOExceptionNamingTheLimit() {
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .outlierDetection(OutlierDetection.disabled())
            // Nothing listens there: the call must fail before any connection is tried.
            .endpoints(List.of(Endpoint.of("127.0.0.1", 9)))
            .concurrencyLimit(ConcurrencyLimits.fixed(1))
            .build();
    Lease held = lb.pick(); // another call of the same client holds the one slot
    client = LoadBalancingInterceptor.builder().service("users", lb).build().newClient();

    assertThatThrownBy(
            () -> client.newCall(new Request.Builder().url("http://users/").build()).execute())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the balancer-wide concurrency limit of 1 calls in flight is reached")
        .hasMessageContaining("(service 'users')")
        .cause()
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e -> assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY));
    assertThat(lb.stats().endpoints().get(0).inFlight()).isEqualTo(1);
    held.onCancel();
  }
}
