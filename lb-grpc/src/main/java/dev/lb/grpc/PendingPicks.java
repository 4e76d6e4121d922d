package dev.lb.grpc;

import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The picks made onto one subchannel during one READY period whose stream has not started yet:
 * their leases are counted in flight, and nothing but this registry would ever complete them if
 * gRPC dropped the pick.
 *
 * <p>gRPC drops a pick result when the picked subchannel has no active transport at stream creation
 * (it has just left READY): it never asks the result's tracer factory for a tracer and picks again
 * later. The pick's lease would then stay in flight forever, skewing least-request and P2C, holding
 * a half-open breaker's permit, and keeping a draining endpoint from ever finishing. So every pick
 * registers its {@link LeaseTracerFactory} here before it is returned to gRPC, and the factory
 * leaves when gRPC starts its stream; when the subchannel leaves READY (or is removed, or the
 * policy shuts down), the policy {@linkplain #closeAndCancel closes} the period's registry and
 * cancels every lease still in it.
 *
 * <p>A pick racing with the close is safe either way, because each side writes before it reads: the
 * picker adds its factory, then reads {@code closed}; the closer writes {@code closed}, then reads
 * the set. At least one of them sees the other, and whichever claims the factory first (one
 * compare-and-set on the factory) reports the lease; the other does nothing. A picker that finds
 * the registry closed takes its factory back, cancels its lease and asks the balancer again. A
 * factory claimed by the close hands gRPC a tracer that does nothing should its stream start after
 * all, so every lease is reported exactly once.
 *
 * <p>Thread-safe: {@link #register} and {@link #started} run on the calling and transport threads,
 * lock-free; {@link #closeAndCancel} runs on the channel's synchronization context.
 */
final class PendingPicks {
  private final Set<LeaseTracerFactory> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Registers a pick about to be handed to gRPC.
   *
   * @return true if the pick may go out; false if this READY period is over, in which case the
   *     pick's lease is cancelled (by this call, or by the close that claimed it first, which may
   *     still be about to report it) and the caller picks again
   */
  boolean register(LeaseTracerFactory factory) {
    pending.add(factory);
    // The add is a volatile write (a CAS in the map); this read comes after it: see the class doc.
    if (!closed) {
      return true;
    }
    pending.remove(factory);
    if (factory.claim()) {
      factory.lease().onCancel();
    }
    return false;
  }

  /** The factory's stream started (it claimed its lease): it no longer needs cancelling. */
  void started(LeaseTracerFactory factory) {
    pending.remove(factory);
  }

  /**
   * Ends this READY period: later registrations fail, and every lease still registered is
   * cancelled. Idempotent.
   *
   * @return how many leases this call cancelled
   */
  int closeAndCancel() {
    closed = true;
    // Orders the write of closed before the reads of the set below, as a store-load barrier: a
    // picker whose add this iteration misses is one whose later read of closed sees true.
    VarHandle.fullFence();
    int cancelled = 0;
    // A concurrent set's iterator is weakly consistent: it never throws, and sees every factory
    // added before the fence above.
    for (Iterator<LeaseTracerFactory> it = pending.iterator(); it.hasNext(); ) {
      LeaseTracerFactory factory = it.next();
      it.remove();
      if (factory.claim()) {
        factory.lease().onCancel();
        cancelled++;
      }
    }
    return cancelled;
  }

  boolean isClosed() {
    return closed;
  }

  /** Picks registered and neither started nor cancelled yet. */
  int size() {
    return pending.size();
  }

  @Override
  public String toString() {
    return "PendingPicks{" + pending.size() + (closed ? ", closed}" : "}");
  }
}
