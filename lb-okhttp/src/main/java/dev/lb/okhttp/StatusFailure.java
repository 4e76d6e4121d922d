package dev.lb.okhttp;

import java.io.IOException;

/**
 * The cause recorded on a lease whose response was classified as a failure, such as {@code HTTP 503
 * from 10.0.0.1:8080}; it shows in the endpoint's stats as its last failure. Never thrown.
 */
final class StatusFailure extends IOException {
  private static final long serialVersionUID = 1L;

  StatusFailure(int code, String address) {
    super("HTTP " + code + " from " + address);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // a status, not an error: the stack trace would only cost
  }
}
