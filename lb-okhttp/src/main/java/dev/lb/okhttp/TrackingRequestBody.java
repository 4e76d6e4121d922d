package dev.lb.okhttp;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * The request body every attempt of a balanced call sends. It does two things.
 *
 * <ul>
 *   <li>It learns whether the body has started to be written: OkHttp writes it only after a
 *       connection is up and the headers are out, so once {@link #writeTo} was entered the endpoint
 *       may have received (part of) the request, and a one-shot body cannot be sent again.
 *   <li>It tells OkHttp that the body is one-shot unless lb's own rules would send this request
 *       again after it left ({@code resendAllowed}: an idempotent method, an idempotency key, or
 *       {@code retryNonIdempotent}). OkHttp checks that flag before every re-send of its own
 *       (connection-failure recovery, 408, 503 {@code Retry-After: 0}, 307/308 redirects, 401
 *       challenges), so a POST is never repeated underneath the interceptor. lb re-sends through
 *       {@link #writeTo} of the same wrapper, which writes the user's body again when that body
 *       allows it.
 * </ul>
 */
final class TrackingRequestBody extends RequestBody {
  /** An empty body for a bodiless non-idempotent request, so that OkHttp sees it as one-shot. */
  static final RequestBody EMPTY = RequestBody.create(new byte[0], null);

  private final RequestBody delegate;
  private final boolean resendAllowed;
  private volatile boolean writeStarted;

  TrackingRequestBody(RequestBody delegate, boolean resendAllowed) {
    this.delegate = delegate;
    this.resendAllowed = resendAllowed;
  }

  /** Whether the user's body is one-shot and already started to be written. */
  boolean oneShotBodyWritten() {
    return writeStarted && delegate.isOneShot();
  }

  @Override
  public @Nullable MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() throws IOException {
    return delegate.contentLength();
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    writeStarted = true;
    delegate.writeTo(sink);
  }

  @Override
  public boolean isOneShot() {
    return !resendAllowed || delegate.isOneShot();
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }
}
