package dev.lb.okhttp;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * Wraps a request body to learn whether it has started to be written: OkHttp writes the body only
 * after a connection is up and the headers are out, so once {@link #writeTo} has been entered the
 * endpoint may have received (part of) the request, and a one-shot body cannot be sent again.
 */
final class TrackingRequestBody extends RequestBody {
  private final RequestBody delegate;
  private volatile boolean writeStarted;

  TrackingRequestBody(RequestBody delegate) {
    this.delegate = delegate;
  }

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
    return delegate.isOneShot();
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }
}
