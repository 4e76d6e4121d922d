package dev.lb.okhttp;

import dev.lb.Lease;
import java.io.IOException;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.jspecify.annotations.Nullable;

/**
 * A response body that reports its attempt's lease when the body is done: on success with the bytes
 * read once the body is exhausted or closed, as a failure (or cancel) if reading it fails. The
 * latency reported is the time to the response headers, measured before the body was handed out;
 * the call stays in flight on the endpoint while its body streams.
 *
 * <p>Whatever happens the lease is reported once: {@link Lease} ignores later reports.
 */
final class LeaseReportingBody extends ResponseBody {
  private final ResponseBody delegate;
  private final BufferedSource source;

  LeaseReportingBody(
      ResponseBody delegate,
      Lease lease,
      long latencyNanos,
      Call call,
      FailureClassifier classifier) {
    this.delegate = delegate;
    this.source =
        Okio.buffer(new ReportingSource(delegate.source(), lease, latencyNanos, call, classifier));
  }

  @Override
  public @Nullable MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public BufferedSource source() {
    return source;
  }

  private static final class ReportingSource extends ForwardingSource {
    private final Lease lease;
    private final long latencyNanos;
    private final Call call;
    private final FailureClassifier classifier;
    private long bytes;

    ReportingSource(
        okio.Source delegate,
        Lease lease,
        long latencyNanos,
        Call call,
        FailureClassifier classifier) {
      super(delegate);
      this.lease = lease;
      this.latencyNanos = latencyNanos;
      this.call = call;
      this.classifier = classifier;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long read;
      try {
        read = super.read(sink, byteCount);
      } catch (IOException e) {
        if (call.isCanceled() || !classifier.isFailure(e)) {
          lease.onCancel();
        } else {
          lease.onFailure(latencyNanos, e);
        }
        throw e;
      }
      if (read == -1) {
        lease.onSuccess(latencyNanos, bytes);
      } else {
        bytes += read;
      }
      return read;
    }

    @Override
    public void close() throws IOException {
      lease.onSuccess(latencyNanos, bytes);
      super.close();
    }
  }
}
