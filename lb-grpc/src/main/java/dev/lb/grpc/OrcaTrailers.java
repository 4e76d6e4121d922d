package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.LoadReport;
import io.grpc.ClientStreamTracer;
import io.grpc.services.MetricReport;
import io.grpc.xds.orca.OrcaPerRequestUtil;
import java.util.Map;

/**
 * Reads ORCA's per-call load report, the {@code endpoint-load-metrics-bin} trailer (an {@code
 * xds.data.orca.v3.OrcaLoadReport}), with gRPC's own ORCA API ({@link OrcaPerRequestUtil} in {@code
 * io.grpc:grpc-xds}, which parses the message with its generated protobuf class), and hands it to
 * the call's lease. The only class of lb-grpc that touches grpc-xds, an optional dependency: it is
 * loaded only once {@link OrcaSupport#AVAILABLE} has found grpc-xds present.
 *
 * <p>A trailer that does not parse is dropped by gRPC's API (and logged there); it never fails the
 * call. Thread-safe: stateless.
 */
final class OrcaTrailers {
  private OrcaTrailers() {}

  /** Wraps the lease's tracer factory so that the call's ORCA trailer reaches the lease. */
  static ClientStreamTracer.Factory wrap(ClientStreamTracer.Factory delegate, Lease lease) {
    return OrcaPerRequestUtil.getInstance()
        .newOrcaClientStreamTracerFactory(delegate, report -> lease.onLoadReport(convert(report)));
  }

  /** gRPC's view of the report as lb-core's; values ORCA forbids are dropped, not thrown. */
  static LoadReport convert(MetricReport r) {
    LoadReport.Builder b = LoadReport.builder();
    set(() -> b.cpuUtilization(r.getCpuUtilization()));
    set(() -> b.memoryUtilization(r.getMemoryUtilization()));
    set(() -> b.applicationUtilization(r.getApplicationUtilization()));
    set(() -> b.requestsPerSecond(r.getQps()));
    set(() -> b.errorsPerSecond(r.getEps()));
    for (Map.Entry<String, Double> e : r.getNamedMetrics().entrySet()) {
      set(() -> b.namedMetric(e.getKey(), e.getValue()));
    }
    for (Map.Entry<String, Double> e : r.getRequestCostMetrics().entrySet()) {
      set(() -> b.requestCost(e.getKey(), e.getValue()));
    }
    for (Map.Entry<String, Double> e : r.getUtilizationMetrics().entrySet()) {
      set(() -> b.utilization(e.getKey(), e.getValue()));
    }
    return b.build();
  }

  private static void set(Runnable setter) {
    try {
      setter.run();
    } catch (IllegalArgumentException e) {
      // A value out of ORCA's range (a negative utilization): that field is left unreported.
    }
  }
}
