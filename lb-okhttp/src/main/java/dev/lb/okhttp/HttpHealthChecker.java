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
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

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

  private HttpHealthChecker(Builder b) {
    this.ticker = b.ticker;
    // Redirects are followed by hand, so that each hop is checked against the endpoint.
    this.client = b.client.newBuilder().followRedirects(false).followSslRedirects(false).build();
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
    Call call = client.newCall(new Request.Builder().url(url).get().build());
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
                result.complete(HealthCheckResult.healthy());
              } else if (response.isRedirect()) {
                followRedirect(origin, response, timeoutNanos, startNanos, redirects, result);
              } else {
                result.complete(HealthCheckResult.unhealthy("HTTP " + code));
              }
            } catch (RuntimeException e) {
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

    private Builder() {
      Arrays.fill(expected, 200, 300, true);
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
