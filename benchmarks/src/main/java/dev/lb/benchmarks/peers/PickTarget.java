package dev.lb.benchmarks.peers;

/**
 * One balancer under test, lb's or a peer's, behind the smallest interface that lets every library
 * run the same calls: pick an endpoint, then report the call done where the library keeps a count
 * of calls in flight (lb's lease, grpc-java's stream tracer, Dubbo's {@code RpcStatus}, Vert.x's
 * interaction metrics). Libraries that keep no such count only pick.
 *
 * <p>Implementations are thread-safe: JMH calls them from one or two threads at once.
 */
@FunctionalInterface
public interface PickTarget {
  /**
   * Runs one call's trip through the balancer: pick, then release with a success.
   *
   * @return the chosen endpoint in the library's own type, for the benchmark to consume
   */
  Object pickAndRelease();
}
