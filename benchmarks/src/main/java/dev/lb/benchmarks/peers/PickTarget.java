package dev.lb.benchmarks.peers;

import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * One balancer under test, lb's or a peer's, behind the smallest interface that lets every library
 * run the same calls, in two shapes:
 *
 * <ul>
 *   <li>{@link #pick()}: the selection alone, with nothing counted (lb's {@code choose},
 *       grpc-java's picker without its stream tracer, Dubbo's {@code select});
 *   <li>{@link #pickAndRelease(long)}: one call's whole trip, pick and then report the call done,
 *       with the call's latency, where the library keeps a count of calls in flight or learns from
 *       latencies (lb's lease, grpc-java's stream tracer, Dubbo's {@code RpcStatus}, Vert.x's
 *       interaction metrics).
 * </ul>
 *
 * <p>Libraries that count nothing do the same in both. Implementations are thread-safe: JMH calls
 * them from one or two threads at once.
 */
public interface PickTarget {
  /**
   * Selects an endpoint and counts nothing.
   *
   * @return the chosen endpoint in the library's own type, for the benchmark to consume
   */
  Object pick();

  /**
   * Runs one call's trip through the balancer: pick, then release with a success that took {@code
   * latencyNanos} (libraries that take no latency ignore it).
   *
   * @param latencyNanos the call's latency to report
   * @return the chosen endpoint in the library's own type, for the benchmark to consume
   */
  Object pickAndRelease(long latencyNanos);

  /**
   * A target from its two operations.
   *
   * @param pick the selection alone
   * @param pickAndRelease the pick and the release of one call
   * @return the target
   */
  static PickTarget of(Supplier<Object> pick, LongFunction<Object> pickAndRelease) {
    return new PickTarget() {
      @Override
      public Object pick() {
        return pick.get();
      }

      @Override
      public Object pickAndRelease(long latencyNanos) {
        return pickAndRelease.apply(latencyNanos);
      }
    };
  }

  /**
   * A target for a library that counts nothing: both operations only pick.
   *
   * @param pick the selection
   * @return the target
   */
  static PickTarget pickOnly(Supplier<Object> pick) {
    return of(pick, latencyNanos -> pick.get());
  }
}
