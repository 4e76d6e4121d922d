package dev.lb;

import dev.lb.limit.ConcurrencyLimit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * The balancer-wide side of admission: the cap on all calls in flight through the balancer (HAProxy
 * {@code maxconn}, Envoy's cluster {@code max_requests}), fixed or adaptive, and the calls waiting
 * a bounded time for capacity ({@link LoadBalancer#pickAsync}).
 *
 * <p><b>The cap</b> is one counter: a pick takes a slot with a compare-and-set loop against the
 * limit it reads (so admission never exceeds that value) before it asks the strategy, and gives it
 * back if no endpoint takes the call; a lease report gives it back and feeds the limit's sample.
 * Without a cap, a pick pays one null check.
 *
 * <p><b>Waiters</b> queue in FIFO order; each has a timeout on the balancer's {@link Scheduler}. A
 * lease report that sees waiters (one volatile read when there are none) drains the queue: picks
 * for the head waiter until a pick finds no capacity. One thread drains at a time (a work counter,
 * as in reactive streams' drain loops); a report that arrives meanwhile makes the drainer go round
 * once more, so no release is missed and nobody waits for the drainer. Nothing spins: waiting
 * callers hold no thread of the balancer, and a blocked {@link LoadBalancer#pick(PickContext,
 * java.time.Duration)} parks on its future.
 */
final class Admission {
  private static final VarHandle IN_FLIGHT;
  private static final VarHandle WAITING;
  private static final VarHandle WIP;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      IN_FLIGHT = l.findVarHandle(Admission.class, "inFlight", int.class);
      WAITING = l.findVarHandle(Admission.class, "waiting", int.class);
      WIP = l.findVarHandle(Admission.class, "wip", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LoadBalancer balancer;
  private final Scheduler scheduler;
  private final @Nullable ConcurrencyLimit limit;
  private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

  @SuppressWarnings("unused") // through IN_FLIGHT
  private volatile int inFlight;

  @SuppressWarnings("unused") // through WAITING
  private volatile int waiting;

  @SuppressWarnings("unused") // through WIP
  private volatile int wip;

  Admission(LoadBalancer balancer, Scheduler scheduler, @Nullable ConcurrencyLimit limit) {
    this.balancer = balancer;
    this.scheduler = scheduler;
    this.limit = limit;
  }

  /** The balancer-wide limit, or null if there is none. */
  @Nullable ConcurrencyLimit limit() {
    return limit;
  }

  /** Calls holding a balancer-wide slot; 0 without a cap. */
  int inFlight() {
    return (int) IN_FLIGHT.getVolatile(this);
  }

  /** Takes a balancer-wide slot: true unless the cap is reached. */
  boolean tryEnter() {
    ConcurrencyLimit l = limit;
    if (l == null) {
      return true;
    }
    int max = l.limit();
    int current = (int) IN_FLIGHT.getVolatile(this);
    while (current < max) {
      int witness = (int) IN_FLIGHT.compareAndExchange(this, current, current + 1);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
    return false;
  }

  /**
   * Gives back a slot that no call used (no endpoint took it). Wakes nobody: the pick that failed
   * says there is no capacity, and a drainer that made it would otherwise go round for ever.
   */
  void leave() {
    if (limit != null) {
      IN_FLIGHT.getAndAdd(this, -1);
    }
  }

  /**
   * A call picked through this balancer ended: gives its slot back and samples the limit with it,
   * then serves waiters.
   */
  void onRelease(long latencyNanos, boolean dropped, boolean sample) {
    ConcurrencyLimit l = limit;
    if (l != null) {
      int before = (int) IN_FLIGHT.getAndAdd(this, -1);
      if (sample) {
        l.onSample(latencyNanos, before, dropped);
      }
    }
    if ((int) WAITING.getVolatile(this) != 0) {
      drain();
    }
  }

  /** Waits up to {@code maxWaitNanos} for a lease for {@code context}. */
  CompletableFuture<Lease> await(PickContext context, long maxWaitNanos) {
    Waiter w = new Waiter(context);
    waiters.add(w);
    WAITING.getAndAdd(this, 1);
    w.timer = scheduler.schedule(() -> timeout(w), maxWaitNanos);
    // A release between the caller's failed pick and the enqueue saw no waiter: look again.
    drain();
    return w.future;
  }

  /** The balancer closed: every waiter fails now rather than at its deadline. */
  void close(String name) {
    for (Waiter w : waiters) {
      if (remove(w)) {
        Scheduler.Cancellable t = w.timer;
        if (t != null) {
          t.cancel();
        }
        w.future.completeExceptionally(
            new IllegalStateException("balancer '" + name + "' is closed"));
      }
    }
  }

  /** Calls waiting now; for stats and tests. */
  int waiting() {
    return (int) WAITING.getVolatile(this);
  }

  private void timeout(Waiter w) {
    if (!remove(w)) {
      return;
    }
    try {
      complete(w, balancer.pick(w.context)); // one last try, which explains a refusal
    } catch (RuntimeException e) {
      w.future.completeExceptionally(e);
    }
  }

  private void drain() {
    if ((int) WIP.getAndAdd(this, 1) != 0) {
      return;
    }
    int missed = 1;
    while (true) {
      Waiter w;
      while ((w = waiters.peek()) != null) {
        if (w.future.isDone()) { // given up by its caller
          remove(w);
          continue;
        }
        Lease lease = balancer.tryPickQuietly(w.context);
        if (lease == null) {
          break;
        }
        if (remove(w)) {
          Scheduler.Cancellable t = w.timer;
          if (t != null) {
            t.cancel();
          }
          complete(w, lease);
        } else {
          lease.onCancel(); // its timeout took it meanwhile
        }
      }
      missed = (int) WIP.getAndAdd(this, -missed) - missed;
      if (missed == 0) {
        return;
      }
    }
  }

  private boolean remove(Waiter w) {
    if (waiters.remove(w)) {
      WAITING.getAndAdd(this, -1);
      return true;
    }
    return false;
  }

  private static void complete(Waiter w, Lease lease) {
    if (!w.future.complete(lease)) {
      lease.onCancel(); // the caller gave up (interrupted, cancelled) just now
    }
  }

  /** One caller waiting for capacity. */
  private static final class Waiter {
    final PickContext context;
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    volatile Scheduler.@Nullable Cancellable timer;

    Waiter(PickContext context) {
      this.context = context;
    }
  }
}
