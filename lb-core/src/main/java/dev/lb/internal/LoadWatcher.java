package dev.lb.internal;

/**
 * Told whenever one endpoint's load changes: its calls in flight, its latency or throughput key, or
 * its failure penalty. An indexed picker (the least-loaded strategies' {@code LoadIndex}) registers
 * one per endpoint through {@link LoadSignal#watchLoad} and repairs its index when told.
 *
 * <p>Called on the thread that changed the load (a caller picking, a transport reporting an
 * outcome), often from two threads at once: implementations must be thread-safe, lock-free, fast,
 * must not block and must not throw.
 */
public interface LoadWatcher {
  /** The watched endpoint's load has just changed. */
  void loadChanged();

  /**
   * Another watcher has replaced this one on the watched endpoint (a newer picker was built over
   * it). Called once, on the thread that registered the newer watcher (the balancer's serialized
   * update path).
   */
  void superseded();
}
