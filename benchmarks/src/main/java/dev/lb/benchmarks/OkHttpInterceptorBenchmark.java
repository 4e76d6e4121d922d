package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What lb-okhttp's {@link LoadBalancingInterceptor} adds to a request: one GET over a kept-alive
 * loopback connection to one fast endpoint, through plain OkHttp and through a client of {@link
 * LoadBalancingInterceptor#newClient()} with a one-endpoint round-robin service (defaults: the
 * network half, the 2-byte body buffered inside the attempt), side by side in one run. The server
 * is a raw socket on 127.0.0.1 that answers every request with the same 2 bytes, so the figure is
 * the client's own cost plus one loopback round trip. Sample time, so that the median (p0.50) can
 * be compared.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OkHttpInterceptorBenchmark
 * </pre>
 *
 * <p>JMH runs the two clients one after the other; on a machine whose load drifts, {@link
 * OkHttpOverheadLoop} gives the paired figure (the two clients alternating request by request).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OkHttpInterceptorBenchmark {
  /** The clients compared. */
  public enum ClientType {
    PLAIN_OKHTTP,
    LB_OKHTTP
  }

  @Param({"PLAIN_OKHTTP", "LB_OKHTTP"})
  public ClientType client;

  private LoopbackHttpServer server;
  private OkHttpClient http;
  private Request request;

  /** Starts the server and builds the client under test. */
  @Setup
  public void setUp() throws IOException {
    server = new LoopbackHttpServer();
    int port = server.port();
    if (client == ClientType.PLAIN_OKHTTP) {
      http = new OkHttpClient();
      request = new Request.Builder().url("http://127.0.0.1:" + port + "/item").build();
    } else {
      http =
          LoadBalancingInterceptor.builder()
              .service(
                  Service.builder("bench")
                      .endpoints("round_robin", List.of(Endpoint.of("127.0.0.1", port)))
                      .build())
              .build()
              .newClient();
      request = new Request.Builder().url("http://bench/item").build();
    }
  }

  /** One GET, body read and closed. */
  @Benchmark
  public int get() throws IOException {
    try (Response r = http.newCall(request).execute()) {
      return r.body().bytes().length;
    }
  }

  /** Stops the server and the client's threads. */
  @TearDown
  public void tearDown() throws IOException {
    http.dispatcher().executorService().shutdownNow();
    http.connectionPool().evictAll();
    server.close();
  }
}
