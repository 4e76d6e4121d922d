package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.HedgingPolicy;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
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
 * What a hedging policy that never fires costs a call, without the network: the same clients as
 * {@link OkHttpHedgingBenchmark} (a two-endpoint round-robin service, without hedging and with a 1
 * s fixed delay), but an application interceptor after lb's answers every attempt at once, so a
 * call is OkHttp's call machinery plus lb's, on one thread, and a difference of a few tens of
 * nanoseconds shows where a loopback call's noise (tens of microseconds on a busy machine) hides
 * it. Only calls whose first attempt runs on the caller's own chain can be measured this way (a
 * hedge client's call would skip the answering interceptor), which is every call when {@code
 * ExchangeCanceller} is available; the wire scheme is a parameter so that the HTTPS decision is
 * taken as in a real call.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OkHttpHedgingInProcessBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(2)
public class OkHttpHedgingInProcessBenchmark {
  /** With or without a hedging policy. */
  @Param({"false", "true"})
  public boolean hedging;

  /** The service's wire scheme: {@code http}, or {@code https} (where HTTP/2 may be met). */
  @Param({"http"})
  public String scheme;

  private OkHttpClient http;
  private Request request;

  /** The answer every attempt gets, without I/O. */
  private static final Interceptor ANSWER =
      chain ->
          new Response.Builder()
              .request(chain.request())
              .protocol(Protocol.HTTP_1_1)
              .code(200)
              .message("OK")
              .body(ResponseBody.create("ok", null))
              .build();

  /** Builds the client under test. */
  @Setup
  public void setUp() {
    Service.Builder service =
        Service.builder("bench")
            .endpoints(
                "round_robin", List.of(Endpoint.of("127.0.0.1", 1), Endpoint.of("127.0.0.1", 2)));
    if (scheme.equals("https")) {
      service.scheme("https");
    }
    if (hedging) {
      service.hedging(HedgingPolicy.fixedDelay(Duration.ofSeconds(1)));
    }
    OkHttpClient balanced =
        LoadBalancingInterceptor.builder().service(service.build()).build().newClient();
    // After lb's interceptor: the same pool, so lb still finds the hedge client it made.
    http = balanced.newBuilder().addInterceptor(ANSWER).build();
    request = new Request.Builder().url("http://bench/item").build();
  }

  /** One GET, body read and closed. */
  @Benchmark
  public int get() throws IOException {
    try (Response r = http.newCall(request).execute()) {
      return r.body().bytes().length;
    }
  }

  /** Stops the client's threads. */
  @TearDown
  public void tearDown() {
    http.dispatcher().executorService().shutdownNow();
  }
}
