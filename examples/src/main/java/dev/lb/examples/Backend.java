package dev.lb.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lb.Endpoint;
import dev.lb.okhttp.HttpProber;
import dev.lb.probe.ProbeResponder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A local HTTP backend for the demo and the examples: a JDK {@link HttpServer} on 127.0.0.1 whose
 * behaviour the demo changes while it runs. {@code GET /work} answers after a log-normal delay
 * around the backend's mean latency, or with a 503 while it is told to fail; {@code GET /health}
 * answers 200 at once whenever the server is up; {@code GET /lb-probe} answers Prequal's probe
 * ({@link dev.lb.okhttp.HttpProber}) with the backend's requests in flight and its latency estimate
 * at that load, from a {@link ProbeResponder} that {@code /work} keeps up to date.
 *
 * <p>{@link #kill()} really closes the server socket and every open connection, so clients see
 * refused connections and reset streams; {@link #restart()} binds a new server to the same port.
 *
 * <p>Thread-safe: handlers run on the shared executor while the demo's director thread changes the
 * behaviour through volatile fields.
 */
final class Backend {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  static {
    // The JDK server writes a response's headers and body separately; with Nagle's algorithm on,
    // the body waits for the client's delayed ACK, adding 40 ms to every call. The server reads
    // this property once, when the first server in the JVM starts.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String id;
  private final Executor executor;
  private final long meanLatencyNanos;
  private final SplittableRandom random;
  private final int port;
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile double failureRate;

  /**
   * The backend's own meter of its load, sent with every {@code /work} response in ORCA's {@code
   * endpoint-load-metrics} header: {@code orca_weighted_round_robin} weights by it. Capacity 8:
   * requests in progress at once at full utilization, an assumption of the demo.
   */
  private final LoadReporter load = new LoadReporter(8);

  /**
   * The backend's requests in flight and latency at each load, for Prequal's probes ({@code
   * /lb-probe}); kept apart from {@link #load}, the ORCA meter.
   */
  private final ProbeResponder probeLoad = ProbeResponder.create();

  private @Nullable HttpServer server; // guarded by this

  private Backend(String id, Executor executor, long meanLatencyNanos, long seed, HttpServer s) {
    this.id = id;
    this.executor = executor;
    this.meanLatencyNanos = meanLatencyNanos;
    this.random = new SplittableRandom(seed);
    this.server = s;
    this.port = s.getAddress().getPort();
  }

  /**
   * Starts a backend on an ephemeral port of the loopback address.
   *
   * @param id the endpoint id it serves as
   * @param executor runs its handlers; shared by every backend
   * @param meanLatency the mean of its {@code /work} latency, in nanoseconds
   * @param seed seeds its latency and failure draws
   */
  static Backend start(String id, Executor executor, long meanLatency, long seed)
      throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 64);
    Backend backend = new Backend(id, executor, meanLatency, seed, s);
    backend.serve(s);
    return backend;
  }

  String id() {
    return id;
  }

  int port() {
    return port;
  }

  Endpoint endpoint() {
    return Endpoint.builder(LOOPBACK.getHostAddress(), port).id(id).build();
  }

  /** Requests to {@code /work} answered with 200. */
  long served() {
    return served.get();
  }

  /** Requests to {@code /work} answered with an injected 503. */
  long failed() {
    return failed.get();
  }

  /** From now on, answers this share of {@code /work} requests with 503; 0 stops failing. */
  void failureRate(double rate) {
    this.failureRate = rate;
  }

  boolean isFailing() {
    return failureRate > 0;
  }

  synchronized boolean isUp() {
    return server != null;
  }

  /** Closes the listening socket and every connection at once, as a crashed process would. */
  synchronized void kill() {
    HttpServer s = server;
    if (s != null) {
      server = null;
      s.stop(0);
    }
  }

  /** Binds a new server to the same port, as a restarted process would. */
  synchronized void restart() throws IOException {
    if (server != null) {
      return;
    }
    // The JDK binds server sockets with SO_REUSEADDR on Unix, so the port is free at once even
    // with the killed connections in TIME_WAIT.
    HttpServer s = HttpServer.create(new InetSocketAddress(LOOPBACK, port), 64);
    serve(s);
    server = s;
  }

  private void serve(HttpServer s) {
    s.setExecutor(executor);
    s.createContext("/health", exchange -> respond(exchange, 200, "ok\n"));
    s.createContext("/work", this::work);
    s.createContext(
        HttpProber.DEFAULT_PATH,
        exchange -> respond(exchange, 200, probeLoad.answer().toText() + "\n"));
    s.start();
  }

  private void work(HttpExchange exchange) throws IOException {
    long arrived = System.nanoTime();
    int rif = probeLoad.begin();
    try {
      serveWork(exchange);
    } finally {
      probeLoad.end(rif, System.nanoTime() - arrived);
    }
  }

  private void serveWork(HttpExchange exchange) throws IOException {
    long start = load.begin();
    double gaussian;
    double draw;
    synchronized (random) {
      gaussian = random.nextGaussian();
      draw = random.nextDouble();
    }
    // Log-normal with sigma 0.4 around the mean: most calls near it, a few much slower.
    long delay = (long) (meanLatencyNanos * Math.exp(0.4 * gaussian - 0.08));
    try {
      TimeUnit.NANOSECONDS.sleep(delay); // a backend doing its work; the demo runs in real time
    } catch (InterruptedException e) {
      load.end(start, true);
      Thread.currentThread().interrupt();
      exchange.close();
      return;
    }
    boolean fail = draw < failureRate;
    load.end(start, fail);
    exchange.getResponseHeaders().set(LoadReporter.HEADER, load.httpHeader());
    if (fail) {
      failed.incrementAndGet();
      respond(exchange, 503, "injected failure\n");
    } else {
      served.incrementAndGet();
      respond(exchange, 200, id + " ok\n");
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException killed) {
      // The server was killed under this exchange: the client sees the stream reset, as intended.
    }
  }

  @Override
  public String toString() {
    return id + "@" + port;
  }
}
