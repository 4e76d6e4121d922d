package dev.lb.grpc;

import dev.lb.LoadReport;
import io.grpc.LoadBalancer.Helper;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.xds.orca.OrcaOobUtil;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * ORCA's out-of-band load reports (gRFC A58's {@code enable_oob_load_report}): a stream of {@code
 * OpenRcaService.StreamCoreMetrics} reports per subchannel, opened and kept by gRPC's own {@link
 * OrcaOobUtil} (in the optional {@code io.grpc:grpc-xds}), which reconnects it with backoff and
 * stops asking a server that answers UNIMPLEMENTED. Like {@link OrcaTrailers}, loaded only once
 * {@link OrcaSupport#AVAILABLE} has found grpc-xds present. Every method runs on the channel's
 * synchronization context, as gRPC requires.
 */
final class OrcaOutOfBand {
  private OrcaOutOfBand() {}

  /** A helper whose subchannels can stream out-of-band reports once asked to. */
  static Helper reportingHelper(Helper helper) {
    return OrcaOobUtil.newOrcaReportingHelper(helper);
  }

  /**
   * Asks {@code subchannel}'s server for a report every {@code periodNanos} and hands each to
   * {@code sink}; with a null sink, stops asking.
   */
  static void listen(Subchannel subchannel, @Nullable Consumer<LoadReport> sink, long periodNanos) {
    OrcaOobUtil.setListener(
        subchannel,
        sink == null ? null : report -> sink.accept(OrcaTrailers.convert(report)),
        OrcaOobUtil.OrcaReportingConfig.newBuilder()
            .setReportInterval(periodNanos, TimeUnit.NANOSECONDS)
            .build());
  }
}
