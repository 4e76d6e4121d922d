package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.okhttp.LoadBalancingInterceptor;
import dev.lb.okhttp.Service;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

  private ServerSocket server;
  private OkHttpClient http;
  private Request request;

  /** Starts the server and builds the client under test. */
  @Setup
  public void setUp() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    Thread acceptor = new Thread(this::accept, "bench-server");
    acceptor.setDaemon(true);
    acceptor.start();
    int port = server.getLocalPort();
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

  private void accept() {
    try {
      while (true) {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        Thread t = new Thread(() -> serve(s), "bench-conn");
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException closed) {
      // the benchmark is over
    }
  }

  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);

  /** Answers every request (GETs: headers only, up to the blank line) with the same response. */
  private static void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] buf = new byte[8192];
      int matched = 0;
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return;
        }
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
          if (matched == 4) {
            out.write(RESPONSE);
            out.flush();
            matched = 0;
          }
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }
}
