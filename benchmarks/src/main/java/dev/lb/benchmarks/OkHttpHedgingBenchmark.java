package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.HedgingPolicy;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.time.Duration;
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
 * What configuring hedging costs a call that does not hedge: GETs over kept-alive loopback
 * connections to a two-endpoint round-robin service, through a {@link
 * LoadBalancingInterceptor#newClient()} client without hedging and through one with a hedging
 * policy whose delay (1 s) is never reached, side by side in one run, over cleartext HTTP/1.1
 * ({@link LoopbackHttpServer}) and over HTTPS that negotiates HTTP/2 ({@link LoopbackHttpsServer}).
 * Sample time, so that the medians can be compared.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OkHttpHedgingBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.lb.benchmarks.OkHttpHedgingBenchmark [requests]
 * </pre>
 *
 * <p>The second form is a paired loop ({@link PairedLoop}: the clients interleaved request by
 * request in a seeded random order, over several rounds), for a machine whose load drifts; it also
 * runs plain OkHttp beside them. Issue 20 asks that hedging add nothing to calls that do not hedge:
 * on both transports a hedged call's first attempt runs on the caller's own call and its timer is
 * armed and cancelled without allocating, so what is left is the hedged call's own bookkeeping.
 * Figures: {@code benchmarks/results/okhttp-hedging.md}.
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

  /** The transports: cleartext HTTP/1.1, and HTTPS where ALPN picks HTTP/2. */
  public enum Transport {
    HTTP1,
    HTTPS_H2
  }

  @Param({"HTTP1", "HTTPS_H2"})
  public Transport transport;

  private AutoCloseable a;
  private AutoCloseable b;
  private OkHttpClient http;
  private Request request;

  /** Starts the servers and builds the client under test. */
  @Setup
  public void setUp() throws IOException {
    boolean hedging = client == ClientType.HEDGING_NOT_TRIGGERED;
    if (transport == Transport.HTTP1) {
      LoopbackHttpServer x = new LoopbackHttpServer();
      LoopbackHttpServer y = new LoopbackHttpServer();
      a = x;
      b = y;
      http = client(hedging, x.port(), y.port());
    } else {
      LoopbackHttpsServer x = new LoopbackHttpsServer();
      LoopbackHttpsServer y = new LoopbackHttpsServer();
      a = x;
      b = y;
      http = httpsClient(hedging, x.port(), y.port());
    }
    request = new Request.Builder().url("http://bench/item").build();
  }

  private static Service.Builder service(boolean hedging, int portA, int portB) {
    Service.Builder service =
        Service.builder("bench")
            .endpoints(
                "round_robin",
                List.of(Endpoint.of("127.0.0.1", portA), Endpoint.of("127.0.0.1", portB)));
    if (hedging) {
      service.hedging(HedgingPolicy.fixedDelay(Duration.ofSeconds(1)));
    }
    return service;
  }

  static OkHttpClient client(boolean hedging, int portA, int portB) {
    return LoadBalancingInterceptor.builder()
        .service(service(hedging, portA, portB).build())
        .build()
        .newClient();
  }

  /** The same service over HTTPS (HTTP/2 by ALPN), on a client that trusts the servers. */
  static OkHttpClient httpsClient(boolean hedging, int portA, int portB) {
    return LoadBalancingInterceptor.builder()
        .service(service(hedging, portA, portB).scheme("https").build())
        .build()
        .newClient(LoopbackHttpsServer.trusting(new OkHttpClient()));
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
  public void tearDown() throws Exception {
    http.dispatcher().executorService().shutdownNow();
    http.connectionPool().evictAll();
    a.close();
    b.close();
  }

  /**
   * The paired loop: plain OkHttp to one of the servers, and the two-endpoint service without and
   * with a hedging policy that never fires, over HTTP/1.1 and over HTTPS (HTTP/2), interleaved in a
   * seeded random order over several rounds ({@link PairedLoop}).
   *
   * @param args optionally the number of measured requests per variant and round (default 10,000)
   *     and the number of rounds (default 10)
   * @throws IOException if a request fails
   */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    try (LoopbackHttpServer a = new LoopbackHttpServer();
        LoopbackHttpServer b = new LoopbackHttpServer();
        LoopbackHttpsServer sa = new LoopbackHttpsServer();
        LoopbackHttpsServer sb = new LoopbackHttpsServer()) {
      Request get = new Request.Builder().url("http://bench/item").build();
      PairedLoop loop =
          new PairedLoop()
              .add(
                  "plain OkHttp",
                  new OkHttpClient(),
                  new Request.Builder().url("http://127.0.0.1:" + a.port() + "/item").build())
              .add("lb, no hedging", client(false, a.port(), b.port()), get)
              .add("lb, hedging not triggered", client(true, a.port(), b.port()), get)
              .add(
                  "h2 plain OkHttp",
                  LoopbackHttpsServer.trusting(new OkHttpClient()),
                  new Request.Builder().url("https://127.0.0.1:" + sa.port() + "/item").build())
              .add("h2 lb, no hedging", httpsClient(false, sa.port(), sb.port()), get)
              .add("h2 lb, hedging not trig.", httpsClient(true, sa.port(), sb.port()), get)
              .compare("lb, hedging not triggered", "lb, no hedging")
              .compare("h2 lb, hedging not trig.", "h2 lb, no hedging");
      loop.printProtocols();
      loop.run(n, rounds, 20_000);
      loop.shutdown();
    }
  }
}
