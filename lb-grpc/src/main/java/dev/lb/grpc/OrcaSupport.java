package dev.lb.grpc;

import dev.lb.Lease;
import io.grpc.ClientStreamTracer;

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

  private OrcaSupport() {}

  private static boolean probe() {
    try {
      Class.forName(
          "io.grpc.xds.orca.OrcaPerRequestUtil", false, OrcaSupport.class.getClassLoader());
      Class.forName("io.grpc.services.MetricReport", false, OrcaSupport.class.getClassLoader());
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
}
