package dev.lb.examples;

import dev.lb.LoadReport;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.services.MetricRecorder;
import io.grpc.xds.orca.OrcaMetricReportingServerInterceptor;

/**
 * The gRPC side of {@link LoadReporter}: a server interceptor that meters every call and sends the
 * backend's load in ORCA's {@code endpoint-load-metrics-bin} trailer, which {@code
 * lb_orca_weighted_round_robin} reads. It uses gRPC's own ORCA server support ({@code
 * io.grpc:grpc-xds}'s {@link OrcaMetricReportingServerInterceptor} and {@code grpc-services}'
 * {@link MetricRecorder}), so the trailer is the standard one any ORCA client reads.
 *
 * <pre>{@code
 * LoadReporter load = new LoadReporter(32);
 * Server server = NettyServerBuilder.forPort(8080)
 *     .addService(GrpcLoadReporting.intercept(service.bindService(), load))
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class GrpcLoadReporting {
  private GrpcLoadReporting() {}

  /**
   * Wraps {@code service} so that its calls are metered by {@code load} and each response carries
   * the backend's latest report.
   *
   * @param service the service to report for
   * @param load the backend's meter, shared by all its services
   * @return the intercepted service
   */
  public static ServerServiceDefinition intercept(
      ServerServiceDefinition service, LoadReporter load) {
    MetricRecorder recorder = MetricRecorder.newInstance();
    // The last interceptor sees the call first: ORCA's wraps the call, then metering wraps that, so
    // at close the meter updates the recorder just before ORCA's reads it into the trailer.
    return ServerInterceptors.intercept(
        service, metering(load, recorder), OrcaMetricReportingServerInterceptor.create(recorder));
  }

  private static ServerInterceptor metering(LoadReporter load, MetricRecorder recorder) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = load.begin();
        ServerCall<Q, R> metered =
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                load.end(start, !status.isOk());
                LoadReport r = load.report();
                recorder.setApplicationUtilizationMetric(r.applicationUtilization());
                recorder.setQpsMetric(r.requestsPerSecond());
                recorder.setEpsMetric(r.errorsPerSecond());
                super.close(status, trailers);
              }
            };
        return next.startCall(metered, headers);
      }
    };
  }
}
