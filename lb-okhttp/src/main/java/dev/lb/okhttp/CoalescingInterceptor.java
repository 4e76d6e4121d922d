package dev.lb.okhttp;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * An optional application interceptor that coalesces concurrent identical GETs: while one call for
 * a URL (and the same values of the vary headers) is in flight, further such calls wait for it and
 * receive a copy of its response instead of making their own ("single flight").
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(CoalescingInterceptor.builder().varyHeaders("Accept").build())
 *     .addInterceptor(balancing)    // after the coalescer: one balanced call per coalesced group
 *     .build();
 * }</pre>
 *
 * <p><b>Safe by default.</b> The credentials and cookies a request carries ({@code Authorization},
 * {@code Proxy-Authorization}, {@code Cookie}) are always part of the key, so users never receive
 * each other's responses; {@link Builder#shareAcrossCredentials} turns that off for public
 * resources. Add every other header that changes the response (such as {@code Accept}) with {@link
 * Builder#varyHeaders}.
 *
 * <p>The leader's response body is read into memory to be shared, up to {@link
 * Builder#maxBodyBytes}; a larger body is streamed to the leader alone, and the waiters then make
 * their own calls. If the leader's own call is cancelled or times out, the leadership is handed
 * over: one waiter becomes the new leader and makes the call, the others wait for it. Any other I/O
 * error of the leader's call is thrown to every waiter (each gets its own exception, whose cause is
 * the leader's). A waiter blocks on the leader's future, not polling; its own cancel or call
 * timeout (observed through {@link Call#addEventListener}) ends its wait at once. Only GETs without
 * a body are coalesced.
 *
 * <p>Thread-safe; one instance per client.
 */
public final class CoalescingInterceptor implements Interceptor {
  private static final List<String> CREDENTIALS =
      List.of("authorization", "proxy-authorization", "cookie");

  /** What a leader that gave up hands to its waiters: elect a new leader. */
  private static final Shared HANDOVER = new Shared(null, new byte[0], null);

  /** What a leader whose body was too large hands to its waiters: make your own calls. */
  private static final Shared TOO_LARGE = new Shared(null, new byte[0], null);

  private final List<String> keyHeaders;
  private final long maxBodyBytes;
  private final ConcurrentHashMap<Key, CompletableFuture<Shared>> inFlight =
      new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();

  private CoalescingInterceptor(Builder b) {
    List<String> headers = new ArrayList<>(b.varyHeaders);
    if (!b.shareAcrossCredentials) {
      for (String h : CREDENTIALS) {
        if (!headers.contains(h)) {
          headers.add(h);
        }
      }
    }
    this.keyHeaders = List.copyOf(headers);
    this.maxBodyBytes = b.maxBodyBytes;
  }

  /**
   * Returns a builder: no vary headers beyond the credentials, a 1 MiB body limit.
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
    while (true) {
      CompletableFuture<Shared> mine = new CompletableFuture<>();
      CompletableFuture<Shared> leader = inFlight.putIfAbsent(key, mine);
      if (leader == null) {
        return lead(chain, request, key, mine);
      }
      waiting.incrementAndGet();
      Shared shared;
      try {
        shared = await(leader, chain.call());
      } finally {
        waiting.decrementAndGet();
      }
      if (shared == TOO_LARGE) {
        return chain.proceed(request);
      }
      if (shared != HANDOVER) {
        return shared.toResponse(request);
      }
      // the leader gave up: elect a new one among the waiters, this one perhaps
    }
  }

  private Response lead(Chain chain, Request request, Key key, CompletableFuture<Shared> mine)
      throws IOException {
    // Every outcome leaves the table before it completes the future: a waiter woken by a hand-over
    // must find the key free (or a new leader), never this completed future again, or it would
    // spin on it.
    try {
      Response response = chain.proceed(request);
      ResponseBody body = response.body();
      BufferedSource source = body.source();
      if (body.contentLength() > maxBodyBytes || source.request(maxBodyBytes + 1)) {
        inFlight.remove(key, mine);
        mine.complete(TOO_LARGE);
        return response;
      }
      byte[] bytes = source.readByteArray();
      response.close();
      Shared shared = new Shared(response, bytes, body.contentType());
      inFlight.remove(key, mine);
      mine.complete(shared);
      return shared.toResponse(request);
    } catch (IOException e) {
      inFlight.remove(key, mine);
      if (chain.call().isCanceled()) {
        mine.complete(HANDOVER); // the leader's own cancel or timeout is not the waiters' failure
      } else {
        mine.completeExceptionally(e);
      }
      throw e;
    } catch (RuntimeException | Error e) {
      inFlight.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * Blocks until the leader's future completes or this waiter's own call is cancelled (a cancel or
   * its call timeout, which OkHttp implements as a cancel), whichever is first.
   */
  private static Shared await(CompletableFuture<Shared> leader, Call call) throws IOException {
    CompletableFuture<Void> cancelled = new CompletableFuture<>();
    call.addEventListener(
        new EventListener() {
          @Override
          public void canceled(Call c) {
            cancelled.complete(null);
          }
        });
    if (call.isCanceled()) {
      throw new IOException("Canceled");
    }
    try {
      CompletableFuture.anyOf(leader, cancelled).get();
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
    if (!leader.isDone()) {
      throw new IOException("Canceled");
    }
    return leader.join();
  }

  /** How many calls are waiting for an identical call right now; for tests and metrics. */
  int waiting() {
    return waiting.get();
  }

  private Key key(Request request) {
    List<String> values = new ArrayList<>(keyHeaders.size());
    for (String h : keyHeaders) {
      values.add(String.join("\n", request.headers(h)));
    }
    return new Key(request.url().toString(), values);
  }

  @Override
  public String toString() {
    return "CoalescingInterceptor{key=" + keyHeaders + ", maxBodyBytes=" + maxBodyBytes + "}";
  }

  private record Key(String url, List<String> varyValues) {}

  /** A buffered response that each waiter gets its own copy of. */
  private static final class Shared {
    private final @Nullable Response template;
    private final byte[] body;
    private final @Nullable MediaType contentType;

    Shared(@Nullable Response template, byte[] body, @Nullable MediaType contentType) {
      this.template = template;
      this.body = body;
      this.contentType = contentType;
    }

    Response toResponse(Request request) {
      Response t = template;
      if (t == null) {
        throw new IllegalStateException("a marker, not a response");
      }
      return t.newBuilder().request(request).body(ResponseBody.create(body, contentType)).build();
    }
  }

  /**
   * Builds a {@link CoalescingInterceptor}. Not thread-safe; every option is validated when set.
   */
  public static final class Builder {
    private final List<String> varyHeaders = new ArrayList<>();
    private long maxBodyBytes = 1 << 20;
    private boolean shareAcrossCredentials;

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
     * Lets calls with different {@code Authorization}, {@code Proxy-Authorization} and {@code
     * Cookie} headers share one response. Off by default: turn it on only for responses that are
     * the same for everyone.
     *
     * @param share true to leave credentials and cookies out of the key
     * @return this builder
     */
    public Builder shareAcrossCredentials(boolean share) {
      this.shareAcrossCredentials = share;
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
