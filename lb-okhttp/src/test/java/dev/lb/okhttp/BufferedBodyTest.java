package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.strategy.Strategies;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.Okio;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A small body of a request lb may re-send is read inside its attempt, in place: the attempt and
 * its exchange end before the response is returned, and the caller reads the bytes from memory.
 */
@Timeout(20)
class BufferedBodyTest {
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

  private FaultServer server(String name) throws IOException {
    FaultServer s = FaultServer.start(name, (m, p, i) -> FaultServer.Fault.OK);
    cleanup.add(s);
    return s;
  }

  private static LoadBalancer balancer(FaultServer s) {
    return LoadBalancer.builder()
        .name("users")
        .strategy(Strategies.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpoints(List.of(s.endpoint()))
        .build();
  }

  private OkHttpClient client(LoadBalancer lb, OkHttpClient base) {
    OkHttpClient c =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).build())
            .build()
            .newClient(base);
    clients.add(c);
    return c;
  }

  private static Request get() {
    return new Request.Builder().url("http://users/item").build();
  }

  private static EndpointStats only(LoadBalancer lb) {
    return lb.stats().endpoints().get(0);
  }

  @Test
  void smallBody_leaseReportedAndConnectionPooledBeforeTheCallerReadsAByte() throws Exception {
    FaultServer s = server("payload");
    LoadBalancer lb = balancer(s);
    OkHttpClient client = client(lb, new OkHttpClient());

    try (Response r = client.newCall(get()).execute()) {
      assertThat(only(lb).successes()).isEqualTo(1);
      assertThat(only(lb).inFlight()).isZero();
      assertThat(client.connectionPool().idleConnectionCount()).isEqualTo(1); // exchange done
      assertThat(r.body().contentLength()).isEqualTo("payload".length());
      assertThat(r.body().string()).isEqualTo("payload");
    }
    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.body().string()).isEqualTo("payload");
    }
    assertThat(s.connections()).isEqualTo(1); // the pooled connection served the second call
  }

  /**
   * A body as a careless network interceptor may make it: each {@code source()} call opens a new
   * buffered source over the same stream, so bytes buffered in one are lost to the next.
   */
  private static final class FreshSourceBody extends ResponseBody {
    private final ResponseBody delegate;

    FreshSourceBody(ResponseBody delegate) {
      this.delegate = delegate;
    }

    @Override
    public @Nullable MediaType contentType() {
      return delegate.contentType();
    }

    @Override
    public long contentLength() {
      return delegate.contentLength();
    }

    @Override
    public BufferedSource source() {
      return Okio.buffer(Okio.source(delegate.byteStream()));
    }
  }

  @Test
  void aBodyWhoseSourceIsNewEachTime_isCopied_andTheCallerStillGetsEveryByte() throws Exception {
    LoadBalancer lb = balancer(server("payload"));
    OkHttpClient base =
        new OkHttpClient.Builder()
            .addNetworkInterceptor(
                chain -> {
                  Response r = chain.proceed(chain.request());
                  return r.newBuilder().body(new FreshSourceBody(r.body())).build();
                })
            .build();
    OkHttpClient client = client(lb, base);

    try (Response r = client.newCall(get()).execute()) {
      assertThat(only(lb).successes()).isEqualTo(1);
      assertThat(r.body().string()).isEqualTo("payload");
    }
    assertThat(only(lb).inFlight()).isZero();
  }
}
