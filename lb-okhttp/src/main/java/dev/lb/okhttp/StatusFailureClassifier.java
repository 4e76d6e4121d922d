package dev.lb.okhttp;

import java.io.IOException;
import okhttp3.Response;

/** The built-in {@link FailureClassifier}: a table of failing statuses and error kinds. */
final class StatusFailureClassifier implements FailureClassifier {
  static final StatusFailureClassifier DEFAULT = new StatusFailureClassifier(new Builder());

  private final boolean[] failingStatus = new boolean[600];
  private final boolean connectErrors;
  private final boolean timeouts;
  private final boolean otherIoErrors;

  StatusFailureClassifier(Builder b) {
    this.connectErrors = b.connectErrors;
    this.timeouts = b.timeouts;
    this.otherIoErrors = b.otherIoErrors;
    for (int code = 100; code < 600; code++) {
      failingStatus[code] =
          b.extraCodes[code]
              || (b.serverErrors && code >= 500)
              || (b.tooManyRequests && code == 429);
    }
  }

  @Override
  public boolean isFailure(Response response) {
    int code = response.code();
    return code >= 0 && code < 600 && failingStatus[code];
  }

  @Override
  public boolean isFailure(IOException error) {
    return switch (IoErrors.kind(error)) {
      case CONNECT -> connectErrors;
      case TIMEOUT -> timeouts;
      case OTHER -> otherIoErrors;
    };
  }
}
