package dev.lb.retry;

/**
 * What kind of failure an attempt ended in, as far as retrying is concerned. Adapters map their
 * transport's errors and status codes onto these; the retry policy decides from the kind and the
 * request's idempotency alone.
 */
public enum FailureKind {
  /**
   * The connection could not be made (refused, unreachable, DNS failure, connect timeout): nothing
   * was sent, so a retry is always safe.
   */
  CONNECT_FAILED(true),
  /**
   * The server refused the request before processing it and says so (HTTP/2 {@code REFUSED_STREAM},
   * a {@code GOAWAY} above the last processed stream, gRPC's transparent-retry cases): always safe
   * to retry.
   */
  REFUSED_UNPROCESSED(true),
  /**
   * The request was sent and no answer came in time: the server may have processed it, so it is
   * retried only if it is idempotent or the caller opted in.
   */
  TIMEOUT(false),
  /**
   * A server or proxy answered that it could not handle the request now (HTTP 502, 503, 504; gRPC
   * {@code UNAVAILABLE}): retried only if the request is idempotent or the caller opted in.
   */
  UNAVAILABLE(false),
  /** Any other failure (client errors, 500, protocol errors, cancellation): never retried. */
  OTHER(false);

  private final boolean nothingProcessed;

  FailureKind(boolean nothingProcessed) {
    this.nothingProcessed = nothingProcessed;
  }

  /**
   * Whether the failure proves the server did not process the request, so that even a
   * non-idempotent request may be sent again.
   *
   * @return true for {@link #CONNECT_FAILED} and {@link #REFUSED_UNPROCESSED}
   */
  public boolean provesNothingProcessed() {
    return nothingProcessed;
  }
}
