package dev.lb.okhttp;

import static java.util.Objects.requireNonNull;

import dev.lb.Endpoint;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Prequal's probe over HTTP ({@link dev.lb.strategy.Prequal}): asks {@code GET <scheme>://<endpoint
 * host>:<port><path>} ({@value #DEFAULT_PATH} by default) and reads the answer from the body, one
 * line in {@link ProbeResult}'s text format ({@code rif=3 latency_us=12500}). A server answers from
 * a {@link dev.lb.probe.ProbeResponder} that its request handlers keep up to date.
 *
 * <pre>{@code
 * Prequal strategy = Strategies.prequal().withProber(
 *     HttpProber.builder().client(sharedClient).timeout(Duration.ofMillis(200)).build());
 * LoadBalancer lb = LoadBalancer.builder().strategy(strategy).endpoints(...).build();
 * OkHttpClient client = sharedClient.newBuilder()
 *     .addInterceptor(LoadBalancingInterceptor.create(lb)).build();
 * }</pre>
 *
 * <p>A probe is its own call, not a balanced one: it is made with a client derived from the given
 * one without its application interceptors (so never through a {@link LoadBalancingInterceptor}),
 * with its own call timeout (connect, TLS, headers and body together), and no redirect followed. It
 * is never counted in the balancer's statistics and a failed probe is not a failed call. A non-2xx
 * status, a body that does not parse, a body over 1 KiB, an I/O error or the timeout completes the
 * stage exceptionally; cancelling the stage (the strategy does at its own probe timeout and at
 * close) cancels the call. Non-blocking: {@link #probe} enqueues the call on the client's
 * dispatcher and returns.
 *
 * <p>Thread-safe: one prober probes any number of endpoints concurrently.
 */
public final class HttpProber implements Prober {
  /** The probe path the demo's and the tests' servers answer. */
  public static final String DEFAULT_PATH = "/lb-probe";

  private static final long MAX_BODY_BYTES = 1024;

  private final OkHttpClient client;
  private final String path;
  private final String scheme;
  private final Duration timeout;

  private HttpProber(Builder b) {
    OkHttpClient.Builder derived =
        b.client
            .newBuilder()
            .callTimeout(b.timeout)
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false);
    derived.interceptors().clear(); // a probe never goes through a balancing interceptor
    this.client = derived.build();
    this.path = b.path;
    this.scheme = b.scheme;
    this.timeout = b.timeout;
  }

  /**
   * Starts a builder: path {@value #DEFAULT_PATH}, scheme {@code http}, timeout 200 ms, a new
   * default {@link OkHttpClient} unless one is given.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The path probed on every endpoint.
   *
   * @return the path, starting with {@code /}
   */
  public String path() {
    return path;
  }

  /**
   * The timeout of one probe call.
   *
   * @return positive
   */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    requireNonNull(endpoint, "endpoint");
    CompletableFuture<ProbeResult> answer = new CompletableFuture<>();
    HttpUrl url;
    try {
      url =
          new HttpUrl.Builder()
              .scheme(scheme)
              .host(endpoint.host())
              .port(endpoint.port())
              .encodedPath(path)
              .build();
    } catch (IllegalArgumentException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    Call call = client.newCall(new Request.Builder().url(url).get().build());
    CompletableFuture<ProbeResult> unused =
        answer.whenComplete(
            (r, t) -> {
              if (answer.isCancelled()) {
                call.cancel();
              }
            });
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            answer.completeExceptionally(e);
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              if (!response.isSuccessful()) {
                throw new IOException("probe of " + url + " answered " + response.code());
              }
              okio.BufferedSource source = response.body().source();
              if (source.request(MAX_BODY_BYTES + 1)) {
                throw new IOException("probe answer of " + url + " is over 1 KiB");
              }
              String text = source.readUtf8();
              answer.complete(ProbeResult.parse(text));
            } catch (IOException | RuntimeException e) {
              answer.completeExceptionally(e);
            }
          }
        });
    return answer;
  }

  @Override
  public String toString() {
    return "HttpProber{" + scheme + "://<endpoint>" + path + ", timeout=" + timeout + "}";
  }

  /** Builds an {@link HttpProber}. Not thread-safe. */
  public static final class Builder {
    private OkHttpClient client = new OkHttpClient();
    private String path = DEFAULT_PATH;
    private String scheme = "http";
    private Duration timeout = Duration.ofMillis(200);

    private Builder() {}

    /**
     * Sets the client whose connection pool, dispatcher and TLS settings probes share; its
     * application interceptors are not used.
     *
     * @param client the client
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public Builder client(OkHttpClient client) {
      this.client = requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the path probed on every endpoint.
     *
     * @param path starts with {@code /}
     * @return this builder
     * @throws NullPointerException if {@code path} is null
     * @throws IllegalArgumentException if {@code path} does not start with {@code /}
     */
    public Builder path(String path) {
      requireNonNull(path, "path");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path must start with '/' but was '" + path + "'");
      }
      this.path = path;
      return this;
    }

    /**
     * Sets the scheme, {@code http} or {@code https}.
     *
     * @param scheme {@code http} or {@code https}
     * @return this builder
     * @throws NullPointerException if {@code scheme} is null
     * @throws IllegalArgumentException if {@code scheme} is neither
     */
    public Builder scheme(String scheme) {
      requireNonNull(scheme, "scheme");
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException(
            "scheme must be 'http' or 'https' but was '" + scheme + "'");
      }
      this.scheme = scheme;
      return this;
    }

    /**
     * Sets the timeout of one probe call (connect, TLS, headers and body).
     *
     * @param timeout positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive but was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Returns the prober.
     *
     * @return a new prober with these options
     */
    public HttpProber build() {
      return new HttpProber(this);
    }
  }
}
