package dev.lb.grpc;

import dev.lb.PickContext;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

/**
 * Per-call options the lb policies read when they pick: the call's {@link PickContext}, whose key
 * is the affinity key of hash-based strategies, whether the call's latency is a sample of its
 * endpoint's speed, and who is told each attempt's endpoint ({@link #ATTEMPT_OBSERVER}); and the
 * interceptor that lets gRPC's retries and hedges avoid the endpoints a call already tried.
 *
 * <pre>{@code
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("lb:///users")
 *     .defaultLoadBalancingPolicy("lb_peak_ewma")
 *     .intercept(LbCallOptions.avoidPreviousEndpoints())
 *     .usePlaintext()
 *     .build();
 * stub.withOption(LbCallOptions.PICK_CONTEXT, PickContext.ofKey(userId)).getProfile(request);
 * }</pre>
 *
 * <p>A pick context set here takes precedence over the policy's {@code hashHeader}. Stateless; the
 * keys are immutable constants and the interceptor is thread-safe.
 */
public final class LbCallOptions {
  /** The call's pick context; absent means the {@code hashHeader}, if configured, or no key. */
  public static final CallOptions.Key<PickContext> PICK_CONTEXT =
      CallOptions.Key.create("dev.lb.pickContext");

  /**
   * Whether the call's latency is left out of its endpoint's latency statistics (true), as for a
   * watch or a long poll whose duration says nothing about the server's speed. The call still
   * counts in flight until it ends, and its outcome still counts as a success or failure. Absent
   * means the policy's {@code latencyExcludedMethods} decide; a call option set to false includes
   * the call even when its method is listed there.
   */
  public static final CallOptions.Key<Boolean> EXCLUDE_FROM_LATENCY =
      CallOptions.Key.create("dev.lb.excludeFromLatency");

  /**
   * Told the endpoint and number of each of the call's attempts, for tracing; absent means nobody
   * is told. See {@link AttemptObserver}.
   */
  public static final CallOptions.Key<AttemptObserver> ATTEMPT_OBSERVER =
      CallOptions.Key.create("dev.lb.attemptObserver");

  /** Where {@link #avoidPreviousEndpoints()} keeps the endpoints a call's attempts used. */
  static final CallOptions.Key<AttemptHistory> ATTEMPTS = CallOptions.Key.create("dev.lb.attempts");

  private static final ClientInterceptor AVOID_PREVIOUS_ENDPOINTS =
      new ClientInterceptor() {
        @Override
        public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
            MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
          if (callOptions.getOption(ATTEMPTS) != null) {
            return next.newCall(method, callOptions);
          }
          return next.newCall(method, callOptions.withOption(ATTEMPTS, new AttemptHistory()));
        }

        @Override
        public String toString() {
          return "LbCallOptions.avoidPreviousEndpoints()";
        }
      };

  private LbCallOptions() {}

  /**
   * Returns the interceptor that makes gRPC's retries and hedged attempts avoid the endpoints that
   * earlier attempts of the same call used. With it on the channel, each new attempt of a call
   * (gRPC's {@code retryPolicy} or {@code hedgingPolicy} in the service config, or a transparent
   * retry) is picked with those endpoints excluded; if every endpoint that could take it is
   * excluded, it is picked as if none were, since another try on a used endpoint beats failing.
   *
   * <p>gRPC's load-balancing API tells a picker nothing of a call's earlier attempts; what every
   * attempt of a call shares is the call's options, so this interceptor puts one small record per
   * call there, which the lb policies fill and read. Without it, a retry is an ordinary pick and
   * may go back to the endpoint that just failed (though an endpoint whose connection dropped is
   * out of rotation at once). It costs one small object per call and does nothing on channels
   * without an lb policy.
   *
   * @return the interceptor, a stateless singleton; add it with {@code
   *     ManagedChannelBuilder.intercept}
   */
  public static ClientInterceptor avoidPreviousEndpoints() {
    return AVOID_PREVIOUS_ENDPOINTS;
  }
}
