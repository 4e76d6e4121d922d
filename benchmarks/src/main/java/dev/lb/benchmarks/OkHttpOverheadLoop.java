package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * A paired loop harness for lb-okhttp's overhead (issue 17: at most 5 % at the median against plain
 * OkHttp on one fast endpoint): plain OkHttp and {@link LoadBalancingInterceptor#newClient()}
 * clients (a one-endpoint round-robin service) send GETs to the same {@link LoopbackHttpServer},
 * interleaved request by request in a seeded random order, over several rounds ({@link
 * PairedLoop}), so drifting machine load hits every variant alike. The variants: plain OkHttp; lb
 * with the defaults (a small body of a GET is buffered inside its attempt, so a reset or a
 * truncation fails over); lb with {@code responseBufferLimit(0)} (the body streamed to the caller).
 * Prints each variant's median per call in each round, the median over rounds, and the overhead
 * against plain OkHttp with its spread over rounds.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.OkHttpOverheadLoop [requests [rounds]]
 * </pre>
 */
public final class OkHttpOverheadLoop {
  private OkHttpOverheadLoop() {}

  /**
   * Runs the loop.
   *
   * @param args optionally the number of measured requests per variant and round (default 10,000)
   *     and the number of rounds (default 10)
   * @throws IOException if a request fails
   */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    try (LoopbackHttpServer server = new LoopbackHttpServer()) {
      Request plainGet =
          new Request.Builder().url("http://127.0.0.1:" + server.port() + "/item").build();
      Request balancedGet = new Request.Builder().url("http://bench/item").build();
      PairedLoop loop =
          new PairedLoop()
              .add("plain OkHttp", new OkHttpClient(), plainGet)
              .add("lb-okhttp (defaults)", balanced(server, -1), balancedGet)
              .add("lb-okhttp (streamed body)", balanced(server, 0), balancedGet);
      loop.run(n, rounds, 20_000);
      loop.shutdown();
    }
  }

  /** A balanced client; {@code bufferLimit} -1 keeps the default. */
  private static OkHttpClient balanced(LoopbackHttpServer server, long bufferLimit) {
    Service.Builder service =
        Service.builder("bench")
            .endpoints("round_robin", List.of(Endpoint.of("127.0.0.1", server.port())));
    if (bufferLimit >= 0) {
      service.responseBufferLimit(bufferLimit);
    }
    return LoadBalancingInterceptor.builder().service(service.build()).build().newClient();
  }
}
