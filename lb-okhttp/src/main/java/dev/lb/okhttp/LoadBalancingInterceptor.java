package dev.lb.okhttp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import java.io.IOException;
import java.net.UnknownServiceException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp application interceptor that balances requests for logical service hosts over lb-core
 * {@link LoadBalancer}s: for a request to {@code http://users/profile}, it routes to an endpoint
 * group ({@link Route}, {@link TrafficSplit}), picks an endpoint per attempt, rewrites the URL's
 * scheme, host and port to that endpoint, proceeds, and reports the attempt's outcome on its {@link
 * dev.lb.Lease}. Requests to hosts that are not configured pass through untouched.
 *
 * <pre>{@code
 * LoadBalancingInterceptor lb = LoadBalancingInterceptor.builder()
 *     .service(Service.of("users", usersBalancer))
 *     .build();
 * OkHttpClient client = lb.newClient();        // or: new OkHttpClient.Builder()
 *                                              //   .addInterceptor(lb)
 *                                              //   .addNetworkInterceptor(lb.networkInterceptor())
 * client.newCall(new Request.Builder().url("http://users/profile").build()).execute();
 * }</pre>
 *
 * <h2>Attempts and retries</h2>
 *
 * <p>Each attempt is its own lease on its own endpoint; a retry goes to an endpoint this call has
 * not tried yet (through {@link dev.lb.PickContext#excludedIds()}), and when none is left the last
 * outcome stands. lb decides every retry: OkHttp's own re-sends are off for balanced calls ({@code
 * retryOnConnectionFailure} is turned off on every attempt, and the request body tells OkHttp it
 * cannot be re-sent unless lb's rules allow a re-send). Whether to retry is lb-core's {@link
 * dev.lb.retry.RetryPolicy}, the service's {@link Service#retryPolicy()}: a failure before the
 * request was sent (refused connection, TLS handshake failure, HTTP/2 {@code REFUSED_STREAM}) moves
 * on for any method; timeouts, lost answers and 408/502/503/504 responses move on only for
 * idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS, TRACE), requests carrying the service's
 * {@link Service.Builder#idempotencyKeyHeader idempotency key}, or every method with {@link
 * Service.Builder#retryNonIdempotent}. Every retry must fit {@link Service.Builder#maxAttempts} and
 * the service's {@link dev.lb.retry.RetryBudget}, and waits the policy's {@link
 * dev.lb.retry.Backoff} first. {@link Service} has the table. A one-shot request body is never sent
 * twice. When no retry is allowed the last outcome is the call's: the error is thrown, carrying the
 * earlier attempts' failures as {@linkplain Throwable#getSuppressed() suppressed} exceptions, or
 * the last response (a 503, say) returned. A cancelled call stops at once, during an attempt or its
 * backoff, and reports its lease as cancelled.
 *
 * <p><b>When retries stop.</b> Retries end when a response is handed to the caller. A small body
 * ({@link Service.Builder#responseBufferLimit}, 64 KiB by default) of a request lb may re-send is
 * read inside its attempt first, so a reset or a truncated body fails over; a larger body, a body
 * of unknown length, or any body of a request lb may not re-send is streamed to the caller, and an
 * error while reading it reaches the caller unretried.
 *
 * <h2>Hedged requests</h2>
 *
 * <p>A service with a {@link Service.Builder#hedging hedging policy} sends an idempotent request
 * again to an endpoint no sibling attempt uses when it has not answered within the hedge delay; the
 * first response wins and the others are cancelled (see {@link HedgingPolicy}). Hedging needs a
 * client made by {@link #newClient}: each hedge runs as a call of a hedge client that {@code
 * newClient} makes beside it, so that attempts can run at once and a losing one can be cancelled
 * alone. The first attempt runs on the caller's own call, so a hedge that never fires adds no call,
 * over HTTP/1 and HTTP/2 alike; a hedge that wins ends it alone (an HTTP/2 stream reset, an HTTP/1
 * socket closed before its headers). Only where OkHttp's exchanges cannot be reached (on the module
 * path without {@code --add-exports okhttp3/okhttp3.internal.http=dev.lb.okhttp} and {@code
 * --add-exports okhttp3/okhttp3.internal.connection=dev.lb.okhttp}) is the first attempt of a call
 * that may meet HTTP/2 a call of the hedge client too. On a client assembled by hand, calls are not
 * hedged and a warning is logged once.
 *
 * <h2>What a lease is told</h2>
 *
 * <p>Each attempt owns its lease and reports it exactly once. Latency is the time from sending the
 * attempt to receiving its response headers, read from the balancer's {@link LoadBalancer#ticker()
 * ticker}. A response the {@link FailureClassifier} calls a failure (5xx by default) is reported at
 * once. A successful response is reported when its body is exhausted or closed (when it was
 * buffered, before it is returned), with the number of body bytes read, so the endpoint counts the
 * call in flight while the body streams; an empty body is reported at once. Close every response,
 * as OkHttp requires anyway: a body never closed leaves its call counted in flight forever.
 *
 * <h2>Its place in OkHttp's chain</h2>
 *
 * <p>Add it as an <em>application</em> interceptor ({@link OkHttpClient.Builder#addInterceptor}),
 * never as a network interceptor: it must see each call once, before OkHttp resolves the host, and
 * call {@code proceed} several times for retries, which only application interceptors may do. Its
 * {@link #networkInterceptor() network half} goes among the network interceptors. Each attempt's
 * request is tagged with its {@link dev.lb.Endpoint} ({@code request.tag(Endpoint.class)}) and with
 * an {@link AttemptInfo} (the endpoint and the attempt number), for network interceptors, {@link
 * okhttp3.EventListener}s and tracing that want to know the backend and the attempt.
 *
 * <p>Thread-safe; one instance serves every call of a client.
 */
public final class LoadBalancingInterceptor implements Interceptor {
  private final Map<String, Service> services;
  private final RandomGenerator random;

  /** The default {@link Builder#maxRequestsPerEndpoint}. */
  public static final int DEFAULT_MAX_REQUESTS_PER_ENDPOINT = 32;

  /** The least per-service cap the default gives, however few endpoints there are. */
  public static final int MIN_MAX_REQUESTS_PER_SERVICE = 64;

  /** The default {@link Builder#idleConnectionsPerEndpoint}. */
  public static final int DEFAULT_IDLE_CONNECTIONS_PER_ENDPOINT = 5;

  private final int maxRequestsPerEndpoint;
  private final int maxRequestsPerService;
  private final int idleConnectionsPerEndpoint;
  private final boolean passThroughUnknownHosts;
  private final Set<String> passThroughHosts;

  /**
   * The hedge clients of the clients {@link #newClient} made, by their connection pool, the one
   * thing of a client an interceptor's chain shows; both sides weak, see {@link HedgeClientAnchor}.
   */
  private final Cache<ConnectionPool, HedgeClient> hedgeClients =
      Caffeine.newBuilder().weakKeys().weakValues().build();

  /**
   * The last hedge client found, both sides weak as in {@link #hedgeClients}: nearly every
   * application has one client per interceptor, and this makes its lookup two reads instead of a
   * cache lookup that allocates per call.
   */
  private volatile @Nullable LastHedgeClient lastHedgeClient;

  /** A pool and its hedge client, held weakly. */
  private static final class LastHedgeClient {
    final java.lang.ref.WeakReference<ConnectionPool> pool;
    final java.lang.ref.WeakReference<HedgeClient> hedge;

    LastHedgeClient(ConnectionPool pool, HedgeClient hedge) {
      this.pool = new java.lang.ref.WeakReference<>(pool);
      this.hedge = new java.lang.ref.WeakReference<>(hedge);
    }
  }

  /**
   * A client that runs hedged calls' attempts, with what its protocols allow, computed once:
   * whether it may speak HTTP/2 over TLS, and whether it speaks prior-knowledge HTTP/2.
   */
  static final class HedgeClient {
    final OkHttpClient client;
    final boolean http2;
    final boolean priorKnowledge;

    HedgeClient(OkHttpClient client) {
      this.client = client;
      this.http2 = client.protocols().contains(okhttp3.Protocol.HTTP_2);
      this.priorKnowledge = client.protocols().contains(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE);
    }
  }

  @SuppressWarnings("ReferenceEquality") // a pool is found by identity, as the cache's weak keys
  private @Nullable HedgeClient hedgeClient(ConnectionPool pool) {
    LastHedgeClient last = lastHedgeClient;
    if (last != null && last.pool.get() == pool) {
      HedgeClient h = last.hedge.get();
      if (h != null) {
        return h;
      }
    }
    HedgeClient h = hedgeClients.getIfPresent(pool);
    if (h != null) {
      lastHedgeClient = new LastHedgeClient(pool, h);
    }
    return h;
  }

  private volatile boolean warnedNoHedgeClient;

  private LoadBalancingInterceptor(Builder builder) {
    this.services = Map.copyOf(builder.services);
    this.random = builder.random;
    this.maxRequestsPerEndpoint = builder.maxRequestsPerEndpoint;
    this.maxRequestsPerService = builder.maxRequestsPerService;
    this.idleConnectionsPerEndpoint = builder.idleConnectionsPerEndpoint;
    this.passThroughUnknownHosts = builder.passThroughUnknownHosts;
    this.passThroughHosts = Set.copyOf(builder.passThroughHosts);
  }

  /** The endpoints of the service's largest group now, the unit the defaults are sized in. */
  private int largestEndpointCount() {
    int most = 1;
    for (Service s : services.values()) {
      int sum = 0;
      for (LoadBalancer b : s.balancers()) {
        sum += b.endpoints().size();
      }
      most = Math.max(most, sum);
    }
    return most;
  }

  /**
   * How many asynchronous calls to one service {@link #newClient} lets run at once: the {@link
   * Builder#maxRequestsPerService} given, or else {@link Builder#maxRequestsPerEndpoint} times the
   * endpoints of the largest service when the client is made, and at least {@value
   * #MIN_MAX_REQUESTS_PER_SERVICE}.
   *
   * @return the per-service cap of asynchronous calls
   */
  public int maxRequestsPerService() {
    if (maxRequestsPerService > 0) {
      return maxRequestsPerService;
    }
    long cap = (long) maxRequestsPerEndpoint * largestEndpointCount();
    return (int) Math.max(MIN_MAX_REQUESTS_PER_SERVICE, Math.min(Integer.MAX_VALUE, cap));
  }

  /**
   * Returns a builder with no services.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The services this interceptor balances, by logical host.
   *
   * @return an immutable map from lower-case host to service
   */
  public Map<String, Service> services() {
    return services;
  }

  /**
   * Returns a new client with default settings, this interceptor, its network half, a dispatcher
   * sized for the services and a connection pool sized for their endpoints: {@link
   * Builder#idleConnectionsPerEndpoint} idle connections kept per endpoint (5 minutes each, as
   * OkHttp's default pool), where OkHttp's default keeps 5 in all.
   *
   * @return a new {@link OkHttpClient} (a {@link Call.Factory}) that balances the configured
   *     services
   */
  public OkHttpClient newClient() {
    int endpoints = 0;
    for (Service s : services.values()) {
      for (LoadBalancer b : s.balancers()) {
        endpoints += b.endpoints().size();
      }
    }
    long idle = (long) idleConnectionsPerEndpoint * Math.max(1, endpoints);
    return newClient(
        new OkHttpClient.Builder()
            .connectionPool(
                new ConnectionPool((int) Math.min(Integer.MAX_VALUE, idle), 5, TimeUnit.MINUTES))
            .build());
  }

  /**
   * Returns a client that shares {@code base}'s settings, connection pool and threads, with this
   * interceptor added after its application interceptors and its {@link #networkInterceptor()
   * network half} after its network interceptors.
   *
   * <p>Asynchronous calls ({@link Call#enqueue}) go through a dispatcher of its own on {@code
   * base}'s executor: OkHttp limits asynchronous calls per host, and for a balanced call the host
   * is the logical service, so the default of 5 would cap a whole service of any size at 5 calls in
   * flight. This dispatcher lets {@link #maxRequestsPerService()} run per service, and {@code
   * base}'s {@link Dispatcher#getMaxRequests() total} plus that many per service in all.
   * Synchronous calls ({@link Call#execute}) are not limited by a dispatcher.
   *
   * @param base the client to derive from; not modified
   * @return a new client that balances the configured services
   * @throws NullPointerException if {@code base} is null
   */
  public OkHttpClient newClient(OkHttpClient base) {
    Objects.requireNonNull(base, "base");
    int perService = maxRequestsPerService();
    Dispatcher dispatcher = new Dispatcher(base.dispatcher().executorService());
    dispatcher.setMaxRequestsPerHost(
        Math.max(perService, base.dispatcher().getMaxRequestsPerHost()));
    long total = base.dispatcher().getMaxRequests() + (long) perService * services.size();
    dispatcher.setMaxRequests((int) Math.min(Integer.MAX_VALUE, total));
    OkHttpClient.Builder b =
        base.newBuilder()
            .dispatcher(dispatcher)
            .addInterceptor(this)
            .addNetworkInterceptor(networkInterceptor());
    HedgeClientAnchor anchor = null;
    for (Service s : services.values()) {
      if (s.hedging() != null) {
        anchor = new HedgeClientAnchor();
        b.addNetworkInterceptor(anchor);
        break;
      }
    }
    OkHttpClient built = b.build();
    if (anchor != null) {
      registerHedgeClient(built, anchor);
    }
    return built;
  }

  /**
   * The interceptor's network half, which {@link #newClient} installs; add it with {@link
   * OkHttpClient.Builder#addNetworkInterceptor} when adding this interceptor by hand. It binds each
   * attempt to its connection, so that {@link Service.Builder#attemptTimeout} can end an HTTP/1
   * attempt that is still sending or waiting for headers, and it hides a 503's {@code Retry-After}
   * from OkHttp's own follow-up, so that OkHttp never repeats a GET on its own (the caller still
   * sees the header). Without it, an attempt's wait for headers is bounded by the idle timeouts
   * only, and OkHttp may repeat a bodiless request once on a 503 with {@code Retry-After: 0}.
   * Requests that are not balanced pass through it untouched.
   *
   * @return the shared, stateless network interceptor
   */
  public Interceptor networkInterceptor() {
    return AttemptGuard.INSTANCE;
  }

  /**
   * Balances the request if its host is a configured service; passes it on untouched otherwise,
   * unless {@link Builder#passThroughUnknownHosts(boolean) unknown hosts are refused}.
   *
   * @param chain the application interceptor chain
   * @return the response of the last attempt
   * @throws IOException if the last attempt failed with one, if no endpoint was available (its
   *     cause a {@link dev.lb.NoEndpointAvailableException}), or if the call was cancelled
   * @throws UnknownServiceException if unknown hosts are refused and the request's host is neither
   *     a service nor a {@link Builder#passThroughHost pass-through host}; nothing was sent
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    HedgedCall.Slot slot = request.tag(HedgedCall.Slot.class);
    if (slot != null) {
      return slot.proceed(chain); // one attempt of a hedged call, on the hedge client
    }
    String host = request.url().host();
    Service service = services.get(host);
    if (service == null) {
      if (!passThroughUnknownHosts && !passThroughHosts.contains(host)) {
        throw unknownHost(host);
      }
      return chain.proceed(request);
    }
    return balance(service, chain, request);
  }

  private UnknownServiceException unknownHost(String host) {
    String nearest = null;
    int best = 3; // a suggestion only for a slip of one or two characters
    for (String name : services.keySet()) {
      int d = editDistance(host, name);
      if (d < best) {
        best = d;
        nearest = name;
      }
    }
    return new UnknownServiceException(
        "no lb service has the host '"
            + host
            + "'"
            + (nearest == null ? "" : " (did you mean '" + nearest + "'?)")
            + "; the services are "
            + new TreeSet<>(services.keySet())
            + ", and unknown hosts are refused: add it with passThroughHost(\""
            + host
            + "\") to send it past lb. Nothing was sent.");
  }

  /** Levenshtein distance, for short host names only (the services' hosts). */
  private static int editDistance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64 || b.length() > 64) {
      return Integer.MAX_VALUE;
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }

  private Response balance(Service service, Chain chain, Request original) throws IOException {
    String key =
        service
            .keyExtractor()
            .extract(withJarCookies(original, chain.getCookieJar(), service.scheme()));
    LoadBalancer balancer = service.targetFor(original).choose(key, random);
    PickContext context = BalancedCall.context(key);
    Hedging hedging = service.hedging();
    if (hedging != null
        && balancer.endpoints().size() > 1
        && Hedging.hedgeable(service, original)) {
      HedgeClient hedgeClient = hedgeClient(chain.getConnectionPool());
      if (hedgeClient != null) {
        if (HedgedCall.inlineFirst(service, original, hedgeClient)) {
          // The first attempt on the caller's chain; a hedged call only if it comes to one.
          return HedgeableCall.execute(
              service,
              hedging,
              configure(chain, service),
              original,
              balancer,
              context,
              hedgeClient);
        }
        return new HedgedCall(service, hedging, chain, original, balancer, context, hedgeClient)
            .execute();
      }
      warnNoHedgeClient();
    }
    return new BalancedCall(service, configure(chain, service), original, balancer, context)
        .execute();
  }

  private void warnNoHedgeClient() {
    if (!warnedNoHedgeClient) {
      warnedNoHedgeClient = true;
      org.slf4j.LoggerFactory.getLogger(LoadBalancingInterceptor.class)
          .warn(
              "a service has hedging, but this call's client was not made by"
                  + " LoadBalancingInterceptor.newClient(...): its calls are not hedged");
    }
  }

  /**
   * Makes the client that runs a hedged call's attempts beside {@code built}: the same settings,
   * pool, dispatcher and network interceptors, with this interceptor as its only application
   * interceptor, no OkHttp re-sends, and no call timeout of its own (each attempt gets the time its
   * caller's call has left). {@code anchor}, among {@code built}'s network interceptors, keeps it
   * reachable exactly as long as {@code built}.
   */
  private void registerHedgeClient(OkHttpClient built, HedgeClientAnchor anchor) {
    OkHttpClient.Builder b = built.newBuilder();
    b.interceptors().clear();
    OkHttpClient hedgeClient =
        b.addInterceptor(this)
            .retryOnConnectionFailure(false)
            .callTimeout(java.time.Duration.ZERO)
            .build();
    HedgeClient h = new HedgeClient(hedgeClient);
    anchor.client = h;
    hedgeClients.put(built.connectionPool(), h);
  }

  /**
   * A network interceptor that does nothing but hold the hedge client of the client it sits in, so
   * that the weakly held entry of {@link #hedgeClients} lives as long as that client.
   */
  private static final class HedgeClientAnchor implements Interceptor {
    // Never read: holding it is the point (a strong reference from the user's client).
    @SuppressWarnings("UnusedVariable")
    volatile @Nullable HedgeClient client;

    @Override
    public Response intercept(Chain chain) throws IOException {
      return chain.proceed(chain.request());
    }

    @Override
    public String toString() {
      return "LoadBalancingInterceptor.hedgeClientAnchor";
    }
  }

  /**
   * The request as a key extractor should see it: with the cookies the client's jar holds for its
   * logical URL, which OkHttp only adds later, below the application interceptors. The request sent
   * is not changed: OkHttp adds the same cookies itself.
   */
  @SuppressWarnings("ReferenceEquality") // CookieJar.NO_COOKIES is a singleton sentinel
  static Request withJarCookies(Request request, CookieJar jar, @Nullable String wireScheme) {
    if (jar == CookieJar.NO_COOKIES) {
      return request;
    }
    // Asked with the scheme the attempts use, so that Secure cookies of an https service count.
    okhttp3.HttpUrl url =
        wireScheme == null ? request.url() : request.url().newBuilder().scheme(wireScheme).build();
    List<Cookie> cookies = jar.loadForRequest(url);
    if (cookies.isEmpty()) {
      return request;
    }
    StringBuilder header = new StringBuilder();
    String existing = request.header("Cookie");
    if (existing != null) {
      header.append(existing);
    }
    for (Cookie c : cookies) {
      header
          .append(header.length() == 0 ? "" : "; ")
          .append(c.name())
          .append('=')
          .append(c.value());
    }
    return request.newBuilder().header("Cookie", header.toString()).build();
  }

  /** The chain every attempt of the service starts from: TLS name checks and SNI. */
  static Chain configure(Chain chain, Service service) {
    Chain c = chain;
    String tlsName = service.tlsHostname();
    if (tlsName != null) {
      c = c.withHostnameVerifier(new ServiceNameVerifier(tlsName, chain.getHostnameVerifier()));
      SSLSocketFactory tls = chain.getSslSocketFactoryOrNull();
      X509TrustManager trust = chain.getX509TrustManagerOrNull();
      if (tls != null && trust != null && SniSocketFactory.isSniName(tlsName)) {
        c = c.withSslSocketFactory(new SniSocketFactory(tls, tlsName), trust);
      }
    }
    return c;
  }

  @Override
  public String toString() {
    return "LoadBalancingInterceptor" + services.keySet();
  }

  /** Builds a {@link LoadBalancingInterceptor}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Service> services = new LinkedHashMap<>();
    private RandomGenerator random = ThreadLocalRandom.current();
    private int maxRequestsPerEndpoint = DEFAULT_MAX_REQUESTS_PER_ENDPOINT;
    private int maxRequestsPerService;
    private int idleConnectionsPerEndpoint = DEFAULT_IDLE_CONNECTIONS_PER_ENDPOINT;
    private boolean passThroughUnknownHosts = true;
    private final Set<String> passThroughHosts = new LinkedHashSet<>();

    private Builder() {}

    /**
     * Whether a request whose host is not a service goes on untouched (the default, {@code true})
     * or fails at once with an {@link UnknownServiceException} (strict mode, {@code false}). In
     * strict mode a mistyped logical host ({@code http://shopp/}) is an error that names the
     * services and the nearest one, instead of a lookup of {@code shopp} in real DNS; the hosts
     * that should still pass are listed with {@link #passThroughHost}.
     *
     * @param passThrough {@code false} to refuse requests to hosts that are not services
     * @return this builder
     */
    public Builder passThroughUnknownHosts(boolean passThrough) {
      this.passThroughUnknownHosts = passThrough;
      return this;
    }

    /**
     * Lets requests to {@code host} pass untouched in strict mode ({@link
     * #passThroughUnknownHosts(boolean) passThroughUnknownHosts(false)}); without strict mode every
     * unknown host passes and this list does not matter.
     *
     * @param host a host name or IP literal as it appears in request URLs, in any case
     * @return this builder
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalArgumentException if {@code host} is blank; {@link #build()} fails if it is
     *     also a service's host
     */
    public Builder passThroughHost(String host) {
      String h = Options.notNull(host, "host").trim().toLowerCase(Locale.ROOT);
      if (h.isEmpty()) {
        throw new IllegalArgumentException(
            "pass-through host must not be blank but was '" + host + "'");
      }
      if (h.startsWith("[") && h.endsWith("]")) {
        h = h.substring(1, h.length() - 1); // OkHttp's HttpUrl.host() has IPv6 without brackets
      }
      passThroughHosts.add(h);
      return this;
    }

    /**
     * Sizes the default cap of asynchronous calls per service: this many per endpoint of the
     * largest service when {@link #newClient} is called, at least {@value
     * #MIN_MAX_REQUESTS_PER_SERVICE}. Default {@value #DEFAULT_MAX_REQUESTS_PER_ENDPOINT}.
     *
     * @param max positive
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is not positive
     */
    public Builder maxRequestsPerEndpoint(int max) {
      this.maxRequestsPerEndpoint = Options.positive(max, "max requests per endpoint");
      return this;
    }

    /**
     * Sets the cap of asynchronous calls in flight per service outright, instead of sizing it by
     * endpoints ({@link #maxRequestsPerEndpoint}). OkHttp's dispatcher has one per-host limit, so
     * the cap is the same for every service of the interceptor.
     *
     * @param max positive
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is not positive
     */
    public Builder maxRequestsPerService(int max) {
      this.maxRequestsPerService = Options.positive(max, "max requests per service");
      return this;
    }

    /**
     * Sets how many idle connections the pool of {@link #newClient()} keeps per endpoint of all
     * services (the pool is sized when the client is made). Default {@value
     * #DEFAULT_IDLE_CONNECTIONS_PER_ENDPOINT}. {@link #newClient(OkHttpClient)} keeps its base's
     * pool.
     *
     * @param idle 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code idle} is negative
     */
    public Builder idleConnectionsPerEndpoint(int idle) {
      if (idle < 0) {
        throw new IllegalArgumentException(
            "idle connections per endpoint must be 0 or more but was " + idle);
      }
      this.idleConnectionsPerEndpoint = idle;
      return this;
    }

    /**
     * Adds a service, reached through its {@link Service#host() host}.
     *
     * @param service the service; must not be null
     * @return this builder
     * @throws NullPointerException if {@code service} is null
     * @throws IllegalArgumentException if its host is already taken
     */
    public Builder service(Service service) {
      Service s = Options.notNull(service, "service");
      if (services.putIfAbsent(s.host(), s) != null) {
        throw new IllegalArgumentException(
            "service hosts must be distinct but '" + s.host() + "' repeats");
      }
      return this;
    }

    /**
     * Adds a service that sends every request for {@code host} to {@code balancer}, with default
     * options.
     *
     * @param host the logical host, such as {@code users}; must not be null or blank
     * @param balancer the service's balancer; must not be null
     * @return this builder
     * @throws IllegalArgumentException as {@link Service#of} and {@link #service(Service)}
     */
    public Builder service(String host, LoadBalancer balancer) {
      return service(Service.of(host, balancer));
    }

    /**
     * Sets the random source that assigns calls without an affinity key to traffic-split arms.
     * Defaults to {@link ThreadLocalRandom}; tests pass a seeded generator.
     *
     * @param random the random source, which must be thread-safe; must not be null
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder random(RandomGenerator random) {
      this.random = Options.notNull(random, "random");
      return this;
    }

    /**
     * Returns the interceptor.
     *
     * @return a new interceptor for the services added
     * @throws IllegalArgumentException if no service was added
     */
    public LoadBalancingInterceptor build() {
      if (services.isEmpty()) {
        throw new IllegalArgumentException(
            "a load-balancing interceptor needs a service but has none");
      }
      for (String host : passThroughHosts) {
        if (services.containsKey(host)) {
          throw new IllegalArgumentException(
              "pass-through host '"
                  + host
                  + "' is also a service's host: it is balanced, never passed");
        }
      }
      return new LoadBalancingInterceptor(this);
    }
  }
}
