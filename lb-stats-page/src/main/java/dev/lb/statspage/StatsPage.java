package dev.lb.statspage;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.lb.BalancerStats;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A small HTTP page of balancer statistics, in the spirit of HAProxy's stats page: each balancer's
 * {@link LoadBalancer#stats()} as an HTML table ({@code /}), as JSON ({@code /stats.json}), and, if
 * given a source, Prometheus text ({@code /metrics}). Off unless you start one; it binds to
 * 127.0.0.1 unless told otherwise, since statistics name internal hosts.
 *
 * <pre>{@code
 * StatsPage page = StatsPage.builder()
 *     .balancer(users)
 *     .port(9464)
 *     .prometheus(prometheusRegistry::scrape)   // optional, micrometer-registry-prometheus
 *     .start();
 * System.out.println("stats at " + page.uri());
 * }</pre>
 *
 * <p>It runs on the JDK's {@code com.sun.net.httpserver} (module {@code jdk.httpserver}) with one
 * daemon thread, and reads {@code stats()} once per request. {@link #handler()} serves the same
 * pages from a server of your own. Thread-safe; {@link #close()} stops the server.
 */
public final class StatsPage implements AutoCloseable {
  private final List<LoadBalancer> balancers;
  private final @Nullable Supplier<String> prometheus;
  private final @Nullable HttpServer server;
  private final @Nullable ExecutorService executor;

  private StatsPage(Builder b, boolean serve) throws IOException {
    this.balancers = List.copyOf(b.balancers);
    this.prometheus = b.prometheus;
    if (!serve) {
      this.server = null;
      this.executor = null;
      return;
    }
    HttpServer s = HttpServer.create(new InetSocketAddress(b.address, b.port), 0);
    ExecutorService e =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "lb-stats-page");
              t.setDaemon(true);
              return t;
            });
    s.setExecutor(e);
    s.createContext("/", handler());
    s.start();
    this.server = s;
    this.executor = e;
  }

  /**
   * Starts a page; add at least one balancer.
   *
   * @return a new builder: 127.0.0.1, an ephemeral port, no Prometheus text
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where the page is served.
   *
   * @return {@code http://host:port/}
   * @throws IllegalStateException if this page serves no server of its own (see {@link
   *     Builder#buildHandler()})
   */
  public URI uri() {
    HttpServer s = server;
    if (s == null) {
      throw new IllegalStateException("this stats page has no server of its own");
    }
    InetSocketAddress a = s.getAddress();
    String host = a.getAddress().getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /**
   * The pages as a handler, to mount on a server of your own: {@code /} (HTML), {@code
   * /stats.json}, {@code /metrics}, relative to where it is mounted.
   *
   * @return a handler for GET and HEAD
   */
  public HttpHandler handler() {
    return this::handle;
  }

  /** Stops the server, if this page started one. Idempotent. */
  @Override
  public void close() {
    HttpServer s = server;
    if (s != null) {
      s.stop(0);
    }
    ExecutorService e = executor;
    if (e != null) {
      e.shutdownNow();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
        return;
      }
      String context = exchange.getHttpContext().getPath();
      String path = exchange.getRequestURI().getPath();
      String rest = path.length() >= context.length() ? path.substring(context.length()) : path;
      if (rest.startsWith("/")) {
        rest = rest.substring(1);
      }
      switch (rest) {
        case "", "index.html" -> send(exchange, 200, "text/html; charset=utf-8", html(stats()));
        case "stats.json" -> send(exchange, 200, "application/json", json(stats()));
        case "metrics" -> {
          Supplier<String> p = prometheus;
          if (p == null) {
            send(exchange, 404, "text/plain; charset=utf-8", "no Prometheus registry\n");
          } else {
            send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", p.get());
          }
        }
        default -> send(exchange, 404, "text/plain; charset=utf-8", "not found\n");
      }
    }
  }

  private List<BalancerStats> stats() {
    List<BalancerStats> all = new ArrayList<>();
    for (LoadBalancer b : balancers) {
      all.add(b.stats());
    }
    return all;
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // JSON

  /**
   * The statistics as JSON: {@code {"balancers": [...]}}, one object per balancer with its
   * endpoints; latencies in nanoseconds, {@code null} where the statistics say NaN.
   */
  static String json(List<BalancerStats> all) {
    StringBuilder sb = new StringBuilder("{\"balancers\":[");
    for (int i = 0; i < all.size(); i++) {
      BalancerStats s = all.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append('{');
      field(sb, "name", s.balancerName()).append(',');
      field(sb, "strategy", s.strategyName()).append(',');
      field(sb, "membershipVersion", s.membershipVersion()).append(',');
      sb.append("\"panic\":").append(s.panic()).append(',');
      field(sb, "healthyPercent", s.healthyPercent()).append(',');
      field(sb, "retryBudgetRemaining", s.retryBudgetRemaining()).append(',');
      field(sb, "inFlight", s.inFlight()).append(',');
      sb.append("\"endpoints\":[");
      List<EndpointStats> endpoints = s.endpoints();
      for (int j = 0; j < endpoints.size(); j++) {
        if (j > 0) {
          sb.append(',');
        }
        endpoint(sb, endpoints.get(j));
      }
      sb.append("]}");
    }
    return sb.append("]}").toString();
  }

  private static void endpoint(StringBuilder sb, EndpointStats e) {
    sb.append('{');
    field(sb, "id", e.endpoint().id()).append(',');
    field(sb, "host", e.endpoint().host()).append(',');
    field(sb, "port", e.endpoint().port()).append(',');
    String zone = e.endpoint().zone();
    sb.append("\"zone\":");
    if (zone == null) {
      sb.append("null");
    } else {
      string(sb, zone);
    }
    sb.append(',');
    field(sb, "weight", e.endpoint().weight()).append(',');
    field(sb, "effectiveWeightPercent", e.effectiveWeightPercent()).append(',');
    field(sb, "health", e.health().name()).append(',');
    field(sb, "inFlight", e.inFlight()).append(',');
    field(sb, "picks", e.picks()).append(',');
    field(sb, "successes", e.successes()).append(',');
    field(sb, "failures", e.failures()).append(',');
    field(sb, "cancellations", e.cancellations()).append(',');
    number(sb, "latencyEwmaNanos", e.latencyEwmaNanos()).append(',');
    field(sb, "latencySamples", e.latencySamples()).append(',');
    number(sb, "latencyP50Nanos", e.latencyP50Nanos()).append(',');
    number(sb, "latencyP90Nanos", e.latencyP90Nanos()).append(',');
    number(sb, "latencyP99Nanos", e.latencyP99Nanos()).append(',');
    number(sb, "throughputBytesPerSecond", e.throughputBytesPerSecond()).append(',');
    field(sb, "ejections", e.ejections()).append(',');
    sb.append("\"breakerState\":");
    if (e.breakerState() == null) {
      sb.append("null");
    } else {
      string(sb, e.breakerState().name());
    }
    sb.append(',');
    field(sb, "limiterRejections", e.limiterRejections()).append(',');
    sb.append("\"lastCheck\":");
    if (e.lastCheck() == null) {
      sb.append("null");
    } else {
      string(sb, String.valueOf(e.lastCheck()));
    }
    sb.append('}');
  }

  private static StringBuilder field(StringBuilder sb, String name, String value) {
    string(sb, name);
    sb.append(':');
    string(sb, value);
    return sb;
  }

  private static StringBuilder field(StringBuilder sb, String name, long value) {
    string(sb, name);
    return sb.append(':').append(value);
  }

  private static StringBuilder number(StringBuilder sb, String name, double value) {
    string(sb, name);
    sb.append(':');
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return sb.append("null");
    }
    return sb.append(String.format(Locale.ROOT, "%.1f", value));
  }

  /** A JSON string: quotes, backslashes and control characters escaped (RFC 8259). */
  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  // ---------------------------------------------------------------------------------------------
  // HTML

  static String html(List<BalancerStats> all) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"2\"><title>lb stats</title><style>")
        .append("body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}")
        .append("th,td{border:1px solid #bbb;padding:2px 6px;text-align:right}")
        .append("th{background:#dde}td.id{text-align:left}")
        .append(
            "tr.HEALTHY td.h{background:#cfc}tr.UNHEALTHY td.h,tr.EJECTED td.h{background:#fcc}")
        .append("tr.DRAINING td.h,tr.DISABLED td.h{background:#ffc}")
        .append("</style></head><body><h1>lb stats</h1>")
        .append("<p><a href=\"stats.json\">JSON</a> · <a href=\"metrics\">Prometheus</a></p>");
    for (BalancerStats s : all) {
      sb.append("<h2>");
      escape(sb, s.balancerName());
      sb.append("</h2><p>strategy ");
      escape(sb, s.strategyName());
      sb.append(" · ")
          .append(s.endpoints().size())
          .append(" endpoints · ")
          .append(s.healthyPercent())
          .append("% healthy")
          .append(s.panic() ? " · <b>PANIC</b>" : "")
          .append(" · ")
          .append(s.inFlight())
          .append(" in flight");
      if (s.retryBudgetRemaining() >= 0) {
        sb.append(" · retry budget ").append(s.retryBudgetRemaining());
      }
      sb.append(" · version ").append(s.membershipVersion()).append("</p>");
      sb.append("<table><tr><th>endpoint</th><th>zone</th><th>status</th><th>weight</th>")
          .append("<th>in flight</th><th>picks</th><th>success</th><th>failure</th>")
          .append("<th>cancel</th><th>p50</th><th>p90</th><th>p99</th><th>ewma</th>")
          .append(
              "<th>ejections</th><th>breaker</th><th>rate limited</th><th>last check</th></tr>");
      for (EndpointStats e : s.endpoints()) {
        sb.append("<tr class=\"").append(e.health().name()).append("\"><td class=\"id\">");
        escape(sb, e.endpoint().id());
        sb.append("</td><td>");
        String zone = e.endpoint().zone();
        escape(sb, zone == null ? "" : zone);
        sb.append("</td><td class=\"h\">")
            .append(e.health().name())
            .append("</td><td>")
            .append(e.endpoint().weight());
        if (e.effectiveWeightPercent() < 100) {
          sb.append(" @").append(e.effectiveWeightPercent()).append('%');
        }
        sb.append("</td><td>")
            .append(e.inFlight())
            .append("</td><td>")
            .append(e.picks())
            .append("</td><td>")
            .append(e.successes())
            .append("</td><td>")
            .append(e.failures())
            .append("</td><td>")
            .append(e.cancellations())
            .append("</td><td>")
            .append(millis(e.latencyP50Nanos()))
            .append("</td><td>")
            .append(millis(e.latencyP90Nanos()))
            .append("</td><td>")
            .append(millis(e.latencyP99Nanos()))
            .append("</td><td>")
            .append(millis(e.latencyEwmaNanos()))
            .append("</td><td>")
            .append(e.ejections())
            .append("</td><td>")
            .append(e.breakerState() == null ? "-" : e.breakerState().name())
            .append("</td><td>")
            .append(e.limiterRejections())
            .append("</td><td>");
        escape(sb, e.lastCheck() == null ? "-" : String.valueOf(e.lastCheck()));
        sb.append("</td></tr>");
      }
      sb.append("</table>");
    }
    return sb.append("</body></html>\n").toString();
  }

  private static String millis(double nanos) {
    return Double.isNaN(nanos) ? "-" : String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }

  private static void escape(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        default -> sb.append(c);
      }
    }
  }

  /** Builds a {@link StatsPage}; not thread-safe. */
  public static final class Builder {
    private final List<LoadBalancer> balancers = new ArrayList<>();
    private InetAddress address = InetAddress.getLoopbackAddress();
    private int port = 0;
    private @Nullable Supplier<String> prometheus;

    private Builder() {}

    /**
     * Adds a balancer to the page.
     *
     * @param balancer the balancer; must not be null
     * @return this builder
     */
    public Builder balancer(LoadBalancer balancer) {
      balancers.add(requireNonNull(balancer, "balancer"));
      return this;
    }

    /**
     * The port to listen on; 0 (the default) takes an ephemeral one, see {@link StatsPage#uri()}.
     *
     * @param port 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535] but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The address to listen on. Defaults to the loopback address: statistics name internal hosts,
     * so exposing them beyond this machine is a decision to make, not a default.
     *
     * @param address the address, such as {@code InetAddress.getByName("0.0.0.0")}; must not be
     *     null
     * @return this builder
     */
    public Builder address(InetAddress address) {
      this.address = requireNonNull(address, "address");
      return this;
    }

    /**
     * Serves Prometheus text at {@code /metrics}, such as {@code prometheusRegistry::scrape} from
     * micrometer-registry-prometheus with lb-micrometer's meters bound to it. None by default.
     *
     * @param scrape returns the exposition text; must not be null
     * @return this builder
     */
    public Builder prometheus(Supplier<String> scrape) {
      this.prometheus = requireNonNull(scrape, "scrape");
      return this;
    }

    /**
     * Starts the server.
     *
     * @return the running page
     * @throws IOException if the address cannot be bound
     * @throws IllegalStateException if no balancer was added
     */
    public StatsPage start() throws IOException {
      checkBalancers();
      return new StatsPage(this, true);
    }

    /**
     * Builds the pages without a server, for {@link StatsPage#handler()} on a server of your own.
     *
     * @return a page without a server of its own
     * @throws IllegalStateException if no balancer was added
     */
    public StatsPage buildHandler() {
      checkBalancers();
      try {
        return new StatsPage(this, false);
      } catch (IOException e) {
        throw new AssertionError("no server, no I/O", e);
      }
    }

    private void checkBalancers() {
      if (balancers.isEmpty()) {
        throw new IllegalStateException("a stats page needs at least one balancer");
      }
    }
  }
}
