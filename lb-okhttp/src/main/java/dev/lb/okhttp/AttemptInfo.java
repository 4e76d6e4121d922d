package dev.lb.okhttp;

import dev.lb.Endpoint;

/**
 * Which attempt of a balanced call a request is, for tracing: every attempt's request carries one
 * as a tag ({@code request.tag(AttemptInfo.class)}), so a network interceptor or an {@link
 * okhttp3.EventListener} can name the endpoint and the attempt number on its span or log line. lb
 * has no tracing dependency; with OpenTelemetry, for example, a network interceptor placed after
 * the tracing one (so that the attempt's span is current) does
 *
 * <pre>{@code
 * AttemptInfo info = chain.request().tag(AttemptInfo.class);
 * if (info != null) {
 *   Span.current().setAttribute("lb.endpoint.id", info.endpoint().id());
 *   Span.current().setAttribute("lb.attempt", info.attempt());
 * }
 * return chain.proceed(chain.request());
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class AttemptInfo {
  private final String service;
  private final Endpoint endpoint;
  private final int attempt;

  AttemptInfo(String service, Endpoint endpoint, int attempt) {
    this.service = service;
    this.endpoint = endpoint;
    this.attempt = attempt;
  }

  /**
   * The logical host the call was made to.
   *
   * @return the service's host, such as {@code users}
   */
  public String service() {
    return service;
  }

  /**
   * The endpoint the balancer picked for this attempt.
   *
   * @return the endpoint, as configured when it was picked
   */
  public Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Which attempt of the call this is.
   *
   * @return 1 for the first attempt, 2 for the first retry, and so on
   */
  public int attempt() {
    return attempt;
  }

  @Override
  public String toString() {
    return "AttemptInfo{" + service + " attempt " + attempt + " on " + endpoint.id() + "}";
  }
}
