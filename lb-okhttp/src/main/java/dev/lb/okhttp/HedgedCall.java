package dev.lb.okhttp;

import static java.util.Objects.requireNonNull;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.Scheduler;
import dev.lb.Ticker;
import dev.lb.retry.FailureKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Interceptor.Chain;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hedged call: up to {@link HedgingPolicy#maxAttempts()} concurrent attempts, each on an
 * endpoint no sibling attempt uses, the first response to arrive winning and the others cancelled.
 *
 * <p>How attempts run concurrently inside one application interceptor. OkHttp lets an interceptor's
 * chain proceed only once at a time, and cancelling the caller's call would also cancel the
 * response it is to return; so each hedge (and failover) is a call of its own, on the hedge client
 * that {@link LoadBalancingInterceptor#newClient} made beside the caller's (the same connection
 * pool, dispatcher executor, network interceptors and event listeners; this interceptor as its only
 * application interceptor). Each such call carries its {@link Slot} as a tag; the interceptor hands
 * it to {@link Slot#proceed}, which runs one {@link BalancedCall} attempt on the slot's lease.
 * Hedges run on the dispatcher's executor, by {@link Call#execute()}, so they count against no
 * dispatcher limit and never wait behind the caller's own asynchronous calls (which could deadlock
 * a saturated dispatcher).
 *
 * <p>The first attempt, and what a hedge that never fires costs. The first attempt runs on the
 * caller's own chain, as an unhedged call's attempt does, as a {@link HedgeableCall}: no second
 * call, no listener, no object of this class, and a timer armed and cancelled without allocating
 * ({@link HedgeTimer}). This object is made only when that call's hedge timer fires or its first
 * attempt ends without a response to return ({@link #HedgedCall(HedgeableCall,
 * LoadBalancingInterceptor.HedgeClient, long, long)}). A hedge that wins stops the first attempt by
 * {@link Attempt#abort()}, which cancels its exchange alone ({@link ExchangeCanceller}, OkHttp's
 * own exchange cancel), never the caller's call, whose chain must still return the winner: over
 * HTTP/2 its stream is reset ({@code RST_STREAM}, that stream only) at any point before it ends;
 * over HTTP/1 its socket is closed while the request is written or the headers awaited, and once it
 * has its headers it runs to its end (a buffered body read whole or failed), and only then does the
 * caller get the winner. Where this OkHttp does not let its exchanges be reached (another version,
 * or the module path without {@code --add-exports}), only a call sure to run on HTTP/1 ({@link
 * #http1Only}) runs its first attempt inline, stopped by closing its socket; a call that may meet
 * HTTP/2 runs its first attempt on the hedge client too, on the caller's thread, and is a hedged
 * call from the start ({@link #execute}).
 *
 * <p>Ownership. Each attempt's lease belongs to its {@link Attempt} once the attempt starts ({@link
 * Slot#proceed} takes it with a compare-and-set; the inline attempt's is the caller thread's from
 * the start); a lease never taken (the call never ran) is cancelled by the slot's runner. A
 * response belongs to the runner that received it until {@link #onResponse} either makes it the
 * winner (then the caller's) or discards it (cancelled and closed by that runner). The caller's
 * cancel and its call timeout reach every hedge through an {@link EventListener} added to the
 * caller's call when the first hedge's call is made; each such call's timeout is the time the
 * caller's has left, so it bounds the winner's body too.
 *
 * <p>Thread-safety: the state below is guarded by this object's lock, held only for bookkeeping:
 * never across I/O, a lease's report or a call's cancel. The balancer's pick and the timer are
 * called under it; both are non-blocking by their contracts. A call that does not hedge takes no
 * lock: a {@link HedgeableCall} takes none, and a call that starts as this object with the default
 * timer makes its first slot before any other thread can know the call (arming its timer, last,
 * publishes it).
 */
final class HedgedCall implements HedgeTimer.Target {
  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancingInterceptor.class);

  /** A slot's start when neither the adaptive delay nor the debug log needs it. */
  static final long NO_START = Long.MIN_VALUE;

  private final Service service;
  private final Hedging hedging;
  private final Chain chain;
  private final Call call;
  private final Request original;
  private final LoadBalancer balancer;
  private final PickContext context;
  private final OkHttpClient client;
  private final Ticker ticker;
  private final long deadlineNanoTime;
  private final boolean hasDeadline;
  private final boolean inlineFirst;

  // Guarded by this.
  private final int maxAttempts;
  // The attempts sent, in order: the first, then the later ones (an array made with the second,
  // so that a call that never hedges allocates none).
  private @Nullable Slot first;
  private Slot @Nullable [] later;
  private int attempts;
  private int inFlight;
  private boolean hedged;
  private boolean finished;
  private boolean deposit; // set when finished: the call ended before any hedge was due
  private @Nullable Response winner;
  private @Nullable IOException failure;
  private @Nullable List<IOException> earlier; // made on the first failure: most calls have none
  private Scheduler.@Nullable Cancellable timer; // a scheduler the user gave the policy
  private HedgeTimer.@Nullable Timer sharedTimer; // the default: allocation-free arm and cancel
  private @Nullable Lease unusedLease;
  private boolean listening; // the caller's cancel reaches the attempts' calls

  /**
   * A hedged call from the start: its first attempt runs on the hedge client ({@link #inlineFirst}
   * is false).
   *
   * @param chain the caller's chain
   */
  HedgedCall(
      Service service,
      Hedging hedging,
      Chain chain,
      Request original,
      LoadBalancer balancer,
      PickContext context,
      LoadBalancingInterceptor.HedgeClient hedgeClient) {
    this.service = service;
    this.hedging = hedging;
    this.chain = chain;
    this.call = chain.call();
    this.original = original;
    this.balancer = balancer;
    this.context = context;
    this.client = hedgeClient.client;
    this.ticker = hedging.policy().ticker();
    this.hasDeadline = hasDeadline(call);
    this.deadlineNanoTime = deadlineNanoTime(call);
    this.maxAttempts = hedging.policy().maxAttempts();
    this.inlineFirst = false;
  }

  /**
   * The hedged call a {@link HedgeableCall} becomes: its first attempt, on the caller's chain, is
   * already running (or has ended) in {@link #firstSlot()}, and its first hedge timer has fired or
   * been cancelled. Made under that call's lock, by the thread that first needs it.
   */
  HedgedCall(
      HedgeableCall hedgeable,
      LoadBalancingInterceptor.HedgeClient hedgeClient,
      long firstStartNanos,
      long deadlineNanoTime) {
    this.service = hedgeable.service();
    this.hedging = requireNonNull(service.hedging());
    this.chain = hedgeable.chain();
    this.call = chain.call();
    this.original = hedgeable.original();
    this.balancer = hedgeable.balancer();
    this.context = hedgeable.context();
    this.client = hedgeClient.client;
    this.ticker = hedging.policy().ticker();
    this.hasDeadline = hasDeadline(call);
    this.deadlineNanoTime = deadlineNanoTime;
    this.maxAttempts = hedging.policy().maxAttempts();
    this.inlineFirst = true;
    synchronized (this) {
      this.first = new Slot(1, requireNonNull(hedgeable.given()), firstStartNanos, true);
      attempts = 1;
      inFlight = 1;
    }
  }

  /** The first attempt's slot. */
  synchronized Slot firstSlot() {
    return requireNonNull(first);
  }

  /**
   * Whether a hedged call's first attempt may run on the caller's own chain: it can be ended alone
   * there if a hedge wins ({@link ExchangeCanceller}, or a call sure to run on HTTP/1).
   */
  static boolean inlineFirst(
      Service service, Request original, LoadBalancingInterceptor.HedgeClient hedgeClient) {
    return ExchangeCanceller.AVAILABLE
        || http1Only(service, original, hedgeClient.http2, hedgeClient.priorKnowledge);
  }

  private static boolean hasDeadline(Call call) {
    return call.timeout().timeoutNanos() > 0 || call.timeout().hasDeadline();
  }

  /**
   * When the caller's call must end, on {@link System#nanoTime}, or {@link Long#MAX_VALUE}. Its
   * call timeout started when its call did, a moment before the interceptor ran: the attempts'
   * timeouts are measured from now, so they end at most that moment late.
   */
  static long deadlineNanoTime(Call call) {
    long timeout = call.timeout().timeoutNanos();
    long deadline = timeout > 0 ? System.nanoTime() + timeout : Long.MAX_VALUE;
    if (call.timeout().hasDeadline()) {
      deadline = Math.min(deadline, call.timeout().deadlineNanoTime());
    }
    return deadline;
  }

  /** Whether a slot's start is read: for the adaptive delay or the debug log. */
  static boolean needsStart(Hedging hedging) {
    return hedging.adaptive() || LOG.isDebugEnabled();
  }

  /**
   * Whether every attempt of this call runs on HTTP/1: cleartext without prior-knowledge HTTP/2, or
   * a client that speaks nothing else. Without {@link ExchangeCanceller} only then can a losing
   * first attempt on the caller's own chain be ended alone (by closing its socket); an HTTP/2
   * connection carries other calls too.
   */
  static boolean http1Only(Service service, Request original, OkHttpClient client) {
    List<Protocol> protocols = client.protocols();
    return http1Only(
        service,
        original,
        protocols.contains(Protocol.HTTP_2),
        protocols.contains(Protocol.H2_PRIOR_KNOWLEDGE));
  }

  private static boolean http1Only(
      Service service, Request original, boolean http2, boolean priorKnowledge) {
    if (priorKnowledge) {
      return false;
    }
    String scheme = service.scheme();
    String wire = scheme != null ? scheme : original.url().scheme();
    return wire.equals("http") || !http2;
  }

  /** Runs a call whose every attempt, the first too, is a call of the hedge client. */
  Response execute() throws IOException {
    if (inlineFirst) {
      throw new IllegalStateException("an inline first attempt runs as a HedgeableCall");
    }
    Lease first = BalancedCall.firstLease(service, balancer, context);
    Slot slot;
    if (hedging.sharedTimer() != null) {
      // Without the lock: no other thread knows this call before its timer is armed, the last
      // write of newSlotLocked (the handle stored before), and arming publishes every write
      // before it to the timer's task (see HedgeTimer.arm).
      slot = newSlotLocked(first);
    } else {
      synchronized (this) {
        slot = newSlotLocked(first); // a task may run before its handle is stored
      }
    }
    listenForCancel();
    attach(slot);
    run(slot);
    return await();
  }

  /**
   * Hands on the outcome of a {@link HedgeableCall}'s first attempt, which ran on the caller's
   * chain in {@code s}, and returns the call's: this attempt's response if it won, else what the
   * others come to.
   */
  Response finishFirst(
      Slot s, @Nullable Response response, @Nullable IOException error, boolean fatal)
      throws IOException {
    if (response != null) {
      if (onResponse(s, response)) {
        // Without another lock: this thread set `deposit` when it won.
        if (deposit) {
          hedging.budget().deposit(); // answered before any hedge was due
        }
        return response;
      }
    } else {
      onFailure(
          s, error != null ? error : new IOException("attempt ended without a response"), fatal);
    }
    return await();
  }

  /** Waits for the call's end and returns its winner, or throws its failure. */
  private Response await() throws IOException {
    Response r;
    IOException e;
    boolean deposit;
    Slot[] abandoned = null;
    InterruptedIOException interrupted = null;
    synchronized (this) {
      while (!finished) {
        try {
          wait();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          interrupted = new InterruptedIOException("interrupted in a hedged call");
          interrupted.initCause(ie);
          finishLocked(interrupted);
          abandoned = inFlightCallsLocked();
        }
      }
      r = winner;
      e = failure;
      deposit = this.deposit;
    }
    if (interrupted != null) {
      cancelInFlight(abandoned);
      throw interrupted;
    }
    if (deposit) {
      hedging.budget().deposit(); // answered (or failed) before any hedge was due
    }
    if (r != null) {
      return r;
    }
    IOException last = e != null ? e : new IOException("Canceled");
    synchronized (this) {
      if (earlier != null) {
        for (IOException x : earlier) {
          last.addSuppressed(x); // never last itself: a final failure is taken out of earlier
        }
      }
    }
    throw last;
  }

  /**
   * Lets the caller's cancel (and its call timeout) reach every attempt's call, once, before the
   * first call of an attempt is made.
   */
  private void listenForCancel() {
    synchronized (this) {
      if (listening) {
        return;
      }
      listening = true;
    }
    call.addEventListener(
        new EventListener() {
          @Override
          public void canceled(Call c) {
            cancelAll();
          }
        });
    if (call.isCanceled()) {
      cancelAll(); // cancelled before the listener was added
    }
  }

  /** Runs one attempt's call to its end and hands the outcome on; the slot's only runner. */
  private void run(Slot s) {
    Response response = null;
    IOException error = null;
    boolean fatal = false;
    try {
      response = s.call().execute();
    } catch (IOException e) {
      error = e;
    } catch (RuntimeException | Error e) {
      fatal = true;
      error = new IOException("attempt " + s.number + " on " + s.lease.endpoint().id(), e);
    }
    s.cancelUntakenLease();
    if (response != null) {
      onResponse(s, response);
    } else {
      onFailure(
          s, error != null ? error : new IOException("attempt ended without a response"), fatal);
    }
  }

  /**
   * Hands on an attempt's response: the winner, a retried status, or a loser discarded here.
   *
   * @return whether it won (then it is the caller's)
   */
  private boolean onResponse(Slot s, Response response) {
    if (hedging.adaptive() && s.startNanos != NO_START) {
      hedging.record(ticker.read() - s.startNanos);
    }
    Slot next = null;
    Slot[] losers = null;
    Lease unused;
    boolean discard = false;
    boolean retried = false;
    synchronized (this) {
      s.done = true;
      inFlight--;
      if (finished) {
        discard = true;
      } else if (service.isRetryableStatus(response.code())
          && (inFlight > 0 || (next = nextLocked(FailureKind.UNAVAILABLE)) != null)) {
        retried = true;
        earlierLocked().add(new StatusFailure(response.code(), s.lease.endpoint().address()));
      } else {
        winner = response;
        finishLocked(null);
        losers = inFlightCallsLocked();
      }
      unused = unusedLease; // taken here rather than under the lock once more
      unusedLease = null;
    }
    if (unused != null) {
      unused.onCancel();
    }
    boolean debug = LOG.isDebugEnabled(); // the messages are built only when logged
    if (discard) {
      discard(response);
      if (debug) {
        log(s, "HTTP " + response.code() + ", lost the race");
      }
      return false;
    }
    if (retried) {
      response.close(); // its attempt already reported the status; the others go on
      if (debug) {
        log(
            s,
            "HTTP "
                + response.code()
                + ", "
                + (next == null ? "waiting for the others" : "failing over"));
      }
    } else if (debug) {
      log(s, "HTTP " + response.code() + ", won");
    }
    if (losers != null) {
      cancelInFlight(losers);
    }
    if (next != null) {
      launch(next);
    }
    return !retried;
  }

  private void onFailure(Slot s, IOException e, boolean fatal) {
    Slot next = null;
    Slot[] others = null;
    Lease unused;
    synchronized (this) {
      s.done = true;
      inFlight--;
      if (finished) {
        return; // a loser's cancel, or an attempt that ended after the call gave up
      }
      List<IOException> failures = earlierLocked();
      failures.add(e);
      if (!fatal) {
        next = nextLocked(IoErrors.retryKind(e));
      }
      if (next == null && (inFlight == 0 || fatal)) {
        failures.remove(e);
        finishLocked(e);
        others = inFlightCallsLocked();
      }
      unused = unusedLease;
      unusedLease = null;
    }
    if (unused != null) {
      unused.onCancel();
    }
    if (LOG.isDebugEnabled()) {
      log(s, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    if (others != null) {
      cancelInFlight(others);
    }
    if (next != null) {
      launch(next);
    }
  }

  @Override
  public void timerFired() {
    hedge();
  }

  /** The hedge timer's task: sends the next attempt if the call is still waiting and may. */
  private void hedge() {
    Slot next;
    synchronized (this) {
      timer = null;
      sharedTimer = null;
      if (finished || attempts >= maxAttempts) {
        return;
      }
      hedged = true;
      Lease lease = pickLocked();
      if (lease == null) {
        LOG.debug("{}: hedge not sent, no other endpoint can take it", service.host());
        return;
      }
      if (hedging.budget().tryWithdraw()) {
        next = newSlotLocked(lease);
      } else {
        // Picked first, so that a hedge with nowhere to go spends no budget.
        unusedLease = lease;
        next = null;
      }
    }
    if (next == null) {
      cancelUnusedLease();
      LOG.debug("{}: hedge not sent, hedging budget exhausted", service.host());
      return;
    }
    launch(next);
  }

  /** Cancels every attempt in flight: the caller cancelled its call, or its timeout fired. */
  private void cancelAll() {
    Slot[] calls;
    synchronized (this) {
      if (finished) {
        return;
      }
      finishLocked(new IOException("Canceled"));
      calls = inFlightCallsLocked();
    }
    cancelInFlight(calls);
  }

  /** Starts a hedge or failover attempt on the dispatcher's executor. */
  private void launch(Slot s) {
    listenForCancel();
    attach(s);
    try {
      client.dispatcher().executorService().execute(() -> run(s));
    } catch (RejectedExecutionException e) {
      s.cancelUntakenLease();
      onFailure(s, new IOException("the dispatcher's executor refused a hedged attempt", e), false);
    }
  }

  /**
   * A new attempt on {@code lease}, a call of the hedge client; the next hedge is due a delay after
   * it starts.
   */
  private Slot newSlotLocked(Lease lease) {
    // The start is read only where it is used: the adaptive delay and the debug log.
    long start = needsStart(hedging) ? ticker.read() : NO_START;
    Slot s = new Slot(attempts + 1, lease, start, false);
    if (attempts == 0) {
      first = s;
    } else {
      Slot[] o = later;
      if (o == null) {
        o = new Slot[maxAttempts - 1];
        later = o;
      }
      o[attempts - 1] = s;
    }
    attempts++;
    inFlight++;
    cancelTimerLocked();
    if (attempts < maxAttempts) {
      HedgeTimer shared = hedging.sharedTimer();
      if (shared != null) {
        HedgeTimer.Timer t = shared.next();
        sharedTimer = t; // stored before it is armed: it may fire at once
        shared.arm(t, this, hedging.delayNanos());
      } else {
        timer = hedging.policy().scheduler().schedule(this::hedge, hedging.delayNanos());
      }
    }
    return s;
  }

  /**
   * Makes the slot's call, outside the lock: OkHttp asks the client's {@code
   * EventListener.Factory}, user code, for each new call. A call made after the hedged call
   * finished is cancelled at once.
   */
  private void attach(Slot s) {
    Call c = client.newCall(original.newBuilder().tag(Slot.class, s).build());
    if (hasDeadline) {
      c.timeout().timeout(Math.max(1, deadlineNanoTime - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
    boolean late;
    synchronized (this) {
      s.call = c;
      late = finished;
    }
    if (late) {
      c.cancel();
    }
  }

  /**
   * A failover attempt after a failure, if one may start now: attempts left, the failure retryable
   * under the service's retry rules, an endpoint no attempt used, and the retry budget.
   */
  private @Nullable Slot nextLocked(FailureKind kind) {
    if (finished
        || call.isCanceled()
        || attempts >= maxAttempts
        || !service.retryPolicy().isRetryable(kind, true)) {
      return null;
    }
    Lease lease = pickLocked();
    if (lease == null) {
      return null;
    }
    if (!service.retryPolicy().budget().tryWithdraw()) {
      unusedLease = lease; // cancelled by the caller once out of the lock
      return null;
    }
    return newSlotLocked(lease);
  }

  /** Cancels, outside the lock (a lease tells user listeners), a lease picked but not used. */
  private void cancelUnusedLease() {
    Lease l;
    synchronized (this) {
      l = unusedLease;
      unusedLease = null;
    }
    if (l != null) {
      l.onCancel();
    }
  }

  private @Nullable Lease pickLocked() {
    PickContext.Builder excluding = context.toBuilder();
    for (int i = 0; i < attempts; i++) {
      excluding.exclude(slotLocked(i).lease.endpoint().id());
    }
    return balancer.tryPick(excluding.build());
  }

  private List<IOException> earlierLocked() {
    List<IOException> list = earlier;
    if (list == null) {
      list = new ArrayList<>(2);
      earlier = list;
    }
    return list;
  }

  private void finishLocked(@Nullable IOException e) {
    finished = true;
    deposit = !hedged; // no hedge can be sent once finished, so this is final
    if (e != null) {
      failure = e;
    }
    cancelTimerLocked();
    notifyAll();
  }

  private void cancelTimerLocked() {
    Scheduler.Cancellable t = timer;
    if (t != null) {
      t.cancel();
      timer = null;
    }
    HedgeTimer.Timer st = sharedTimer;
    if (st != null) {
      st.cancel(this); // a compare-and-set; the timer thread is not woken
      sharedTimer = null;
    }
  }

  /** The attempts still running, or null if none is (the usual case: only the winner ran). */
  private Slot @Nullable [] inFlightCallsLocked() {
    if (inFlight == 0) {
      return null;
    }
    Slot[] running = new Slot[inFlight];
    int n = 0;
    for (int i = 0; i < attempts; i++) {
      Slot s = slotLocked(i);
      if (!s.done) {
        running[n++] = s; // never the winner: cancelling its call would break its body
      }
    }
    return running;
  }

  /** The attempt sent {@code i}-th, from 0; {@code i < attempts}. */
  private Slot slotLocked(int i) {
    return requireNonNull(i == 0 ? first : requireNonNull(later)[i - 1]);
  }

  private static void cancelInFlight(Slot @Nullable [] inFlight) {
    if (inFlight == null) {
      return;
    }
    for (Slot s : inFlight) {
      s.cancel(); // an attempt that already ended ignores it
    }
  }

  /** A response that lost the race: its lease is told it was cancelled, then it is closed. */
  private static void discard(Response response) {
    Attempt attempt = response.request().tag(Attempt.class);
    if (attempt != null) {
      attempt.end(Attempt.Report.CANCEL, 0, null);
    }
    response.close();
  }

  private void log(Slot s, String outcome) {
    log(service, original, s.number, s.lease, s.startNanos, hedging, outcome);
  }

  /** Logs an attempt's outcome at debug level. */
  static void log(
      Service service,
      Request original,
      int number,
      Lease lease,
      long startNanos,
      Hedging hedging,
      String outcome) {
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "{} hedged attempt {}: {} {} -> {}: {} in {} ms",
          service.host(),
          number,
          original.method(),
          original.url().encodedPath(),
          lease.endpoint().id(),
          outcome,
          startNanos == NO_START
              ? "?"
              : String.format("%.1f", (hedging.policy().ticker().read() - startNanos) / 1e6));
    }
  }

  /**
   * One attempt of a hedged call, carried as its call's tag: its number, its lease until the
   * attempt takes it, and its call.
   */
  final class Slot {
    private static final VarHandle TAKEN;
    private static final VarHandle ATTEMPT;

    static {
      try {
        TAKEN = MethodHandles.lookup().findVarHandle(Slot.class, "taken", boolean.class);
        ATTEMPT = MethodHandles.lookup().findVarHandle(Slot.class, "attempt", Attempt.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final int number;
    final Lease lease;
    final long startNanos;
    private final boolean inline;

    @SuppressWarnings("UnusedVariable") // read and written through TAKEN
    private volatile boolean taken; // by TAKEN: a field, not an AtomicBoolean, one object less

    private volatile @Nullable Call call; // set once, under HedgedCall.this, before the call runs
    private boolean done; // guarded by HedgedCall.this
    private volatile @Nullable Attempt attempt; // the attempt running now
    private volatile boolean cancelled;

    Slot(int number, Lease lease, long startNanos, boolean inline) {
      this.number = number;
      this.lease = lease;
      this.startNanos = startNanos;
      this.inline = inline;
    }

    /** Whether this attempt runs on the caller's own chain rather than as a call of its own. */
    boolean inline() {
      return inline;
    }

    /** Records the attempt running in this slot; aborts it if the slot was cancelled already. */
    void started(Attempt a) {
      attempt = a;
      if (cancelled && inline) {
        a.abort();
      }
    }

    /**
     * Records {@code a}, the attempt that ran before this slot existed, unless its runner told this
     * slot of one already (that one is the same or later).
     */
    void adopt(Attempt a) {
      if (ATTEMPT.compareAndSet(this, (Attempt) null, a) && cancelled && inline) {
        a.abort();
      }
    }

    /** The hedged call this attempt belongs to. */
    HedgedCall owner() {
      return HedgedCall.this;
    }

    /**
     * Stops this attempt because the call is decided without it: its own call is cancelled, or, for
     * the inline attempt, its exchange aborted (the caller's call must go on, to return the
     * winner). Either way its lease is reported as cancelled.
     */
    void cancel() {
      cancelled = true;
      Call c = call;
      if (c != null) {
        c.cancel(); // a call that already ended ignores it
      }
      Attempt a = attempt;
      if (a != null && inline) {
        a.abort();
      }
    }

    Call call() {
      Call c = call;
      if (c == null) {
        throw new IllegalStateException("slot " + number + " has no call");
      }
      return c;
    }

    /**
     * Runs this attempt inside its own call's interceptor chain: one {@link BalancedCall} attempt
     * on this slot's lease, with the caller's chain's timeouts.
     */
    Response proceed(Chain attemptChain) throws IOException {
      if (!TAKEN.compareAndSet(this, false, true)) {
        throw new IOException("Canceled");
      }
      Chain c =
          attemptChain
              .withConnectTimeout(chain.connectTimeoutMillis(), TimeUnit.MILLISECONDS)
              .withReadTimeout(chain.readTimeoutMillis(), TimeUnit.MILLISECONDS)
              .withWriteTimeout(chain.writeTimeoutMillis(), TimeUnit.MILLISECONDS);
      c = LoadBalancingInterceptor.configure(c, service);
      return new BalancedCall(service, c, original, balancer, context, this).execute();
    }

    /** Cancels the lease if no attempt took it (its call never reached the interceptor). */
    void cancelUntakenLease() {
      if (TAKEN.compareAndSet(this, false, true)) {
        lease.onCancel();
      }
    }

    @Override
    public String toString() {
      return "HedgedCall.Slot{" + number + " on " + lease.endpoint().id() + "}";
    }
  }
}
