package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A plain loop harness for lb-okhttp's overhead: plain OkHttp and a {@link
 * LoadBalancingInterceptor#newClient()} client (one-endpoint round-robin service, defaults) send
 * GETs to the same {@link LoopbackHttpServer}, alternating request by request in a seeded random
 * order, so drifting machine load hits both alike. Prints each client's median, p90 and p99 and the
 * median overhead.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.OkHttpOverheadLoop [requests]
 * </pre>
 *
 * <p>{@code -Dlb.responseBufferLimit=0} streams the body instead of buffering it in the attempt.
 */
public final class OkHttpOverheadLoop {
  private OkHttpOverheadLoop() {}

  /**
   * Runs the loop.
   *
   * @param args optionally the number of measured requests per client (default 50,000)
   * @throws IOException if a request fails
   */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    try (LoopbackHttpServer server = new LoopbackHttpServer()) {
      OkHttpClient plain = new OkHttpClient();
      OkHttpClient balanced =
          LoadBalancingInterceptor.builder()
              .service(
                  Service.builder("bench")
                      .endpoints("round_robin", List.of(Endpoint.of("127.0.0.1", server.port())))
                      .responseBufferLimit(Long.getLong("lb.responseBufferLimit", 64 * 1024))
                      .build())
              .build()
              .newClient();
      Request plainGet =
          new Request.Builder().url("http://127.0.0.1:" + server.port() + "/item").build();
      Request balancedGet = new Request.Builder().url("http://bench/item").build();
      for (int i = 0; i < 20_000; i++) { // warm-up: JIT both paths
        get(plain, plainGet);
        get(balanced, balancedGet);
      }
      long[] p = new long[n];
      long[] b = new long[n];
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < n; i++) {
        if (random.nextBoolean()) {
          p[i] = get(plain, plainGet);
          b[i] = get(balanced, balancedGet);
        } else {
          b[i] = get(balanced, balancedGet);
          p[i] = get(plain, plainGet);
        }
      }
      Arrays.sort(p);
      Arrays.sort(b);
      System.out.printf("requests per client: %d (after 20000 warm-up each)%n", n);
      System.out.printf(
          "plain OkHttp : median %6.1f us  p90 %6.1f us  p99 %6.1f us%n",
          p[n / 2] / 1e3, p[n * 9 / 10] / 1e3, p[n * 99 / 100] / 1e3);
      System.out.printf(
          "lb-okhttp    : median %6.1f us  p90 %6.1f us  p99 %6.1f us%n",
          b[n / 2] / 1e3, b[n * 9 / 10] / 1e3, b[n * 99 / 100] / 1e3);
      System.out.printf(
          "median overhead: %+.1f us (%+.1f %%)%n",
          (b[n / 2] - p[n / 2]) / 1e3, 100.0 * (b[n / 2] - p[n / 2]) / p[n / 2]);
      for (OkHttpClient c : List.of(plain, balanced)) {
        c.dispatcher().executorService().shutdownNow();
        c.connectionPool().evictAll();
      }
    }
  }

  private static long get(OkHttpClient client, Request request) throws IOException {
    long start = System.nanoTime();
    try (Response r = client.newCall(request).execute()) {
      r.body().bytes();
    }
    return System.nanoTime() - start;
  }
}
