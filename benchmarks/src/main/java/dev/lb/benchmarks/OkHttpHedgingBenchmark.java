package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.HedgingPolicy;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
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
 * What configuring hedging costs a call that does not hedge: GETs over kept-alive loopback
 * connections to a two-endpoint round-robin service, through a {@link
 * LoadBalancingInterceptor#newClient()} client without hedging and through one with a hedging
 * policy whose delay (1 s) is never reached, side by side in one run. Sample time, so that the
 * medians can be compared.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OkHttpHedgingBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.OkHttpHedgingBenchmark [requests]
 * </pre>
 *
 * <p>The second form is a paired loop (the two clients alternating request by request in a seeded
 * random order), for a machine whose load drifts.
 *
 * <p>A configured hedge costs each call, even one that never hedges: the attempt runs as a call of
 * the hedge client (a second {@code RealCall}), a cancel listener on the caller's call, and one
 * hedge timer scheduled and cancelled. This benchmark measures that cost; it is not zero.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OkHttpHedgingBenchmark {
  /** The clients compared. */
  public enum ClientType {
    NO_HEDGING,
    HEDGING_NOT_TRIGGERED
  }

  @Param({"NO_HEDGING", "HEDGING_NOT_TRIGGERED"})
  public ClientType client;

  private LoopbackHttpServer a;
  private LoopbackHttpServer b;
  private OkHttpClient http;
  private Request request;

  /** Starts the servers and builds the client under test. */
  @Setup
  public void setUp() throws IOException {
    a = new LoopbackHttpServer();
    b = new LoopbackHttpServer();
    http = client(client == ClientType.HEDGING_NOT_TRIGGERED, a, b);
    request = new Request.Builder().url("http://bench/item").build();
  }

  static OkHttpClient client(boolean hedging, LoopbackHttpServer a, LoopbackHttpServer b) {
    Service.Builder service =
        Service.builder("bench")
            .endpoints(
                "round_robin",
                List.of(Endpoint.of("127.0.0.1", a.port()), Endpoint.of("127.0.0.1", b.port())));
    if (hedging) {
      service.hedging(HedgingPolicy.fixedDelay(Duration.ofSeconds(1)));
    }
    return LoadBalancingInterceptor.builder().service(service.build()).build().newClient();
  }

  /** One GET, body read and closed. */
  @Benchmark
  public int get() throws IOException {
    try (Response r = http.newCall(request).execute()) {
      return r.body().bytes().length;
    }
  }

  /** Stops the servers and the client's threads. */
  @TearDown
  public void tearDown() throws IOException {
    http.dispatcher().executorService().shutdownNow();
    http.connectionPool().evictAll();
    a.close();
    b.close();
  }

  /**
   * The paired loop: both clients, alternating in a seeded random order.
   *
   * @param args optionally the number of measured requests per client (default 50,000)
   * @throws IOException if a request fails
   */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    try (LoopbackHttpServer a = new LoopbackHttpServer();
        LoopbackHttpServer b = new LoopbackHttpServer()) {
      OkHttpClient plain = client(false, a, b);
      OkHttpClient hedged = client(true, a, b);
      Request get = new Request.Builder().url("http://bench/item").build();
      for (int i = 0; i < 20_000; i++) {
        time(plain, get);
        time(hedged, get);
      }
      long[] p = new long[n];
      long[] h = new long[n];
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < n; i++) {
        if (random.nextBoolean()) {
          p[i] = time(plain, get);
          h[i] = time(hedged, get);
        } else {
          h[i] = time(hedged, get);
          p[i] = time(plain, get);
        }
      }
      Arrays.sort(p);
      Arrays.sort(h);
      System.out.printf("requests per client: %d (after 20000 warm-up each)%n", n);
      System.out.printf(
          "no hedging            : median %6.1f us  p90 %6.1f us  p99 %6.1f us%n",
          p[n / 2] / 1e3, p[n * 9 / 10] / 1e3, p[n * 99 / 100] / 1e3);
      System.out.printf(
          "hedging, not triggered: median %6.1f us  p90 %6.1f us  p99 %6.1f us%n",
          h[n / 2] / 1e3, h[n * 9 / 10] / 1e3, h[n * 99 / 100] / 1e3);
      System.out.printf(
          "median difference: %+.1f us (%+.1f %%)%n",
          (h[n / 2] - p[n / 2]) / 1e3, 100.0 * (h[n / 2] - p[n / 2]) / p[n / 2]);
      for (OkHttpClient c : List.of(plain, hedged)) {
        c.dispatcher().executorService().shutdownNow();
        c.connectionPool().evictAll();
      }
    }
  }

  private static long time(OkHttpClient client, Request request) throws IOException {
    long start = System.nanoTime();
    try (Response r = client.newCall(request).execute()) {
      r.body().bytes();
    }
    return System.nanoTime() - start;
  }
}
