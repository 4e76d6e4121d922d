package dev.lb.okhttp;

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
 * A streamed response body that tells its {@link Attempt} how the body ended: a success with the
 * bytes read once the body is exhausted or closed, a failure (or a cancel, if the call was
 * cancelled or the classifier does not count the error) if reading fails. The attempt reports its
 * lease; this class never touches the lease itself.
 *
 * <p>Reading is bounded by the attempt's deadline, if it has one. Once a body is handed to the
 * caller it is not retried: an error while streaming it reaches the caller.
 */
final class AttemptBody extends ResponseBody {
  private final ResponseBody delegate;
  private final BufferedSource source;

  AttemptBody(ResponseBody delegate, Attempt attempt, Call call, FailureClassifier classifier) {
    this.delegate = delegate;
    attempt.boundBody(delegate);
    this.source = Okio.buffer(new ReportingSource(delegate.source(), attempt, call, classifier));
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
    private final Attempt attempt;
    private final Call call;
    private final FailureClassifier classifier;
    private long bytes;

    ReportingSource(
        okio.Source delegate, Attempt attempt, Call call, FailureClassifier classifier) {
      super(delegate);
      this.attempt = attempt;
      this.call = call;
      this.classifier = classifier;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long read;
      try {
        read = super.read(sink, byteCount);
      } catch (IOException e) {
        IOException explained = attempt.explain(e);
        attempt.endWith(explained, call, classifier);
        throw explained;
      }
      if (read == -1) {
        attempt.end(Attempt.Report.SUCCESS, bytes, null);
      } else {
        bytes += read;
      }
      return read;
    }

    @Override
    public void close() throws IOException {
      attempt.end(Attempt.Report.SUCCESS, bytes, null);
      super.close();
    }
  }
}
