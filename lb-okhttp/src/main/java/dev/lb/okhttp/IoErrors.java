package dev.lb.okhttp;

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
 * Sorts an attempt's I/O error into what the retry rules need to know: did it fail before the
 * request left (so any method may go to another endpoint), did it time out, or something else.
 */
final class IoErrors {
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
}
