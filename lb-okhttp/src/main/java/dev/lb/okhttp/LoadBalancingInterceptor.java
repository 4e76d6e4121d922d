package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.NoEndpointAvailableException;
import dev.lb.PickContext;
import dev.lb.Ticker;
import dev.lb.retry.FailureKind;
import dev.lb.retry.RetryCall;
import dev.lb.retry.RetryDecision;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OkHttp application interceptor that balances requests for logical service hosts over lb-core
 * {@link LoadBalancer}s: for a request to {@code http://users/profile}, it routes to an endpoint
 * group ({@link Route}, {@link TrafficSplit}), picks an endpoint per attempt, rewrites the URL's
 * scheme, host and port to that endpoint, proceeds, and reports the attempt's outcome on its {@link
 * Lease}. Requests to hosts that are not configured pass through untouched.
 *
 * <pre>{@code
 * LoadBalancingInterceptor lb = LoadBalancingInterceptor.builder()
 *     .service(Service.of("users", usersBalancer))
 *     .build();
 * OkHttpClient client = lb.newClient();        // or: new OkHttpClient.Builder().addInterceptor(lb)
 * client.newCall(new Request.Builder().url("http://users/profile").build()).execute();
 * }</pre>
 *
 * <h2>Attempts and retries</h2>
 *
 * <p>Each attempt is its own lease on its own endpoint; a retry goes to an endpoint this call has
 * not tried yet (through {@link PickContext#excludedIds()}), and when none is left the last outcome
 * stands. Whether to retry is lb-core's {@link dev.lb.retry.RetryPolicy}, the service's {@link
 * Service#retryPolicy()}: a failure before the request was sent (refused connection, TLS handshake
 * failure, HTTP/2 {@code REFUSED_STREAM}) moves on for any method; timeouts, lost answers and
 * 502/503/504 responses move on only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS,
 * TRACE) unless {@link Service.Builder#retryNonIdempotent} is set; every retry must fit {@link
 * Service.Builder#maxAttempts} and the service's {@link dev.lb.retry.RetryBudget}, and waits the
 * policy's {@link dev.lb.retry.Backoff} first. {@link Service} has the mapping table. A one-shot
 * request body is never sent twice. When no retry is allowed the last outcome is the call's: the
 * error is thrown, or the last response (a 503, say) returned. A cancelled call stops at once,
 * during an attempt or its backoff, and reports its lease as cancelled.
 *
 * <h2>What a lease is told</h2>
 *
 * <p>Latency is the time from sending the attempt to receiving its response headers, read from the
 * balancer's {@link LoadBalancer#ticker() ticker}. A response the {@link FailureClassifier} calls a
 * failure (5xx by default) is reported at once. A successful response is reported when its body is
 * exhausted or closed, with the number of body bytes read, so the endpoint counts the call in
 * flight while the body streams; an empty body is reported at once. Close every response, as OkHttp
 * requires anyway: a body never closed leaves its call counted in flight forever.
 *
 * <h2>Its place in OkHttp's chain</h2>
 *
 * <p>Add it as an <em>application</em> interceptor ({@link OkHttpClient.Builder#addInterceptor}),
 * never as a network interceptor: it must see each call once, before OkHttp resolves the host, and
 * call {@code proceed} several times for retries, which only application interceptors may do. A
 * network interceptor runs after a connection to the logical host was chosen, far too late to
 * choose the endpoint.
 *
 * <p>Thread-safe; one instance serves every call of a client.
 */
public final class LoadBalancingInterceptor implements Interceptor {
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancingInterceptor.class);
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

  private final Map<String, Service> services;
  private final RandomGenerator random;

  private LoadBalancingInterceptor(Builder builder) {
    this.services = Map.copyOf(builder.services);
    this.random = builder.random;
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
   * Returns a new client with default settings and this interceptor.
   *
   * @return a new {@link OkHttpClient} (a {@link Call.Factory}) that balances the configured
   *     services
   */
  public OkHttpClient newClient() {
    return newClient(new OkHttpClient());
  }

  /**
   * Returns a client that shares {@code base}'s settings, connection pool and dispatcher, with this
   * interceptor added after its application interceptors.
   *
   * @param base the client to derive from; not modified
   * @return a new client that balances the configured services
   * @throws IllegalArgumentException if {@code base} is null
   */
  public OkHttpClient newClient(@Nullable OkHttpClient base) {
    return Options.notNull(base, "base client").newBuilder().addInterceptor(this).build();
  }

  /**
   * Balances the request if its host is a configured service; passes it on untouched otherwise.
   *
   * @param chain the application interceptor chain
   * @return the response of the last attempt
   * @throws IOException if the last attempt failed with one, if no endpoint was available (its
   *     cause a {@link NoEndpointAvailableException}), or if the call was cancelled
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Service service = services.get(request.url().host());
    if (service == null) {
      return chain.proceed(request);
    }
    return balance(service, chain, request);
  }

  private Response balance(Service service, Chain chain, Request original) throws IOException {
    Call call = chain.call();
    String key = service.keyExtractor().extract(original);
    LoadBalancer balancer = service.targetFor(original).choose(key, random);
    PickContext context = key == null ? PickContext.none() : PickContext.ofKey(key);
    RequestBody body = original.body();
    TrackingRequestBody tracked = body == null ? null : new TrackingRequestBody(body);
    RetryCall retry = service.retryPolicy().newCall(isIdempotent(original.method()));
    FailureClassifier classifier = service.failureClassifier();
    Chain attemptChain = configure(chain, service);
    Ticker ticker = balancer.ticker();
    Lease lease = pick(balancer, context, service);
    while (true) {
      Endpoint endpoint = lease.endpoint();
      retry.onAttempt(endpoint.id());
      int attempt = retry.attempts();
      long start = ticker.read();
      Response response;
      try {
        response = attemptChain.proceed(rewrite(original, endpoint, service, tracked));
      } catch (IOException e) {
        long latency = ticker.read() - start;
        if (call.isCanceled()) {
          lease.onCancel();
          logAttempt(service, attempt, original, endpoint, "cancelled", latency);
          throw e;
        }
        if (classifier.isFailure(e)) {
          lease.onFailure(latency, e);
        } else {
          lease.onCancel();
        }
        Verdict verdict = decide(retry, IoErrors.retryKind(e), tracked, balancer);
        Lease next = nextAttempt(verdict, balancer, retry, context, call, service);
        logAttempt(
            service,
            attempt,
            original,
            endpoint,
            e.getClass().getSimpleName() + ": " + e.getMessage() + ", " + verdict.text(next),
            latency);
        if (next == null) {
          throwIfCanceled(call);
          throw e;
        }
        lease = next;
        continue;
      } catch (RuntimeException | Error e) {
        lease.onFailure(ticker.read() - start, e);
        throw e;
      }
      long latency = ticker.read() - start;
      int code = response.code();
      boolean failure = classifier.isFailure(response);
      if (failure) {
        lease.onFailure(latency, new StatusFailure(code, endpoint.address()));
      }
      if (service.isRetryableStatus(code)) {
        Verdict verdict = decide(retry, FailureKind.UNAVAILABLE, tracked, balancer);
        Lease next = nextAttempt(verdict, balancer, retry, context, call, service);
        logAttempt(
            service,
            attempt,
            original,
            endpoint,
            "HTTP " + code + ", " + verdict.text(next),
            latency);
        if (next != null) {
          lease.onSuccess(latency); // ignored if reported as a failure above
          response.close();
          lease = next;
          continue;
        }
        if (call.isCanceled()) {
          response.close();
          lease.onCancel(); // ignored if reported as a failure above
          throwIfCanceled(call);
        }
      } else {
        logAttempt(service, attempt, original, endpoint, "HTTP " + code, latency);
      }
      if (failure) {
        return response;
      }
      if (response.body().contentLength() == 0) {
        lease.onSuccess(latency, 0);
        return response;
      }
      return response
          .newBuilder()
          .body(new LeaseReportingBody(response.body(), lease, latency, call, classifier))
          .build();
    }
  }

  static boolean isIdempotent(String method) {
    return IDEMPOTENT.contains(method);
  }

  /**
   * Decides whether a failed attempt is retried. Two cases are ruled out before lb-core's policy is
   * asked, so that they do not spend the budget: a one-shot body that started to be written cannot
   * be sent again, and a call that tried every member of its group has nowhere to go. Then the
   * policy decides from the failure kind, the attempts left and the budget, which it draws from
   * only when it grants the retry.
   */
  private static Verdict decide(
      RetryCall retry,
      FailureKind kind,
      @Nullable TrackingRequestBody body,
      LoadBalancer balancer) {
    if (body != null && body.oneShotBodyWritten()) {
      return Verdict.giveUp("one-shot body already sent");
    }
    if (retry.triedEndpointIds().size() >= balancer.endpoints().size()) {
      return Verdict.giveUp("every endpoint tried");
    }
    RetryDecision decision = retry.onFailure(kind);
    return decision.shouldRetry()
        ? new Verdict(null, decision.delayNanos())
        : Verdict.giveUp(kind + ": " + decision.outcome());
  }

  /**
   * For a granted retry, waits out its backoff, then picks among the endpoints this call has not
   * tried (lb-core's {@link PickContext#excludedIds()}). Returns null if the retry was not granted,
   * no untried endpoint can take it, or the call was cancelled: then the last outcome stands.
   */
  private static @Nullable Lease nextAttempt(
      Verdict verdict,
      LoadBalancer balancer,
      RetryCall retry,
      PickContext context,
      Call call,
      Service service)
      throws IOException {
    if (verdict.whyNot() != null) {
      return null;
    }
    if (verdict.delayNanos() > 0) {
      service.sleeper().sleep(verdict.delayNanos(), call);
    }
    if (call.isCanceled()) {
      return null;
    }
    PickContext.Builder excluding = context.toBuilder();
    for (String id : retry.triedEndpointIds()) {
      excluding.exclude(id);
    }
    return balancer.tryPick(excluding.build());
  }

  /** A retry decision: granted after a delay ({@code whyNot} null), or refused and why. */
  private record Verdict(@Nullable String whyNot, long delayNanos) {
    static Verdict giveUp(String why) {
      return new Verdict(why, 0);
    }

    String text(@Nullable Lease next) {
      if (whyNot != null) {
        return "giving up (" + whyNot + ")";
      }
      return next == null
          ? "giving up (no untried endpoint can take it)"
          : "retrying on " + next.endpoint().id() + " after " + delayNanos / 1_000_000 + " ms";
    }
  }

  private static void throwIfCanceled(Call call) throws IOException {
    if (call.isCanceled()) {
      throw new IOException("Canceled");
    }
  }

  /**
   * Picks the first attempt's endpoint; no endpoint is an {@link IOException}, as OkHttp expects.
   */
  private static Lease pick(LoadBalancer balancer, PickContext context, Service service)
      throws IOException {
    Lease lease = balancer.tryPick(context);
    if (lease != null) {
      return lease;
    }
    try {
      return balancer.pick(context); // for the exception's message, unless an endpoint appeared
    } catch (NoEndpointAvailableException e) {
      throw new IOException(e.getMessage() + " (service '" + service.host() + "')", e);
    }
  }

  private static Chain configure(Chain chain, Service service) {
    Chain c = chain;
    long timeoutNanos = service.attemptTimeoutNanos();
    if (timeoutNanos > 0) {
      int millis = (int) TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
      c =
          c.withConnectTimeout(millis, TimeUnit.MILLISECONDS)
              .withReadTimeout(millis, TimeUnit.MILLISECONDS)
              .withWriteTimeout(millis, TimeUnit.MILLISECONDS);
    }
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

  private static Request rewrite(
      Request original, Endpoint endpoint, Service service, @Nullable TrackingRequestBody body) {
    HttpUrl.Builder url = original.url().newBuilder();
    String scheme = service.scheme();
    if (scheme != null) {
      url.scheme(scheme);
    }
    url.host(endpoint.host()).port(endpoint.port());
    Request.Builder rewritten = original.newBuilder().url(url.build());
    if (body != null) {
      rewritten.method(original.method(), body);
    }
    return rewritten.build();
  }

  private static void logAttempt(
      Service service,
      int attempt,
      Request request,
      Endpoint endpoint,
      String outcome,
      long latencyNanos) {
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "{} attempt {}: {} {} -> {}: {} in {} ms",
          service.host(),
          attempt,
          request.method(),
          request.url().encodedPath(),
          endpoint.id(),
          outcome,
          String.format("%.1f", latencyNanos / 1e6));
    }
  }

  @Override
  public String toString() {
    return "LoadBalancingInterceptor" + services.keySet();
  }

  /** Builds a {@link LoadBalancingInterceptor}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Service> services = new LinkedHashMap<>();
    private RandomGenerator random = ThreadLocalRandom.current();

    private Builder() {}

    /**
     * Adds a service, reached through its {@link Service#host() host}.
     *
     * @param service the service; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code service} is null or its host is already taken
     */
    public Builder service(@Nullable Service service) {
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
    public Builder service(@Nullable String host, @Nullable LoadBalancer balancer) {
      return service(Service.of(host, balancer));
    }

    /**
     * Sets the random source that assigns calls without an affinity key to traffic-split arms.
     * Defaults to {@link ThreadLocalRandom}; tests pass a seeded generator.
     *
     * @param random the random source, which must be thread-safe; must not be null
     * @return this builder
     * @throws IllegalArgumentException if {@code random} is null
     */
    public Builder random(@Nullable RandomGenerator random) {
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
      return new LoadBalancingInterceptor(this);
    }
  }
}
