package dev.lb.okhttp;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.Scheduler;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import okhttp3.Interceptor.Chain;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * A call that may hedge, while it has not: its first attempt on the caller's own chain, with a
 * hedge timer armed. It becomes a {@link HedgedCall} only when the timer fires or the first attempt
 * does not answer with a response to return (a failure, a status to retry); a call whose first
 * attempt answers in time is this one object, as an unhedged call is one {@link BalancedCall}, plus
 * the fields below.
 *
 * <p>What a call that does not hedge costs, then: the timer armed and cancelled ({@link HedgeTimer}
 * with the default scheduler: two volatile writes and a compare-and-set, no lock, and no allocation
 * unless the thread's own timer is busy with an enclosing call; with a user's scheduler, that
 * scheduler's task), a deposit into the hedging budget (the budget is a share of calls, so every
 * call counts), and this object's few extra fields. Its first attempt is abortable (an {@link
 * Attempt#abort} binds its exchange), as every first attempt of a hedged call must be.
 *
 * <p>Who makes the hedged call. Exactly one of two things happens to the timer, by a
 * compare-and-set: it fires, on the timer's thread, or the caller cancels it when its first attempt
 * ended. Whichever thread first needs the hedged call makes it, under this object's lock ({@link
 * #hedgedCall}); the other finds it made. The first attempt's {@link Attempt} reaches the hedged
 * call's first slot from either side: this call writes {@link #current} and then reads its slot,
 * the maker writes the slot and then reads {@link #current} (both volatile), so at least one of
 * them sees the other and the slot learns of the attempt a winning hedge must abort.
 *
 * <p>Only for calls whose first attempt can run inline ({@link HedgedCall#inlineFirst}); the others
 * are a {@link HedgedCall} from the start.
 */
final class HedgeableCall extends BalancedCall implements HedgeTimer.Target {
  private static final VarHandle DECIDED;

  static {
    try {
      DECIDED = MethodHandles.lookup().findVarHandle(HedgeableCall.class, "decided", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LoadBalancingInterceptor.HedgeClient hedgeClient;
  private final long startNanos; // on the hedging policy's ticker, or HedgedCall.NO_START
  private final long deadlineNanoTime; // of the caller's call, for its hedges' timeouts
  private volatile @Nullable Attempt current; // the first attempt running now

  // With a user's scheduler only: set once, by whichever of its task and the caller's cancel
  // comes first (the default timer decides that itself).
  @SuppressWarnings("UnusedVariable") // read and written through DECIDED
  private volatile boolean decided;

  private HedgeableCall(
      Service service,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      Lease first,
      LoadBalancingInterceptor.HedgeClient hedgeClient,
      long startNanos) {
    super(service, chain, original, balancer, context, first);
    this.hedgeClient = hedgeClient;
    this.startNanos = startNanos;
    this.deadlineNanoTime = HedgedCall.deadlineNanoTime(chain.call());
  }

  /**
   * Runs a call of {@code service}, which has hedging, to its end.
   *
   * @param chain the caller's chain, {@linkplain LoadBalancingInterceptor#configure configured}
   */
  static Response execute(
      Service service,
      Hedging hedging,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      LoadBalancingInterceptor.HedgeClient hedgeClient)
      throws IOException {
    Lease first = BalancedCall.firstLease(service, balancer, context);
    long start =
        HedgedCall.needsStart(hedging) ? hedging.policy().ticker().read() : HedgedCall.NO_START;
    return new HedgeableCall(service, chain, original, balancer, context, first, hedgeClient, start)
        .run(hedging);
  }

  private Response run(Hedging hedging) throws IOException {
    // Armed before the attempt starts, so the delay counts from the pick, as a later hedge's does.
    // Arming publishes every field written so far to the timer's thread.
    HedgeTimer shared = hedging.sharedTimer();
    HedgeTimer.Timer timer = null;
    Scheduler.Cancellable task = null;
    if (shared != null) {
      timer = shared.next();
      shared.arm(timer, this, hedging.delayNanos());
    } else {
      task = hedging.policy().scheduler().schedule(this::scheduledFire, hedging.delayNanos());
    }
    Response response = null;
    IOException error = null;
    boolean fatal = false;
    try {
      response = execute();
    } catch (IOException e) {
      error = e;
    } catch (RuntimeException | Error e) {
      fatal = true;
      error = new IOException("attempt 1 on " + first().endpoint().id(), e);
    }
    boolean cancelled = timer != null ? timer.cancel(this) : cancelScheduled(task);
    if (cancelled && response != null && !service().isRetryableStatus(response.code())) {
      // The usual end: no hedge was or will be sent, and no other thread knows this call.
      if (hedging.adaptive() && startNanos != HedgedCall.NO_START) {
        hedging.record(hedging.policy().ticker().read() - startNanos);
      }
      HedgedCall.log(
          service(),
          original(),
          1,
          first(),
          startNanos,
          hedging,
          "HTTP " + response.code() + ", won");
      hedging.budget().deposit(); // answered before any hedge was due
      return response;
    }
    // The long way: as a hedged call, made now if the timer thread has not made it.
    HedgedCall.Slot slot = hedgedCall();
    return slot.owner().finishFirst(slot, response, error, fatal);
  }

  /** A user's scheduler's task: fires unless the caller cancelled first. */
  private void scheduledFire() {
    if (DECIDED.compareAndSet(this, false, true)) {
      timerFired();
    }
  }

  private boolean cancelScheduled(Scheduler.@Nullable Cancellable task) {
    if (!DECIDED.compareAndSet(this, false, true)) {
      return false; // it fired
    }
    if (task != null) {
      task.cancel();
    }
    return true;
  }

  /** The hedge delay passed while the first attempt ran: on the timer's thread. */
  @Override
  public void timerFired() {
    hedgedCall().owner().timerFired();
  }

  /** The first slot of this call's hedged call, which the first thread to need it makes. */
  private synchronized HedgedCall.Slot hedgedCall() {
    HedgedCall.Slot s = slot();
    if (s != null) {
      return s;
    }
    s = new HedgedCall(this, hedgeClient, startNanos, deadlineNanoTime).firstSlot();
    slot(s); // volatile write, then the read of current below: see the class comment
    Attempt a = current;
    if (a != null) {
      s.adopt(a);
    }
    return s;
  }

  @Override
  boolean abortable() {
    return true; // a hedge may win while it runs, whether or not its hedged call is made yet
  }

  @Override
  void started(Attempt attempt) {
    current = attempt; // volatile write, then the slot's read: see the class comment
    super.started(attempt);
  }

  /** The first attempt's lease. */
  private Lease first() {
    return java.util.Objects.requireNonNull(given());
  }
}
