package dev.lb.okhttp;

import dev.lb.retry.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Sorts an attempt's I/O error into what the failure classifier and the retry rules need to know:
 * did it fail before the request left (so any method may go to another endpoint), did it time out,
 * or something else.
 */
final class IoErrors {
  private static final String STREAM_RESET = "okhttp3.internal.http2.StreamResetException";

  private IoErrors() {}

  /** What kind of error an attempt failed with. */
  enum Kind {
    /** The request never left: no connection, or no TLS session with the endpoint. */
    CONNECT,
    /** A connect, read or write timeout. A connect timeout is {@link #CONNECT}. */
    TIMEOUT,
    /** Anything else: reset, closed, unexpected end of stream, protocol error. */
    OTHER
  }

  static Kind kind(IOException e) {
    if (e instanceof ConnectException
        || e instanceof NoRouteToHostException
        || e instanceof UnknownHostException
        || e instanceof PortUnreachableException
        || e instanceof SSLHandshakeException
        || e instanceof SSLPeerUnverifiedException) {
      return Kind.CONNECT;
    }
    if (e instanceof SocketTimeoutException) {
      // The JDK says "Connect timed out" (or "connect timed out") when Socket.connect times out;
      // then nothing was sent.
      String message = e.getMessage();
      if (message != null && message.toLowerCase(Locale.ROOT).contains("connect timed out")) {
        return Kind.CONNECT;
      }
      return Kind.TIMEOUT;
    }
    if (e instanceof InterruptedIOException && "timeout".equals(e.getMessage())) {
      return Kind.TIMEOUT; // okio's Timeout and OkHttp's call timeout
    }
    return Kind.OTHER;
  }

  /**
   * Maps an attempt's I/O error onto lb-core's retry vocabulary.
   *
   * <ul>
   *   <li>{@link Kind#CONNECT} (refused, unreachable, connect timeout, TLS handshake): nothing was
   *       sent, {@link FailureKind#CONNECT_FAILED}.
   *   <li>An HTTP/2 {@code REFUSED_STREAM} reset: the server says it did not process the stream,
   *       {@link FailureKind#REFUSED_UNPROCESSED}. OkHttp surfaces it as {@code
   *       okhttp3.internal.http2.StreamResetException}, whose message names the HTTP/2 error code;
   *       the class's module does not export that package, so the class and message are matched by
   *       name.
   *   <li>{@link Kind#TIMEOUT}: {@link FailureKind#TIMEOUT}.
   *   <li>Anything else after the request may have left (reset, unexpected end of stream, protocol
   *       error) is also {@link FailureKind#TIMEOUT}: like a timeout, the request was sent and its
   *       answer never came, so the server may have processed it. lb-core has no kind of its own
   *       for "answer lost"; {@code TIMEOUT} carries exactly the rule wanted (retry only if
   *       idempotent or opted in), where {@link FailureKind#OTHER} would never retry a GET that
   *       lost its connection to a crashed server.
   * </ul>
   */
  static FailureKind retryKind(IOException e) {
    if (e.getClass().getName().equals(STREAM_RESET)
        && "stream was reset: REFUSED_STREAM".equals(e.getMessage())) {
      return FailureKind.REFUSED_UNPROCESSED;
    }
    return kind(e) == Kind.CONNECT ? FailureKind.CONNECT_FAILED : FailureKind.TIMEOUT;
  }
}
