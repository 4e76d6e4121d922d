package dev.lb.okhttp;

import dev.lb.Ticker;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The default hedge timer: arming and cancelling a hedged call's first timer allocate nothing, take
 * no lock and, in steady traffic, wake no thread.
 *
 * <p>Why not a {@link java.util.concurrent.ScheduledExecutorService}. Nearly every hedged call
 * answers before its hedge is due, so its timer is armed and cancelled and never fires. An executor
 * allocates a task and a future per call, takes its queue's lock twice, and either leaves the
 * cancelled task queued until it is due (then its thread wakes once per call, a delay later) or
 * removes it at once (then it searches the queue). Measured on loopback GETs that was most of what
 * a configured hedge cost a call that never hedged.
 *
 * <p>How this timer works. Each thread that arms a first hedge timer gets one {@link Timer} of its
 * own, reused for every call it makes (a thread runs one hedged call's first attempt at a time); a
 * second timer armed on a thread whose own is busy (a nested call, the later hedges of a call) is a
 * one-off. Arming writes the timer's deadline and owner; cancelling is a compare-and-set of the
 * owner to null. The timer thread scans the armed timers when the earliest deadline it knows of
 * comes ({@link #runDue}), fires the due ones (a compare-and-set of the owner, so a timer fires or
 * is cancelled, never both) and sleeps until the next deadline. A timer armed with a deadline
 * earlier than the timer thread's wake-up wakes it; in steady traffic that never happens, because
 * after a scan that found nothing armed the thread sleeps one delay (of the last timer armed)
 * rather than forever, and every timer armed meanwhile is due after that. So the thread wakes about
 * once per hedge delay while calls flow, however many calls there are, and scans one timer per
 * thread that makes hedged calls.
 *
 * <p>Thread-safe. Targets are told on the timer thread and must be quick and must not block.
 */
final class HedgeTimer {
  /** The timer every policy with the default scheduler uses; its thread starts on first use. */
  static final HedgeTimer SHARED = new HedgeTimer(Ticker.systemTicker(), true);

  /** What a timer tells when it fires. */
  interface Target {
    /** The timer fired: its delay passed before it was cancelled. Quick and non-blocking. */
    void timerFired();
  }

  private final Ticker ticker;
  private final boolean threaded;

  /** Every thread's own timer, scanned on each wake; pruned when its thread is gone. */
  private final CopyOnWriteArrayList<Timer> reusable = new CopyOnWriteArrayList<>();

  /** One-off timers, dropped once fired or cancelled. */
  private final ConcurrentLinkedQueue<Timer> oneOff = new ConcurrentLinkedQueue<>();

  private final ThreadLocal<Timer> own = ThreadLocal.withInitial(this::newOwnTimer);

  /**
   * When the timer thread will next wake, on the ticker; {@link Long#MAX_VALUE} while it scans, so
   * that a timer armed during a scan wakes it once more (an unpark before a park is not lost).
   */
  private final AtomicLong wakeAt = new AtomicLong(Long.MAX_VALUE);

  /** The delay of the last timer armed: how long the thread sleeps after a scan found none. */
  private volatile long lastDelayNanos = 1_000_000_000L;

  private volatile @Nullable Thread thread;

  /**
   * A timer on {@code ticker}; with {@code threaded} false no thread is started and {@link #runDue}
   * is called by hand (tests, on fake time).
   */
  HedgeTimer(Ticker ticker, boolean threaded) {
    this.ticker = ticker;
    this.threaded = threaded;
  }

  /**
   * Arms a timer that tells {@code target} after {@code delayNanos}, unless cancelled first.
   *
   * @return the timer, to {@link Timer#cancel} with the same target
   */
  Timer arm(Target target, long delayNanos) {
    Timer t = next();
    arm(t, target, delayNanos);
    return t;
  }

  /**
   * The timer this thread arms next: its own, or a one-off if its own is busy (a nested call, the
   * later hedges of a call). Taken before {@link #arm(Timer, Target, long)} so that a caller can
   * store it before it may fire.
   */
  Timer next() {
    Timer t = own.get();
    return t.owner == null ? t : new Timer(null);
  }

  /**
   * Arms {@code t}, from {@link #next()} on this thread, to tell {@code target} after {@code
   * delayNanos} unless cancelled first. Every write this thread made before is visible to the
   * target when it is told (the owner is a volatile the timer thread reads first).
   */
  void arm(Timer t, Target target, long delayNanos) {
    long deadline = ticker.read() + delayNanos;
    t.deadline = deadline;
    t.owner = target; // published after the deadline: the scan reads the owner first
    if (t.thread == null) {
      // Queued once armed: a scan that met it unarmed would drop it as ended.
      oneOff.add(t);
    }
    if (lastDelayNanos != delayNanos) {
      lastDelayNanos = delayNanos;
    }
    long w = wakeAt.get();
    while (deadline - w < 0) { // earlier than the thread's wake-up: bring it forward
      if (wakeAt.compareAndSet(w, deadline)) {
        wake();
        break;
      }
      w = wakeAt.get();
    }
  }

  private Timer newOwnTimer() {
    Timer t = new Timer(Thread.currentThread());
    reusable.add(t);
    return t;
  }

  private void wake() {
    if (!threaded) {
      return;
    }
    Thread t = thread;
    if (t == null) {
      synchronized (this) {
        t = thread;
        if (t == null) {
          t = new Thread(this::loop, "lb-okhttp-hedge-timer");
          t.setDaemon(true);
          thread = t;
          t.start();
          return;
        }
      }
    }
    LockSupport.unpark(t);
  }

  private void loop() {
    while (true) {
      wakeAt.set(Long.MAX_VALUE);
      long next = runDue();
      long now = ticker.read();
      if (next == Long.MAX_VALUE) {
        next = now + lastDelayNanos; // nothing armed: sleep a delay, see the class comment
      }
      // An arm since the scan lowered wakeAt below MAX_VALUE and unparked this thread already.
      if (!wakeAt.compareAndSet(Long.MAX_VALUE, next)) {
        next = Math.min(next, wakeAt.get());
      }
      long sleep = next - now;
      if (sleep > 0) {
        LockSupport.parkNanos(this, sleep);
      }
    }
  }

  /**
   * Fires every armed timer whose deadline has passed and forgets the ended ones.
   *
   * @return the earliest deadline still armed, or {@link Long#MAX_VALUE} if none is
   */
  long runDue() {
    long now = ticker.read();
    long next = Long.MAX_VALUE;
    for (Timer t : reusable) {
      Thread owner = t.thread;
      if (t.owner == null && owner != null && !owner.isAlive()) {
        reusable.remove(t);
        continue;
      }
      next = Math.min(next, t.fireIfDue(now));
    }
    for (Iterator<Timer> it = oneOff.iterator(); it.hasNext(); ) {
      Timer t = it.next();
      long d = t.fireIfDue(now);
      if (d == Long.MAX_VALUE) {
        it.remove(); // fired or cancelled: a one-off is never armed again
      } else {
        next = Math.min(next, d);
      }
    }
    return next;
  }

  /** How many timers are scanned now: threads' own and one-offs (for tests). */
  int size() {
    return reusable.size() + oneOff.size();
  }

  /**
   * One armed timer; a thread's own is armed again and again, a one-off once. Cancelled with the
   * target it was armed for, so that a late cancel never disarms the timer's next use.
   */
  static final class Timer {
    private static final java.lang.invoke.VarHandle OWNER;

    static {
      try {
        OWNER =
            java.lang.invoke.MethodHandles.lookup()
                .findVarHandle(Timer.class, "owner", Target.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final @Nullable Thread thread; // the thread it belongs to; null for a one-off
    private volatile @Nullable Target owner;
    private volatile long deadline;

    private Timer(@Nullable Thread thread) {
      this.thread = thread;
    }

    /**
     * Cancels the timer if it is still armed for {@code target}.
     *
     * @return true if this cancelled it, false if it fired or was cancelled already
     */
    boolean cancel(Target target) {
      return OWNER.compareAndSet(this, target, null);
    }

    /** Fires if due; returns the deadline if still armed, else {@link Long#MAX_VALUE}. */
    private long fireIfDue(long now) {
      Target o = owner;
      if (o == null) {
        return Long.MAX_VALUE;
      }
      long d = deadline; // read after the owner: the deadline armed with it, or a later one
      if (d - now > 0) {
        return d;
      }
      if (OWNER.compareAndSet(this, o, null)) {
        try {
          o.timerFired();
        } catch (RuntimeException | Error e) {
          LoggerFactory.getLogger(LoadBalancingInterceptor.class)
              .warn("a hedge timer's task failed", e);
        }
      }
      return owner == null ? Long.MAX_VALUE : deadline; // re-armed meanwhile: still scanned
    }
  }
}
