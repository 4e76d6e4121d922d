package dev.lb.grpc;

import dev.lb.Endpoint;

/**
 * Told which endpoint each attempt of a call goes to: the hook for tracing (an attribute or an
 * event on the call's OpenTelemetry span), logging or tests. Set it per call with {@link
 * LbCallOptions#ATTEMPT_OBSERVER}; lb-grpc has no tracing dependency of its own.
 *
 * <pre>{@code
 * Span span = Span.current();
 * stub.withOption(LbCallOptions.ATTEMPT_OBSERVER, (endpoint, attempt, transparentRetry) ->
 *         span.addEvent("lb.attempt", Attributes.of(
 *             stringKey("lb.endpoint.id"), endpoint.id(), longKey("lb.attempt"), (long) attempt)))
 *     .getProfile(request);
 * }</pre>
 *
 * <p>Called once per attempt that starts a stream on the endpoint lb picked, on the thread that
 * starts it (a transport or the caller's), before the request goes out. It must be fast, must not
 * block and must be thread-safe: the attempts of a hedged call start concurrently. An exception it
 * throws is logged and ignored.
 */
@FunctionalInterface
public interface AttemptObserver {
  /**
   * An attempt of the call starts on {@code endpoint}.
   *
   * @param endpoint the endpoint lb picked for the attempt
   * @param attempt the attempt's number in its call, from 1, counted when the channel has {@link
   *     LbCallOptions#avoidPreviousEndpoints()} (which keeps a record of each call's attempts);
   *     without it, what gRPC tells a balancer's tracer, which is 1 for every attempt
   * @param transparentRetry whether gRPC made this attempt on its own because the previous one
   *     never reached the server
   */
  void onAttempt(Endpoint endpoint, int attempt, boolean transparentRetry);
}
