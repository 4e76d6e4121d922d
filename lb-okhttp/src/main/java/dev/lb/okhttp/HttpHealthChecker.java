package dev.lb.okhttp;

import dev.lb.Endpoint;
import dev.lb.Ticker;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An active HTTP health check over OkHttp: asks {@code GET <scheme>://<endpoint host>:<port><path>}
 * and passes if the status is one of the expected ones (any 2xx by default).
 *
 * <pre>{@code
 * HealthChecker checker = HttpHealthChecker.builder()
 *     .client(sharedClient)
 *     .path("/ready")
 *     .expectedStatuses(200, 204)
 *     .build();
 * }</pre>
 *
 * <p>The probe is non-blocking ({@link Call#enqueue}), bounded by the given timeout (a call
 * timeout, so connect, TLS, headers and body together), and cancelled if the returned stage is
 * cancelled. It follows a redirect only to the same scheme, host and port, at most five times; a
 * redirect to another host fails the check rather than probe something that is not the endpoint.
 * Connection failures and timeouts complete the stage normally with an unhealthy result whose
 * reason names the error.
 *
 * <p>Thread-safe: one checker probes any number of endpoints concurrently. Balancers run it on
 * their {@link dev.lb.Scheduler} with rise and fall thresholds once lb-core's health lifecycle is
 * configured.
 */
public final class HttpHealthChecker implements HealthChecker {
  private static final int MAX_REDIRECTS = 5;

  private final OkHttpClient client;
  private final String path;
  private final String scheme;
  private final boolean[] expected;
  private final Ticker ticker;
  private final okhttp3.Headers headers;
  private final @Nullable Predicate<String> bodyPredicate;
  private final long maxBodyBytes;

  private HttpHealthChecker(Builder b) {
    this.ticker = b.ticker;
    // Redirects are followed by hand, so that each hop is checked against the endpoint.
    OkHttpClient.Builder derived =
        b.client.newBuilder().followRedirects(false).followSslRedirects(false);
    String tlsName = b.tlsHostname;
    if (tlsName != null) {
      derived.hostnameVerifier(new ServiceNameVerifier(tlsName, b.client.hostnameVerifier()));
      javax.net.ssl.X509TrustManager trust = b.client.x509TrustManager();
      if (trust != null && SniSocketFactory.isSniName(tlsName)) {
        derived.sslSocketFactory(new SniSocketFactory(b.client.sslSocketFactory(), tlsName), trust);
      }
    }
    this.client = derived.build();
    okhttp3.Headers.Builder h = b.headers.newBuilder();
    String host = b.hostHeader != null ? b.hostHeader : tlsName;
    if (host != null && h.get("Host") == null) {
      h.set("Host", host);
    }
    this.headers = h.build();
    this.bodyPredicate = b.bodyPredicate;
    this.maxBodyBytes = b.maxBodyBytes;
    this.path = b.path;
    this.scheme = b.scheme;
    this.expected = b.expected.clone();
  }

  /**
   * Returns a builder: path {@code /health}, any 2xx expected, {@code http}, a default client.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts one probe of {@code endpoint}.
   *
   * @param endpoint the endpoint to probe; must not be null
   * @param timeout the whole probe's time limit; positive
   * @return a stage completed with the result; never completed exceptionally except by cancellation
   * @throws NullPointerException if {@code endpoint} or {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  @Override
  public CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout) {
    Endpoint e = Options.notNull(endpoint, "endpoint");
    long timeoutNanos = Options.positiveNanos(timeout, "health check timeout");
    HttpUrl url =
        new HttpUrl.Builder()
            .scheme(scheme)
            .host(e.host())
            .port(e.port())
            .encodedPath(path)
            .build();
    CompletableFuture<HealthCheckResult> result = new CompletableFuture<>();
    probe(url, url, timeoutNanos, ticker.read(), 0, result);
    return result;
  }

  private void probe(
      HttpUrl origin,
      HttpUrl url,
      long timeoutNanos,
      long startNanos,
      int redirects,
      CompletableFuture<HealthCheckResult> result) {
    long remaining = timeoutNanos - (ticker.read() - startNanos);
    if (remaining <= 0) {
      result.complete(HealthCheckResult.unhealthy("timed out after " + redirects + " redirects"));
      return;
    }
    Call call = client.newCall(new Request.Builder().url(url).headers(headers).get().build());
    call.timeout().timeout(remaining, TimeUnit.NANOSECONDS);
    var unused =
        result.whenComplete(
            (r, t) -> {
              if (result.isCancelled()) {
                call.cancel();
              }
            });
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            result.complete(HealthCheckResult.unhealthy(describe(e)));
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              int code = response.code();
              if (code < expected.length && expected[code]) {
                result.complete(judgeBody(response));
              } else if (response.isRedirect()) {
                followRedirect(origin, response, timeoutNanos, startNanos, redirects, result);
              } else {
                result.complete(HealthCheckResult.unhealthy("HTTP " + code));
              }
            } catch (IOException | RuntimeException e) {
              result.complete(HealthCheckResult.unhealthy(describe(e)));
            }
          }
        });
  }

  private void followRedirect(
      HttpUrl origin,
      Response response,
      long timeoutNanos,
      long startNanos,
      int redirects,
      CompletableFuture<HealthCheckResult> result) {
    String location = response.header("Location");
    HttpUrl next = location == null ? null : response.request().url().resolve(location);
    int code = response.code();
    if (next == null) {
      result.complete(HealthCheckResult.unhealthy("HTTP " + code + " without a usable Location"));
    } else if (!next.scheme().equals(origin.scheme())
        || !next.host().equals(origin.host())
        || next.port() != origin.port()) {
      result.complete(
          HealthCheckResult.unhealthy(
              "HTTP "
                  + code
                  + " redirects to another host ("
                  + next.scheme()
                  + "://"
                  + next.host()
                  + ":"
                  + next.port()
                  + "), not followed"));
    } else if (redirects >= MAX_REDIRECTS) {
      result.complete(HealthCheckResult.unhealthy("more than " + MAX_REDIRECTS + " redirects"));
    } else {
      probe(origin, next, timeoutNanos, startNanos, redirects + 1, result);
    }
  }

  /** Applies the body predicate, if any, to a body of at most {@code maxBodyBytes}. */
  private HealthCheckResult judgeBody(Response response) throws java.io.IOException {
    Predicate<String> predicate = bodyPredicate;
    if (predicate == null) {
      return HealthCheckResult.healthy();
    }
    okio.BufferedSource source = response.body().source();
    if (source.request(maxBodyBytes + 1)) {
      return HealthCheckResult.unhealthy("body longer than " + maxBodyBytes + " bytes");
    }
    String body = source.readUtf8();
    return predicate.test(body)
        ? HealthCheckResult.healthy()
        : HealthCheckResult.unhealthy(
            "HTTP " + response.code() + " body refused: " + abbreviate(body));
  }

  private static String abbreviate(String body) {
    String oneLine = body.replace('\n', ' ').strip();
    return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 80) + "...";
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public String toString() {
    return "HttpHealthChecker{" + scheme + " " + path + "}";
  }

  /** Builds an {@link HttpHealthChecker}. Not thread-safe; every option is validated when set. */
  public static final class Builder {
    private OkHttpClient client = new OkHttpClient();
    private String path = "/health";
    private String scheme = "http";
    private boolean[] expected = new boolean[600];
    private Ticker ticker = Ticker.systemTicker();
    private @Nullable String tlsHostname;
    private @Nullable String hostHeader;
    private okhttp3.Headers headers = okhttp3.Headers.of();
    private @Nullable Predicate<String> bodyPredicate;
    private long maxBodyBytes = 64 * 1024;

    private Builder() {
      Arrays.fill(expected, 200, 300, true);
    }

    /**
     * Verifies each endpoint's certificate against this name and sends it as SNI, exactly as {@link
     * Service.Builder#tlsHostname} does for the service's calls; it also becomes the probe's {@code
     * Host} header unless {@link #hostHeader} says otherwise.
     *
     * @param name the name the certificates must be valid for, such as {@code users.internal}
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder tlsHostname(String name) {
      this.tlsHostname =
          Options.notBlank(name, "health check tls hostname").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Sets the probe's {@code Host} header, for endpoints behind name-based virtual hosts. By
     * default the {@link #tlsHostname} if set, else the endpoint's address.
     *
     * @param authority a host, optionally with {@code :port}
     * @return this builder
     * @throws NullPointerException if {@code authority} is null
     * @throws IllegalArgumentException if {@code authority} is blank
     */
    public Builder hostHeader(String authority) {
      this.hostHeader = Options.notBlank(authority, "health check host header");
      return this;
    }

    /**
     * Adds a request header to every probe, such as a token the health endpoint requires.
     *
     * @param name the header's name
     * @param value its value
     * @return this builder
     * @throws NullPointerException if {@code name} or {@code value} is null
     * @throws IllegalArgumentException if {@code name} is blank or either is not a valid header
     */
    public Builder header(String name, String value) {
      String n = Options.notBlank(name, "health check header name");
      String v = Options.notNull(value, "value of health check header '" + n + "'");
      this.headers = headers.newBuilder().add(n, v).build();
      return this;
    }

    /**
     * Also requires the body of a response with an expected status to pass {@code predicate}, so
     * that a 200 whose body says {@code "status":"DOWN"} fails the check. The body is read as
     * UTF-8, up to {@code maxBodyBytes}; a longer body fails the check.
     *
     * @param predicate true for a healthy body; must be thread-safe, fast and must not throw (an
     *     exception fails the check)
     * @param maxBodyBytes the longest body read, positive
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     * @throws IllegalArgumentException if {@code maxBodyBytes} is not positive
     */
    public Builder bodyPredicate(Predicate<String> predicate, long maxBodyBytes) {
      this.bodyPredicate = Options.notNull(predicate, "health check body predicate");
      if (maxBodyBytes <= 0) {
        throw new IllegalArgumentException(
            "health check max body bytes must be positive but was " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * Sets the client to probe with; share the application's client so that probes reuse its
     * connection pool, dispatcher and TLS settings. Redirect following is turned off on a derived
     * client either way.
     *
     * @param client the client; must not be null
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public Builder client(OkHttpClient client) {
      this.client = Options.notNull(client, "client");
      return this;
    }

    /**
     * Sets the path to ask, such as {@code /health} (the default) or {@code /ready}; it may carry a
     * query.
     *
     * @param path an encoded path starting with {@code /}
     * @return this builder
     * @throws IllegalArgumentException if {@code path} does not start with {@code /}
     */
    public Builder path(String path) {
      String p = Options.notNull(path, "health check path");
      if (!p.startsWith("/")) {
        throw new IllegalArgumentException(
            "health check path must start with '/' but was '" + p + "'");
      }
      this.path = p;
      return this;
    }

    /**
     * Sets the scheme, {@code http} (the default) or {@code https}.
     *
     * @param scheme {@code http} or {@code https}
     * @return this builder
     * @throws IllegalArgumentException if {@code scheme} is neither
     */
    public Builder scheme(String scheme) {
      String s = Options.notBlank(scheme, "health check scheme").toLowerCase(Locale.ROOT);
      if (!s.equals("http") && !s.equals("https")) {
        throw new IllegalArgumentException(
            "health check scheme must be 'http' or 'https' but was '" + scheme + "'");
      }
      this.scheme = s;
      return this;
    }

    /**
     * Sets the statuses that pass, replacing the default (every 2xx).
     *
     * @param codes one or more status codes in 100..599
     * @return this builder
     * @throws IllegalArgumentException if none is given or one is outside 100..599
     */
    public Builder expectedStatuses(int... codes) {
      if (codes.length == 0) {
        throw new IllegalArgumentException("expected statuses must not be empty");
      }
      boolean[] table = new boolean[600];
      for (int code : codes) {
        table[Options.statusCode(code, "expected status")] = true;
      }
      this.expected = table;
      return this;
    }

    /**
     * Sets the clock that splits the timeout across redirects. The system ticker by default.
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
     * Returns the checker.
     *
     * @return a new checker with the settings of this builder
     */
    public HttpHealthChecker build() {
      return new HttpHealthChecker(this);
    }
  }
}
