package dev.lb.grpc;

import dev.lb.Lease;
import dev.lb.LoadReport;
import io.grpc.ClientStreamTracer;
import io.grpc.LoadBalancer.Helper;
import io.grpc.LoadBalancer.Subchannel;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Whether gRPC's ORCA API (optional {@code io.grpc:grpc-xds}) is present, found once; the guard in
 * front of {@link OrcaTrailers}, so that lb-grpc runs without grpc-xds and loads no class of it
 * unless it is there.
 */
final class OrcaSupport {
  private static final System.Logger LOGGER =
      System.getLogger(LbLoadBalancerProvider.class.getName());

  /** True if grpc-xds's {@code OrcaPerRequestUtil} can be loaded. */
  static final boolean AVAILABLE = probe();

  private static volatile boolean warned;
  private static volatile boolean warnedOob;

  private OrcaSupport() {}

  private static boolean probe() {
    try {
      Class.forName(
          "io.grpc.xds.orca.OrcaPerRequestUtil", false, OrcaSupport.class.getClassLoader());
      Class.forName("io.grpc.services.MetricReport", false, OrcaSupport.class.getClassLoader());
      Class.forName("io.grpc.xds.orca.OrcaOobUtil", false, OrcaSupport.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * The factory to pick with: {@code factory} wrapped to read the call's ORCA trailer if grpc-xds
   * is present, else {@code factory} itself (and a warning, once per process, that the strategy's
   * weights will stay static).
   */
  static ClientStreamTracer.Factory readingReports(
      ClientStreamTracer.Factory factory, Lease lease) {
    if (AVAILABLE) {
      return OrcaTrailers.wrap(factory, lease);
    }
    if (!warned) {
      warned = true;
      LOGGER.log(
          System.Logger.Level.WARNING,
          "orca_weighted_round_robin needs io.grpc:grpc-xds on the class path to read ORCA"
              + " load reports (the endpoint-load-metrics-bin trailer); without it the policy"
              + " keeps the endpoints' static weights");
    }
    return factory;
  }

  /** The helper to create subchannels with: one that can stream out-of-band reports, if it can. */
  static Helper subchannelHelper(Helper helper) {
    return AVAILABLE ? OrcaOutOfBand.reportingHelper(helper) : helper;
  }

  /**
   * Streams {@code subchannel}'s out-of-band reports to {@code sink} every {@code periodNanos}, or
   * stops them (null sink); without grpc-xds, warns once per process that none will come.
   */
  static void outOfBand(
      Subchannel subchannel, @Nullable Consumer<LoadReport> sink, long periodNanos) {
    if (AVAILABLE) {
      OrcaOutOfBand.listen(subchannel, sink, periodNanos);
      return;
    }
    if (sink != null && !warnedOob) {
      warnedOob = true;
      LOGGER.log(
          System.Logger.Level.WARNING,
          "enableOobLoadReport needs io.grpc:grpc-xds on the class path to stream ORCA load"
              + " reports; without it the policy keeps the endpoints' static weights");
    }
  }
}
