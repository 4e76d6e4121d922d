package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.StrategyRegistry;
import dev.lb.Ticker;
import dev.lb.hash.HashStrategies;
import dev.lb.hash.StickTable;
import dev.lb.hash.XxHash64;
import dev.lb.retry.Backoff;
import dev.lb.retry.FailureKind;
import dev.lb.retry.RetryBudget;
import dev.lb.retry.RetryPolicy;
import dev.lb.strategy.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * One logical service that the {@link LoadBalancingInterceptor} balances: requests whose URL host
 * is the service's name (such as {@code http://users/...}) are routed to an endpoint group, sent to
 * one endpoint per attempt, and retried on another when the rules allow.
 *
 * <pre>{@code
 * Service users = Service.builder("users")
 *     .route(Route.pathPrefix("/api/", apiBalancer))
 *     .defaultTarget(TrafficSplit.builder().arm("stable", stable, 95).arm("canary", canary, 5).build())
 *     .keyExtractor(KeyExtractor.cookie("session"))
 *     .attemptTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <h2>Retries</h2>
 *
 * <p>Retries are decided by lb-core's {@link RetryPolicy} ({@link #retryPolicy()}): at most {@link
 * Builder#maxAttempts} attempts, each retry on an endpoint the call has not tried, after the
 * policy's {@link Backoff} (by default lb-core's: full jitter, 25 ms base, 250 ms cap), and only
 * while the {@link RetryBudget} has a retry to spare. OkHttp's outcomes are mapped onto {@link
 * FailureKind}s:
 *
 * <table class="striped">
 *   <caption>How an attempt's outcome becomes a failure kind</caption>
 *   <tr><th>outcome</th><th>kind</th><th>retried for</th></tr>
 *   <tr><td>refused, unreachable, connect timeout, TLS handshake failure</td>
 *       <td>{@link FailureKind#CONNECT_FAILED CONNECT_FAILED}</td><td>every method</td></tr>
 *   <tr><td>HTTP/2 {@code REFUSED_STREAM}</td>
 *       <td>{@link FailureKind#REFUSED_UNPROCESSED REFUSED_UNPROCESSED}</td><td>every method</td></tr>
 *   <tr><td>read or write timeout; any other I/O error once the request may have left (reset,
 *       unexpected end of stream): the answer was lost</td>
 *       <td>{@link FailureKind#TIMEOUT TIMEOUT}</td><td>idempotent methods, or all with {@link
 *       Builder#retryNonIdempotent}</td></tr>
 *   <tr><td>a {@link Builder#retryStatuses retry status} (502, 503, 504)</td>
 *       <td>{@link FailureKind#UNAVAILABLE UNAVAILABLE}</td><td>idempotent methods, or all with
 *       {@link Builder#retryNonIdempotent}</td></tr>
 * </table>
 *
 * <p>Idempotent methods are GET, HEAD, PUT, DELETE, OPTIONS and TRACE. Whatever the kind, a
 * one-shot request body that started to be written is never sent again, and a call that has tried
 * every member of its group stops there.
 *
 * <p>Each service has a budget of its own by default (Finagle's defaults, 20 % of the calls of the
 * last 10 s plus 10 retries per second, on the service's {@link Builder#ticker ticker}); pass one
 * {@link RetryBudget} to several services with {@link Builder#retryBudget} to bound a whole
 * client's retries together. {@link #retryBudget()} exposes it for stats ({@link
 * RetryBudget#remaining()}, {@link RetryBudget#refusedCount()}).
 *
 * <p>The backoff is waited out on the thread that runs the call (the caller's for {@code
 * execute()}, a dispatcher thread for {@code enqueue()}), holding no lease and no connection; a
 * cancel or the call timeout ends it within 10 ms.
 *
 * <p>Immutable configuration plus the live retry budget; thread-safe, shared by every call to the
 * service.
 */
public final class Service {
  /** The default {@link Builder#responseBufferLimit}: 64 KiB. */
  public static final long DEFAULT_RESPONSE_BUFFER_BYTES = 64 * 1024;

  private final String host;

  /** The routing table: swapped whole, read once per call. */
  private volatile Routing routing;

  private final @Nullable String scheme;
  private final @Nullable String tlsHostname;
  private final KeyExtractor keyExtractor;
  private final FailureClassifier failureClassifier;
  private final long attemptTimeoutNanos;
  private final RetryPolicy retryPolicy;
  private final boolean[] retryStatuses;
  private final @Nullable String idempotencyKeyHeader;
  private final @Nullable String stickyCookie;
  private final @Nullable StickTable stickTable;
  private final HostHeader hostHeader;
  private final @Nullable String fixedHostHeader;
  private final int connectTimeoutMillis;
  private final int readTimeoutMillis;
  private final int writeTimeoutMillis;
  private final long responseBufferBytes;
  private final EndpointUrls endpointUrls = new EndpointUrls();
  private final Sleeper sleeper;
  private final @Nullable Hedging hedging;

  private Service(
      Builder b,
      TrafficSplit defaultTarget,
      RetryPolicy retryPolicy,
      @Nullable StickTable stickTable) {
    this.host = b.host;
    this.routing = new Routing(List.copyOf(b.routes), defaultTarget);
    this.scheme = b.scheme;
    this.tlsHostname = b.tlsHostname;
    this.keyExtractor = b.keyExtractor;
    this.failureClassifier = b.failureClassifier;
    this.attemptTimeoutNanos = b.attemptTimeoutNanos;
    this.retryPolicy = retryPolicy;
    this.retryStatuses = b.retryStatuses.clone();
    this.idempotencyKeyHeader = b.idempotencyKeyHeader;
    this.stickyCookie = b.stickyCookie;
    this.stickTable = stickTable;
    this.hostHeader = b.hostHeader;
    this.fixedHostHeader = b.fixedHostHeader;
    this.connectTimeoutMillis = b.connectTimeoutMillis;
    this.readTimeoutMillis = b.readTimeoutMillis;
    this.writeTimeoutMillis = b.writeTimeoutMillis;
    this.responseBufferBytes = b.responseBufferBytes;
    this.sleeper = b.sleeper;
    HedgingPolicy h = b.hedgingPolicy;
    this.hedging = h == null ? null : new Hedging(h);
  }

  /**
   * Returns a service that sends every request for {@code host} to one balancer, with the default
   * options.
   *
   * @param host the logical host name that requests use, such as {@code users}
   * @param balancer the balancer over the service's endpoints; must not be null
   * @return a new service
   * @throws NullPointerException if {@code host} or {@code balancer} is null
   * @throws IllegalArgumentException if {@code host} is blank
   */
  public static Service of(String host, LoadBalancer balancer) {
    return builder(host).defaultTarget(balancer).build();
  }

  /**
   * Returns a builder for the service reached through {@code host}.
   *
   * @param host the logical host name that requests use, such as {@code users}; matched without
   *     case; must not be null or blank
   * @return a new builder with the default options and no routes
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if {@code host} is blank
   */
  public static Builder builder(String host) {
    return new Builder(Options.notBlank(host, "service host").toLowerCase(Locale.ROOT));
  }

  /**
   * The logical host name this service answers to, in lower case.
   *
   * @return the host given to {@link #builder(String)}
   */
  public String host() {
    return host;
  }

  /** The routes and the default target, as one immutable value that a call reads once. */
  private record Routing(List<Route> routes, TrafficSplit defaultTarget) {}

  /**
   * The routing rules, in the order they are tried, as of now.
   *
   * @return an immutable list, empty if every request goes to the default target
   */
  public List<Route> routes() {
    return routing.routes();
  }

  /**
   * Where requests that match no route go, as of now.
   *
   * @return the default traffic split
   */
  public TrafficSplit defaultTarget() {
    return routing.defaultTarget();
  }

  /**
   * Replaces the routing rules on the live service, for every call that starts from now on; calls
   * in flight keep the table they started with. The swap is atomic: a call sees the old table or
   * the new one, never a mix. The balancers the new routes name should be built and running.
   *
   * @param routes the new rules, in the order they are tried; may be empty
   * @throws NullPointerException if {@code routes} or one of them is null
   */
  public synchronized void updateRoutes(List<Route> routes) {
    Options.notNull(routes, "routes");
    routing = new Routing(List.copyOf(routes), routing.defaultTarget());
  }

  /**
   * Replaces the default target on the live service, such as a canary ramp from 5% to 25% ({@code
   * service.updateDefaultTarget(service.defaultTarget().withWeight("canary", 25)
   * .withWeight("stable", 75))}); atomic like {@link #updateRoutes}. A key stays in its arm unless
   * the new weights take its part of the hash range from that arm: arms own consecutive ranges in
   * their order, so growing an arm moves keys only into it.
   *
   * @param target the new default split
   * @throws NullPointerException if {@code target} is null
   */
  public synchronized void updateDefaultTarget(TrafficSplit target) {
    Options.notNull(target, "target");
    routing = new Routing(routing.routes(), target);
  }

  TrafficSplit targetFor(Request request) {
    Routing r = routing;
    for (Route route : r.routes()) {
      if (route.matches(request)) {
        return route.target();
      }
    }
    return r.defaultTarget();
  }

  /** Every balancer this service may send to now, each once. */
  Set<LoadBalancer> balancers() {
    Routing r = routing;
    Set<LoadBalancer> all = new LinkedHashSet<>();
    for (Route route : r.routes()) {
      route.target().arms().forEach(a -> all.add(a.balancer()));
    }
    r.defaultTarget().arms().forEach(a -> all.add(a.balancer()));
    return all;
  }

  @Nullable String scheme() {
    return scheme;
  }

  /** The URL of an attempt of {@code original} to {@code endpoint}, in the wire scheme. */
  okhttp3.HttpUrl attemptUrl(okhttp3.HttpUrl original, Endpoint endpoint) {
    return endpointUrls.rewrite(original, scheme, endpoint);
  }

  @Nullable String tlsHostname() {
    return tlsHostname;
  }

  KeyExtractor keyExtractor() {
    return keyExtractor;
  }

  FailureClassifier failureClassifier() {
    return failureClassifier;
  }

  long attemptTimeoutNanos() {
    return attemptTimeoutNanos;
  }

  int connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  int readTimeoutMillis() {
    return readTimeoutMillis;
  }

  int writeTimeoutMillis() {
    return writeTimeoutMillis;
  }

  long responseBufferBytes() {
    return responseBufferBytes;
  }

  /**
   * Pins the session of a {@link Builder#stickyCookie} that {@code endpoint} set in this response
   * to that endpoint, in the stick table, under the key the sticky strategy will look up: lb-core's
   * {@code KeyHash} of a text key, XXH64 of the key with seed 0.
   */
  void learnStickyCookie(Response response, Endpoint endpoint) {
    String name = stickyCookie;
    StickTable table = stickTable;
    if (name == null || table == null) {
      return;
    }
    for (String header : response.headers("Set-Cookie")) {
      int eq = header.indexOf('=');
      if (eq > 0 && header.substring(0, eq).trim().equals(name)) {
        int end = header.indexOf(';', eq);
        String value = header.substring(eq + 1, end < 0 ? header.length() : end).trim();
        if (!value.isEmpty()) {
          table.put(XxHash64.hash(value, 0L), endpoint.id());
        }
      }
    }
  }

  /** How each attempt's {@code Host} header is chosen; see {@link Builder#hostHeader(String)}. */
  enum HostHeader {
    /** The default: the TLS hostname if set, else the endpoint's address. */
    DEFAULT,
    /** The endpoint's {@code host:port}, OkHttp's own choice after the rewrite. */
    ENDPOINT,
    /** The logical name of the request's URL, such as {@code users}. */
    SERVICE_NAME,
    /** A fixed authority. */
    FIXED
  }

  /**
   * The {@code Host} header an attempt to {@code endpoint} sends, or null to leave it to OkHttp
   * (the endpoint's address). A {@code Host} header the caller set is never replaced.
   */
  @Nullable String hostHeaderFor(Request original) {
    return switch (hostHeader) {
      case DEFAULT -> tlsHostname;
      case ENDPOINT -> null;
      case SERVICE_NAME -> authority(original);
      case FIXED -> fixedHostHeader;
    };
  }

  private static String authority(Request original) {
    okhttp3.HttpUrl url = original.url();
    return url.port() == okhttp3.HttpUrl.defaultPort(url.scheme())
        ? url.host()
        : url.host() + ":" + url.port();
  }

  /** The name whose certificate pins apply to every endpoint: the TLS hostname, else the host. */
  String pinnedName() {
    return tlsHostname != null ? tlsHostname : host;
  }

  /** Whether the request carries a non-empty value of the configured idempotency-key header. */
  boolean hasIdempotencyKey(Request request) {
    String name = idempotencyKeyHeader;
    if (name == null) {
      return false;
    }
    String value = request.header(name);
    return value != null && !value.isBlank();
  }

  /**
   * The retry policy every call to this service follows: attempts, backoff, budget and whether
   * non-idempotent requests may be retried.
   *
   * @return the policy, immutable but for its budget's live balance
   */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * The budget this service's retries draw from, for stats: {@link RetryBudget#remaining()} and
   * {@link RetryBudget#refusedCount()}. Shared with other services if it was given to them too.
   *
   * @return the policy's budget
   */
  public RetryBudget retryBudget() {
    return retryPolicy.budget();
  }

  boolean isRetryableStatus(int code) {
    return code >= 0 && code < retryStatuses.length && retryStatuses[code];
  }

  /**
   * How this service hedges its idempotent requests, if it does.
   *
   * @return the policy, or null if calls are not hedged (the default)
   */
  public @Nullable HedgingPolicy hedgingPolicy() {
    Hedging h = hedging;
    return h == null ? null : h.policy();
  }

  @Nullable Hedging hedging() {
    return hedging;
  }

  Sleeper sleeper() {
    return sleeper;
  }

  @Override
  public String toString() {
    Routing r = routing;
    return "Service{" + host + ", routes=" + r.routes() + ", default=" + r.defaultTarget() + "}";
  }

  /** Builds a {@link Service}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private final String host;
    private final List<Route> routes = new ArrayList<>();
    private @Nullable TrafficSplit defaultTarget;
    private @Nullable String scheme;
    private @Nullable String tlsHostname;
    private KeyExtractor keyExtractor = KeyExtractor.NONE;
    private boolean hasKeyExtractor;
    private FailureClassifier failureClassifier = FailureClassifier.defaults();
    private long attemptTimeoutNanos;
    private int maxAttempts = 3;
    private boolean retryNonIdempotent;
    private boolean[] retryStatuses = statusTable(408, 502, 503, 504);
    private @Nullable String idempotencyKeyHeader;
    private @Nullable String stickyCookie;
    private HostHeader hostHeader = HostHeader.DEFAULT;
    private @Nullable String fixedHostHeader;
    private int connectTimeoutMillis;
    private int readTimeoutMillis;
    private int writeTimeoutMillis;
    private long responseBufferBytes = DEFAULT_RESPONSE_BUFFER_BYTES;
    private @Nullable Backoff backoff;
    private @Nullable RetryBudget retryBudget;
    private @Nullable Strategy endpointsStrategy;
    private List<Endpoint> endpoints = List.of();
    private long stickTableSize;
    private long stickTableIdleNanos;
    private Ticker ticker = Ticker.systemTicker();
    private Sleeper sleeper = Sleeper.REAL;
    private @Nullable HedgingPolicy hedgingPolicy;

    private Builder(String host) {
      this.host = host;
    }

    /**
     * Adds a routing rule after those already added; the first rule that matches a request wins.
     *
     * @param route the rule; must not be null
     * @return this builder
     * @throws NullPointerException if {@code route} is null
     */
    public Builder route(Route route) {
      routes.add(Options.notNull(route, "route"));
      return this;
    }

    /**
     * Sets where requests that match no route go.
     *
     * @param target the default traffic split; must not be null
     * @return this builder
     * @throws NullPointerException if {@code target} is null
     */
    public Builder defaultTarget(TrafficSplit target) {
      this.defaultTarget = Options.notNull(target, "default target");
      this.endpointsStrategy = null;
      this.endpoints = List.of();
      return this;
    }

    /**
     * Sets the one group that requests matching no route go to.
     *
     * @param balancer the default group's balancer; must not be null
     * @return this builder
     * @throws NullPointerException if {@code balancer} is null
     */
    public Builder defaultTarget(LoadBalancer balancer) {
      return defaultTarget(TrafficSplit.of(balancer));
    }

    /**
     * Sets the default target to a new balancer over {@code endpoints}, named after the service,
     * that picks with the strategy named {@code strategy} (see {@link StrategyRegistry#names()})
     * and runs on this builder's {@link #ticker}. With a {@link #stickTable}, the strategy only
     * places each session's first call. The balancer is built by {@link #build()}; it replaces an
     * earlier {@link #defaultTarget}, and a later one replaces it.
     *
     * @param strategy a strategy name such as {@code round_robin} or {@code p2c}
     * @param endpoints the service's endpoints; must not be empty
     * @return this builder
     * @throws NullPointerException if {@code strategy} or {@code endpoints} is null
     * @throws IllegalArgumentException if the strategy name is unknown or empty
     */
    public Builder endpoints(String strategy, Collection<Endpoint> endpoints) {
      Collection<Endpoint> list = Options.notNull(endpoints, "endpoints of service '" + host + "'");
      if (list.isEmpty()) {
        throw new IllegalArgumentException(
            "endpoints of service '" + host + "' must not be empty but was []");
      }
      this.endpointsStrategy = StrategyRegistry.byName(Options.notNull(strategy, "strategy"));
      this.endpoints = List.copyOf(list);
      this.defaultTarget = null;
      return this;
    }

    /**
     * Sets the scheme that endpoints speak, {@code http} or {@code https}. By default each request
     * keeps its own scheme.
     *
     * @param scheme {@code http} or {@code https}, in any case
     * @return this builder
     * @throws IllegalArgumentException if {@code scheme} is neither
     */
    public Builder scheme(String scheme) {
      String s = Options.notBlank(scheme, "scheme").toLowerCase(Locale.ROOT);
      if (!s.equals("http") && !s.equals("https")) {
        throw new IllegalArgumentException(
            "scheme must be 'http' or 'https' but was '" + scheme + "'");
      }
      this.scheme = s;
      return this;
    }

    /**
     * Verifies every endpoint's TLS certificate against this one name, instead of against each
     * endpoint's own host (the default). Use it when endpoints are addressed by IP but present a
     * certificate for the service's name.
     *
     * <p>The name is also sent as the TLS handshake's SNI server name (unless it is an IP address),
     * so that a server that picks its certificate by SNI presents the service's. That needs the
     * client's TLS socket factory and trust manager, which OkHttp has unless the client was given a
     * socket factory without a trust manager; then no SNI is sent.
     *
     * <p>It is also the name the client's {@link okhttp3.CertificatePinner} pins are looked up for
     * (without it, the service's host), checked against every endpoint's certificate chain, and by
     * default the {@code Host} header ({@link #hostHeader(String)}).
     *
     * @param name the name the certificates must be valid for, such as {@code users.internal}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder tlsHostname(String name) {
      this.tlsHostname = Options.notBlank(name, "tls hostname").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Sends this fixed authority as every attempt's {@code Host} header, such as {@code
     * shop.example.com} or {@code shop.example.com:8443}, for name-based virtual hosts and
     * ingresses in front of the endpoints. By default the {@code Host} header is the {@link
     * #tlsHostname} if one is set (so that SNI, certificate name and {@code Host} agree), else the
     * endpoint's address. A {@code Host} header the caller set on the request is never replaced.
     *
     * @param authority a host, optionally with {@code :port}
     * @return this builder
     * @throws NullPointerException if {@code authority} is null
     * @throws IllegalArgumentException if {@code authority} is blank or holds a space, a slash, or
     *     another character an authority cannot
     */
    public Builder hostHeader(String authority) {
      String a = Options.notBlank(authority, "host header");
      if (!a.matches("[A-Za-z0-9._~%!$&'()*+,;=:\\[\\]-]+")) {
        throw new IllegalArgumentException(
            "host header must be an authority such as 'shop.example.com:8443' but was '"
                + authority
                + "'");
      }
      this.hostHeader = HostHeader.FIXED;
      this.fixedHostHeader = a;
      return this;
    }

    /**
     * Sends the request's logical name (its URL's host, such as {@code users}, with a port if the
     * URL has a non-default one) as every attempt's {@code Host} header.
     *
     * @return this builder
     */
    public Builder hostHeaderServiceName() {
      this.hostHeader = HostHeader.SERVICE_NAME;
      this.fixedHostHeader = null;
      return this;
    }

    /**
     * Sends each endpoint's own address ({@code host:port}) as the {@code Host} header, even when a
     * {@link #tlsHostname} is set.
     *
     * @return this builder
     */
    public Builder hostHeaderEndpoint() {
      this.hostHeader = HostHeader.ENDPOINT;
      this.fixedHostHeader = null;
      return this;
    }

    /**
     * Pins each session to the endpoint that set its cookie, as HAProxy's {@code cookie SERVERID
     * insert} or nginx's {@code sticky cookie} do: when an endpoint's response sets cookie {@code
     * name}, its value is put into the {@link #stickTable} for that endpoint, and requests carrying
     * the cookie (from the request or from the client's {@link okhttp3.CookieJar}) go there while
     * it can take them. Needs {@link #stickTable} and {@link #endpoints}; sets the {@link
     * #keyExtractor} to {@link KeyExtractor#cookie} of the same name unless one is set.
     *
     * @param name the cookie's name, such as {@code JSESSIONID}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder stickyCookie(String name) {
      this.stickyCookie = Options.notBlank(name, "sticky cookie");
      return this;
    }

    /**
     * Sets how a request's affinity key is found. None by default.
     *
     * @param extractor the key extractor; must not be null
     * @return this builder
     * @throws NullPointerException if {@code extractor} is null
     */
    public Builder keyExtractor(KeyExtractor extractor) {
      this.keyExtractor = Options.notNull(extractor, "key extractor");
      this.hasKeyExtractor = true;
      return this;
    }

    /**
     * Sets which outcomes count as an endpoint's failure. {@link FailureClassifier#defaults()} by
     * default.
     *
     * @param classifier the classifier; must not be null
     * @return this builder
     * @throws NullPointerException if {@code classifier} is null
     */
    public Builder failureClassifier(FailureClassifier classifier) {
      this.failureClassifier = Options.notNull(classifier, "failure classifier");
      return this;
    }

    /**
     * Sets a deadline for each whole attempt: connecting, writing the request, waiting for the
     * headers and reading a buffered body (see {@link #responseBufferLimit}) or streaming the body,
     * from the attempt's start. An endpoint that accepts connections but never answers, or that
     * trickles its answer a byte at a time, is abandoned at the deadline and the call fails over if
     * the retry rules allow. No deadline by default. The client's call timeout ({@link
     * okhttp3.OkHttpClient.Builder#callTimeout}) still bounds the whole call, retries included.
     *
     * <p>The deadline closes an HTTP/1 socket that is still sending or waiting for headers through
     * the interceptor's {@link LoadBalancingInterceptor#networkInterceptor() network half}, which
     * {@link LoadBalancingInterceptor#newClient} installs; without it, or over HTTP/2, that phase
     * is bounded by the idle timeouts shortened to the time left. Each attempt's connect, read and
     * write idle timeouts are never longer than the time left either.
     *
     * @param timeout the deadline of one attempt; positive, at most about 24 days
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero, negative or too large
     */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeoutNanos = Math.max(millis(timeout, "attempt timeout"), 1) * 1_000_000L;
      return this;
    }

    /**
     * Sets the connect timeout of every attempt (the seeds' {@code proxy_connect_timeout}), instead
     * of the client's. Never longer than the time left of {@link #attemptTimeout}.
     *
     * @param timeout positive, at most about 24 days
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero, negative or too large
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeoutMillis = millis(timeout, "connect timeout");
      return this;
    }

    /**
     * Sets the read idle timeout of every attempt, the longest wait for the next bytes (the seeds'
     * {@code proxy_read_timeout}), instead of the client's. An idle timeout does not bound a server
     * that keeps sending slowly: {@link #attemptTimeout} does.
     *
     * @param timeout positive, at most about 24 days
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero, negative or too large
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeoutMillis = millis(timeout, "read timeout");
      return this;
    }

    /**
     * Sets the write idle timeout of every attempt (the seeds' {@code proxy_send_timeout}), instead
     * of the client's.
     *
     * @param timeout positive, at most about 24 days
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero, negative or too large
     */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeoutMillis = millis(timeout, "write timeout");
      return this;
    }

    private static int millis(Duration timeout, String option) {
      long nanos = Options.positiveNanos(timeout, option);
      long ms = Math.max(1, nanos / 1_000_000);
      if (ms > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            option + " must be at most " + Integer.MAX_VALUE + " ms but was " + timeout);
      }
      return (int) ms;
    }

    /**
     * Makes a non-idempotent request (POST, PATCH) retryable like an idempotent one when it carries
     * this header with a non-empty value, such as {@code Idempotency-Key} (the IETF draft's name):
     * the server is trusted to apply each key once. Requests without the header keep the
     * non-idempotent rules. Off by default.
     *
     * @param name the header's name, such as {@code Idempotency-Key}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder idempotencyKeyHeader(String name) {
      this.idempotencyKeyHeader = Options.notBlank(name, "idempotency key header");
      return this;
    }

    /**
     * Sets the largest response body read whole inside its attempt, for requests lb may send again
     * (idempotent ones, those with an {@link #idempotencyKeyHeader idempotency key}, or all with
     * {@link #retryNonIdempotent}). A successful response whose {@code Content-Length} is at most
     * this is buffered before the call returns, so a connection reset or a truncated body fails the
     * attempt and fails over instead of reaching the caller. Bodies of unknown length (chunked,
     * streams) and larger ones are streamed: once their headers are returned, a failure while
     * reading the body reaches the caller and is not retried. Default {@value
     * #DEFAULT_RESPONSE_BUFFER_BYTES} bytes; 0 streams every body.
     *
     * @param bytes the limit, 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public Builder responseBufferLimit(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException(
            "response buffer limit must be 0 or more but was " + bytes);
      }
      this.responseBufferBytes = bytes;
      return this;
    }

    /**
     * Sets how many attempts a call may make in all, the first included. Default 3; 1 turns retries
     * off.
     *
     * @param attempts 1 to {@value RetryPolicy#MAX_ATTEMPTS}
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is out of range
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > RetryPolicy.MAX_ATTEMPTS) {
        throw new IllegalArgumentException(
            "max attempts must be in 1.." + RetryPolicy.MAX_ATTEMPTS + " but was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Lets timeouts, lost answers and retry statuses ({@link FailureKind#TIMEOUT}, {@link
     * FailureKind#UNAVAILABLE}) be retried for non-idempotent methods (POST, PATCH) too. Off by
     * default: such a request may have taken effect. A one-shot body is never sent twice either
     * way.
     *
     * @param retry true to retry every method
     * @return this builder
     */
    public Builder retryNonIdempotent(boolean retry) {
      this.retryNonIdempotent = retry;
      return this;
    }

    /**
     * Sets the response statuses that are retried on another endpoint, as {@link
     * FailureKind#UNAVAILABLE}, under the same method rules as a lost answer: a POST is not sent
     * again for a 408 or a 503 (whatever its {@code Retry-After}) unless it may be. Default 408,
     * 502, 503, 504.
     *
     * @param codes status codes in 100..599; none turns status retries off
     * @return this builder
     * @throws IllegalArgumentException if a code is outside 100..599
     */
    public Builder retryStatuses(int... codes) {
      for (int code : codes) {
        Options.statusCode(code, "retry status");
      }
      this.retryStatuses = statusTable(codes);
      return this;
    }

    /**
     * Sets the wait before each retry. Default: lb-core's {@link RetryPolicy} default, full jitter
     * with a 25 ms base and a 250 ms cap; {@link Backoff#none()} retries at once.
     *
     * @param backoff the backoff; must not be null
     * @return this builder
     * @throws NullPointerException if {@code backoff} is null
     */
    public Builder backoff(Backoff backoff) {
      this.backoff = Options.notNull(backoff, "backoff");
      return this;
    }

    /**
     * Sets the budget that retries draw from. By default each service gets a budget of its own with
     * Finagle's defaults on this builder's {@link #ticker}; give several services one budget to
     * bound a whole client's retries together, or {@link RetryBudget#unlimited()} to rely on {@link
     * #maxAttempts} alone.
     *
     * @param budget the budget; must not be null
     * @return this builder
     * @throws NullPointerException if {@code budget} is null
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = Options.notNull(budget, "retry budget");
      return this;
    }

    /**
     * Makes the balancer that {@link #endpoints} builds keep sticky sessions: a key's first call is
     * placed by the named strategy and the key then sticks to that endpoint, remembered in a
     * Caffeine-backed table ({@link StickTables#caffeine}) on this builder's {@link #ticker}, until
     * the endpoint leaves, is ejected or otherwise cannot take calls, or the key is idle for {@code
     * idleExpiry}; then it is placed again and sticks to its new endpoint. This is lb-core's {@link
     * HashStrategies#sticky(Strategy, dev.lb.hash.StickTable)}; a failed-over retry re-sticks the
     * key too. Needs a {@link #keyExtractor}. For balancers built elsewhere, build them with {@code
     * HashStrategies.sticky(placement, StickTables.caffeine(...))}.
     *
     * @param maximumSize the most keys to remember; rarely and not recently used ones are evicted
     *     first
     * @param idleExpiry how long a key is remembered after its last use; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code maximumSize} is not positive or {@code idleExpiry}
     *     is not positive
     */
    public Builder stickTable(long maximumSize, Duration idleExpiry) {
      if (maximumSize <= 0) {
        throw new IllegalArgumentException(
            "stick table maximum size must be positive but was " + maximumSize);
      }
      this.stickTableIdleNanos = Options.positiveNanos(idleExpiry, "stick table idle expiry");
      this.stickTableSize = maximumSize;
      return this;
    }

    /**
     * Sets the clock of the default retry budget, the stick table and the balancer that {@link
     * #endpoints} builds. The system ticker by default; tests pass a fake one. Attempt latencies
     * are timed with each balancer's own ticker.
     *
     * @param ticker the clock; must not be null
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Options.notNull(ticker, "ticker");
      return this;
    }

    /**
     * Hedges idempotent requests (and requests carrying the {@link #idempotencyKeyHeader
     * idempotency key}) as {@code policy} says: a second attempt on another endpoint when the first
     * has not answered within the hedge delay; the first response wins, the others are cancelled.
     * Off by default. Needs a client made by {@link LoadBalancingInterceptor#newClient}; see {@link
     * HedgingPolicy} for what is hedged and the budget that bounds the extra load.
     *
     * @param policy the hedging policy; must not be null
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder hedging(HedgingPolicy policy) {
      this.hedgingPolicy = Options.notNull(policy, "hedging policy");
      return this;
    }

    /** Replaces the real backoff wait; for tests, which record waits instead of sleeping. */
    Builder sleeper(Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    /**
     * Returns the service.
     *
     * @return a new service with the settings of this builder
     * @throws IllegalArgumentException if no default target was set, or a stick table is configured
     *     without a key extractor or without {@link #endpoints} to build its balancer
     */
    public Service build() {
      if (stickyCookie != null) {
        if (stickTableSize == 0) {
          throw new IllegalArgumentException(
              "service '"
                  + host
                  + "' has a sticky cookie '"
                  + stickyCookie
                  + "' but no stick table");
        }
        if (!hasKeyExtractor) {
          keyExtractor = KeyExtractor.cookie(stickyCookie);
          hasKeyExtractor = true;
        }
      }
      if (stickTableSize > 0) {
        if (!hasKeyExtractor) {
          throw new IllegalArgumentException(
              "service '" + host + "' has a stick table but no key extractor");
        }
        if (endpointsStrategy == null) {
          throw new IllegalArgumentException(
              "service '"
                  + host
                  + "' has a stick table, which applies to the balancer that endpoints(...)"
                  + " builds, but its default target was set otherwise; build that balancer with"
                  + " HashStrategies.sticky(placement, StickTables.caffeine(...)) instead");
        }
      }
      TrafficSplit target = defaultTarget;
      Strategy strategy = endpointsStrategy;
      StickTable table = null;
      if (strategy != null) {
        if (stickTableSize > 0) {
          table = new CaffeineStickTable(stickTableSize, stickTableIdleNanos, ticker);
          strategy = HashStrategies.sticky(strategy, table);
        }
        target =
            TrafficSplit.of(
                LoadBalancer.builder()
                    .name(host)
                    .strategy(strategy)
                    .ticker(ticker)
                    .endpoints(endpoints)
                    .build());
      }
      if (target == null) {
        throw new IllegalArgumentException(
            "service '"
                + host
                + "' needs a default target for requests that match no route"
                + " (defaultTarget or endpoints)");
      }
      RetryPolicy.Builder policy =
          RetryPolicy.builder()
              .maxAttempts(maxAttempts)
              .retryNonIdempotent(retryNonIdempotent)
              .budget(
                  retryBudget != null ? retryBudget : RetryBudget.builder().ticker(ticker).build());
      if (backoff != null) {
        policy.backoff(backoff);
      }
      return new Service(this, target, policy.build(), table);
    }

    private static boolean[] statusTable(int... codes) {
      boolean[] table = new boolean[600];
      for (int code : codes) {
        table[code] = true;
      }
      return table;
    }
  }
}
