package dev.lb.okhttp;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * An optional application interceptor that coalesces concurrent identical GETs: while one call for
 * a URL (and the same values of the configured vary headers) is in flight, further such calls wait
 * for it and receive a copy of its response instead of making their own ("single flight").
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(CoalescingInterceptor.builder().varyHeaders("Accept", "Authorization").build())
 *     .addInterceptor(balancing)    // after the coalescer: one balanced call per coalesced group
 *     .build();
 * }</pre>
 *
 * <p>The leader's response body is read into memory to be shared, up to {@link
 * Builder#maxBodyBytes}; a larger body is streamed to the leader alone, and the waiters then make
 * their own calls. An I/O error of the leader's call is thrown to every waiter (each gets its own
 * exception, whose cause is the leader's). A waiter whose own call is cancelled stops waiting. Only
 * GETs without a body are coalesced; include every header that changes the response (such as {@code
 * Authorization}) in the vary headers, or users may receive each other's responses.
 *
 * <p>Thread-safe; one instance per client.
 */
public final class CoalescingInterceptor implements Interceptor {
  /** How often a waiter checks whether its own call was cancelled. */
  private static final long CANCEL_POLL_MILLIS = 50;

  private final List<String> varyHeaders;
  private final long maxBodyBytes;
  private final ConcurrentHashMap<Key, CompletableFuture<Shared>> inFlight =
      new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();

  private CoalescingInterceptor(Builder b) {
    this.varyHeaders = List.copyOf(b.varyHeaders);
    this.maxBodyBytes = b.maxBodyBytes;
  }

  /**
   * Returns a builder: no vary headers, a 1 MiB body limit.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Coalesces the request with an identical one in flight, or makes it and shares its response.
   *
   * @param chain the application interceptor chain
   * @return the call's response, or a copy of the identical call's response
   * @throws IOException if the call, or the identical call it waited for, failed
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (!request.method().equals("GET") || request.body() != null) {
      return chain.proceed(request);
    }
    Key key = key(request);
    CompletableFuture<Shared> mine = new CompletableFuture<>();
    CompletableFuture<Shared> leader = inFlight.putIfAbsent(key, mine);
    if (leader != null) {
      waiting.incrementAndGet();
      Shared shared;
      try {
        shared = await(leader, chain);
      } finally {
        waiting.decrementAndGet();
      }
      return shared == null ? chain.proceed(request) : shared.toResponse(request);
    }
    try {
      Response response = chain.proceed(request);
      ResponseBody body = response.body();
      BufferedSource source = body.source();
      if (body.contentLength() > maxBodyBytes || source.request(maxBodyBytes + 1)) {
        mine.complete(null); // too large to share: the waiters make their own calls
        return response;
      }
      byte[] bytes = source.readByteArray();
      response.close();
      Shared shared = new Shared(response, bytes, body.contentType());
      mine.complete(shared);
      return shared.toResponse(request);
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private static @Nullable Shared await(CompletableFuture<Shared> leader, Chain chain)
      throws IOException {
    while (true) {
      if (chain.call().isCanceled()) {
        throw new IOException("Canceled");
      }
      try {
        return leader.get(CANCEL_POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillWaiting) {
        // check for cancellation again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException interrupted = new InterruptedIOException("interrupted");
        interrupted.initCause(e);
        throw interrupted;
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw new IOException(
            "the identical call this one was coalesced with failed: " + cause, cause);
      }
    }
  }

  /** How many calls are waiting for an identical call right now; for tests and metrics. */
  int waiting() {
    return waiting.get();
  }

  private Key key(Request request) {
    List<String> values = new ArrayList<>(varyHeaders.size());
    for (String h : varyHeaders) {
      values.add(String.join("\n", request.headers(h)));
    }
    return new Key(request.url().toString(), values);
  }

  @Override
  public String toString() {
    return "CoalescingInterceptor{vary=" + varyHeaders + ", maxBodyBytes=" + maxBodyBytes + "}";
  }

  private record Key(String url, List<String> varyValues) {}

  /** A buffered response that each waiter gets its own copy of. */
  private static final class Shared {
    private final Response template;
    private final byte[] body;
    private final @Nullable MediaType contentType;

    Shared(Response template, byte[] body, @Nullable MediaType contentType) {
      this.template = template;
      this.body = body;
      this.contentType = contentType;
    }

    Response toResponse(Request request) {
      return template
          .newBuilder()
          .request(request)
          .body(ResponseBody.create(body, contentType))
          .build();
    }
  }

  /**
   * Builds a {@link CoalescingInterceptor}. Not thread-safe; every option is validated when set.
   */
  public static final class Builder {
    private final List<String> varyHeaders = new ArrayList<>();
    private long maxBodyBytes = 1 << 20;

    private Builder() {}

    /**
     * Adds headers whose values must match for two calls to be coalesced, such as {@code Accept}
     * and {@code Authorization}.
     *
     * @param names header names, matched without case; none may be null or blank
     * @return this builder
     * @throws NullPointerException if a name is null
     * @throws IllegalArgumentException if a name is blank
     */
    public Builder varyHeaders(String... names) {
      for (String n : names) {
        varyHeaders.add(Options.notBlank(n, "vary header").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * Sets the largest body that is buffered to be shared. Default 1 MiB.
     *
     * @param bytes the limit in bytes, 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public Builder maxBodyBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("max body bytes must be 0 or more but was " + bytes);
      }
      this.maxBodyBytes = bytes;
      return this;
    }

    /**
     * Returns the interceptor.
     *
     * @return a new coalescing interceptor
     */
    public CoalescingInterceptor build() {
      return new CoalescingInterceptor(this);
    }
  }
}
