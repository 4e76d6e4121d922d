package dev.lb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A reading of a monotonic clock kept fresh by one daemon thread, for the estimators' time stamps:
 * reading it is one volatile read where {@link System#nanoTime()} costs a call into the vDSO (about
 * 20 ns on a virtual machine, a fifth of a peak-EWMA pick and release). Envoy's dispatchers keep
 * the same kind of approximate time per event-loop turn, Agrona a {@code CachedNanoClock}.
 *
 * <p><b>How fresh.</b> While it is read, the thread {@linkplain #tick() refreshes} the reading
 * every {@link #TICK_NANOS} (1 ms), so a reading lags the clock by at most one tick plus however
 * long the thread waits for a CPU. It never runs ahead of the clock, and the kept reading never
 * goes backwards (a reader that found it stale and read the clock itself may be up to a tick ahead
 * of the next kept reading). Readers that lag together stamp their estimators alike, so the
 * orderings pickers make from the stamps hardly move: {@link MetricsClock} uses this clock only
 * when its decay window is at least {@link MetricsClock#COARSE_MIN_WINDOW_NANOS} (1,024 ticks), so
 * that a lag of one tick weighs at most 1/1024 of the window.
 *
 * <p><b>Idle.</b> A reader marks the reading used (one write per tick at most, since the flag stays
 * set until the thread clears it). After {@link #IDLE_TICKS} ticks without a use, the thread marks
 * the reading stale and parks until woken; a reader that finds it stale reads the clock itself,
 * exactly, and wakes the thread. So a process that stops calling costs nothing, and the first calls
 * after a silence read the clock until the next tick.
 *
 * <p>Thread-safe, lock-free for readers, allocation-free. {@link #SYSTEM} reads {@link
 * System#nanoTime()}, the {@linkplain Ticker#systemTicker() system ticker}'s source; tests build
 * their own over a fake source and call {@link #tick()} instead of starting the thread.
 */
final class CoarseClock extends CoarseClockFields {
  /** How often the thread refreshes the reading while it is read. */
  static final long TICK_NANOS = 1_000_000L;

  /** Ticks without a read after which the thread parks: a second. */
  static final int IDLE_TICKS = 1_000;

  /** The process-wide clock over {@link System#nanoTime()}; its thread starts on first use. */
  static final CoarseClock SYSTEM = new CoarseClock(System::nanoTime, true);

  // Trailing padding: keeps the reading off the line of whatever object comes next.
  @SuppressWarnings("unused")
  private byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013;
  @SuppressWarnings("unused")
  private byte q014, q015, q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027;
  @SuppressWarnings("unused")
  private byte q028, q029, q030, q031, q032, q033, q034, q035, q036, q037, q038, q039, q040, q041;
  @SuppressWarnings("unused")
  private byte q042, q043, q044, q045, q046, q047, q048, q049, q050, q051, q052, q053, q054, q055;
  @SuppressWarnings("unused")
  private byte q056, q057, q058, q059, q060, q061, q062, q063;

  private final LongSupplier source;
  private final boolean threaded;

  /**
   * @param source the clock read exactly when the reading is stale, and by every tick
   * @param threaded whether a stale read starts or wakes the ticking thread; false in tests, which
   *     call {@link #tick()} themselves
   */
  CoarseClock(LongSupplier source, boolean threaded) {
    this.source = source;
    this.threaded = threaded;
  }

  /**
   * The clock, to within a tick (see the class comment): the kept reading, or an exact read of the
   * source if the reading is stale.
   */
  long read() {
    long r = (long) READING.getAcquire(this);
    if (r != STALE) {
      if (!(boolean) USED.getOpaque(this)) {
        USED.setOpaque(this, true);
      }
      return r;
    }
    return readExactly();
  }

  /** The stale path: the source itself, and the thread woken (or started, the first time). */
  private long readExactly() {
    USED.setOpaque(this, true);
    if (threaded) {
      // A plain read first: until the woken thread's first tick, every read comes here, and a
      // failed compare-and-set would still take the line exclusively.
      int s = (int) STATE.getVolatile(this);
      if (s == SLEEPING && STATE.compareAndSet(this, SLEEPING, RUNNING)) {
        LockSupport.unpark(thread);
      } else if (s == UNSTARTED && STATE.compareAndSet(this, UNSTARTED, RUNNING)) {
        start();
      }
    }
    return source.getAsLong();
  }

  /**
   * Starts the ticking thread. If the thread cannot be made (a process out of threads), the clock
   * stays stale for good: readers read the source exactly, as without this class.
   */
  private void start() {
    try {
      Thread t = new Thread(this::run, "lb-clock");
      t.setDaemon(true);
      thread = t;
      t.start();
    } catch (RuntimeException | OutOfMemoryError e) {
      STATE.setVolatile(this, FAILED);
    }
  }

  private void run() {
    int idle = 0;
    while (true) {
      if (!tick()) {
        idle = 0;
      } else if (++idle >= IDLE_TICKS) {
        idle = 0;
        sleep();
        continue;
      }
      LockSupport.parkNanos(this, TICK_NANOS);
    }
  }

  /**
   * One tick: refreshes the reading from the source and clears the used mark.
   *
   * @return true if nobody read the clock since the previous tick
   */
  boolean tick() {
    boolean idle = !(boolean) USED.getOpaque(this);
    USED.setOpaque(this, false);
    long now = Math.max(source.getAsLong(), lastTicked);
    lastTicked = now;
    READING.setRelease(this, now);
    return idle;
  }

  /**
   * Marks the reading stale and parks until a reader wakes the thread. The state is set before the
   * reading, so a reader that sees the stale reading also sees a state it can wake.
   */
  private void sleep() {
    STATE.setVolatile(this, SLEEPING);
    markStale();
    while ((int) STATE.getVolatile(this) == SLEEPING) {
      LockSupport.park(this);
    }
  }

  /** Makes readers read the source exactly until the next tick. */
  void markStale() {
    READING.setVolatile(this, STALE);
  }

  @Override
  public String toString() {
    return "CoarseClock{" + ((long) READING.getAcquire(this) == STALE ? "stale" : "ticking") + "}";
  }
}

/** {@link CoarseClock}'s fields, after 64 bytes of padding and in one line of their own. */
@SuppressWarnings("unused")
abstract class CoarseClockPadding {
  byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014;
  byte p015, p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029;
  byte p030, p031, p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044;
  byte p045, p046, p047, p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059;
  byte p060, p061, p062, p063;
}

/** What readers read (the reading and the used mark) and what only the ticking thread touches. */
abstract class CoarseClockFields extends CoarseClockPadding {
  /** The reading while the thread ticks; {@code Long.MIN_VALUE} when stale. */
  static final long STALE = Long.MIN_VALUE;

  static final int UNSTARTED = 0;
  static final int RUNNING = 1;
  static final int SLEEPING = 2;
  static final int FAILED = 3;

  static final VarHandle READING;
  static final VarHandle USED;
  static final VarHandle STATE;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      READING = l.findVarHandle(CoarseClockFields.class, "reading", long.class);
      USED = l.findVarHandle(CoarseClockFields.class, "used", boolean.class);
      STATE = l.findVarHandle(CoarseClockFields.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Through {@link #READING}; stale until the first tick. */
  @SuppressWarnings("unused")
  volatile long reading = STALE;

  /**
   * Through {@link #USED}, opaque: set by readers, cleared by each tick, whether the clock was read
   * since. Racy on purpose: a lost mark only parks the thread a tick early or late.
   */
  @SuppressWarnings("unused")
  boolean used;

  /** The last reading ticked, so that a reading never goes backwards; only the thread uses it. */
  long lastTicked = Long.MIN_VALUE;

  /**
   * Through {@link #STATE}: {@link #UNSTARTED}, {@link #RUNNING}, {@link #SLEEPING}, or {@link
   * #FAILED} if the thread could not be started.
   */
  @SuppressWarnings("unused")
  volatile int state = UNSTARTED;

  /** The ticking thread, once started. */
  volatile @Nullable Thread thread;
}
