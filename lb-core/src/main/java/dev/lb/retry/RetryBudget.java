package dev.lb.retry;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the retries of a whole client: retries may add at most {@code percentCanRetry} of the
 * recent requests, plus a floor of {@code minRetriesPerSecond} so that a quiet client can still
 * retry. Share one budget among every call of a client (or of a balancer).
 *
 * <p>Design note. This is Finagle's {@code RetryBudget} (its defaults: 20 % of requests, 10 retries
 * per second, a 10 s window). Every request {@link #deposit()}s; every retry must {@link
 * #tryWithdraw()} first. Deposits and withdrawals are kept in windowed sums of slices a hundredth
 * of {@code ttl} long, so only the last {@code ttl} of traffic counts; a reserve of {@code
 * minRetriesPerSecond · ttl} retries is added to the sum. Slices are aligned to the ticker, so a
 * slice's amounts expire together: deposits after at most {@code ttl} (up to a slice early),
 * withdrawals after at least {@code ttl} (up to a slice late: 101 slices). Either way errs on the
 * side of fewer retries, which gives the bound: at every retry, the retries of the last {@code ttl}
 * are at most {@code percentCanRetry} of the requests of the last {@code ttl} plus the floor's
 * {@code minRetriesPerSecond · ttl}, whatever the window's alignment. (Were withdrawals expired a
 * slice early, as deposits are, a span of {@code ttl} could hold the floor's retries twice over.)
 * Amounts are integers: a request deposits {@code round(1000 · percentCanRetry)} and a retry
 * withdraws 1000, so the percentage has a resolution of 0.1 %. When a fleet fails completely,
 * retries stay below {@code percentCanRetry} of the requests plus the floor: the extra load a
 * failing fleet sees is bounded.
 *
 * <p>Thread-safe and lock-free. A deposit, the call that does not retry, is a clock read and an add
 * to a striped counter ({@link LongAdder}), so threads depositing together do not contend on one
 * cache line. A withdrawal is one compare-and-set on the amount withdrawn in the window, checked
 * against the deposits, so concurrent retries never overdraw the budget. The first thread to see a
 * new slice closes the open one (its striped count moves to the ring) and empties the slices that
 * expired. Where it stops: a deposit that races with a slice's closing may count in the next slice,
 * and so for up to a slice longer than {@code ttl}; the bound above holds but for such deposits (a
 * few per slice change, on a busy client). No deposit is lost.
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.builder().ticker(balancer.ticker()).build();
 * }</pre>
 */
public final class RetryBudget {
  private static final System.Logger LOGGER = System.getLogger(RetryBudget.class.getName());

  /**
   * Slices per ttl. A withdrawal counts up to one slice longer than ttl, so the budget may deliver
   * up to 1 / SLICES fewer retries than its bound: 1 % here, for two arrays of 100 longs.
   */
  private static final int SLICES = 100;

  private static final long WITHDRAWAL = 1000;
  private static final RetryBudget UNLIMITED = new RetryBudget();

  private final boolean unlimited;
  private final double percentCanRetry;
  private final int minRetriesPerSecond;
  private final Duration ttl;
  private final Ticker ticker;
  private final long deposit;
  private final long reserve;
  private final long sliceNanos;
  // Deposits of the open slice (latestSlice), striped: every call that does not retry adds here.
  private final LongAdder open = new LongAdder();
  // Deposits of each closed slice of the window, by slice modulo SLICES, and their sum.
  private final AtomicLongArray closed = new AtomicLongArray(SLICES);
  private final AtomicLong closedSum = new AtomicLong();
  // One slice more than deposits: a withdrawal counts for at least ttl (see the class comment).
  private final AtomicLongArray withdrawals = new AtomicLongArray(SLICES + 1);
  private final AtomicLong withdrawn = new AtomicLong();
  private final AtomicLong latestSlice;
  // Where the slice latestSlice had reached ends, in ticker nanos: a deposit before it need not
  // move the window. Written after latestSlice, so a reader may see an older, smaller value.
  private volatile long openUntil;
  private final AtomicBoolean exhausted = new AtomicBoolean();
  private final LongAdder refused = new LongAdder();
  private final Object listenerLock = new Object();
  private volatile RetryBudgetListener[] listeners = new RetryBudgetListener[0];

  private RetryBudget(Builder b) {
    this.unlimited = false;
    this.percentCanRetry = b.percentCanRetry;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.ttl = b.ttl;
    this.ticker = b.ticker;
    this.deposit = Math.round(b.percentCanRetry * WITHDRAWAL);
    this.reserve = (long) b.minRetriesPerSecond * b.ttl.toSeconds() * WITHDRAWAL;
    this.sliceNanos = b.ttl.toNanos() / SLICES;
    this.latestSlice = new AtomicLong(Math.floorDiv(ticker.read(), sliceNanos));
    this.openUntil = (latestSlice.get() + 1) * sliceNanos;
  }

  private RetryBudget() {
    this.unlimited = true;
    this.percentCanRetry = Double.POSITIVE_INFINITY;
    this.minRetriesPerSecond = Integer.MAX_VALUE;
    this.ttl = Duration.ofSeconds(1);
    this.ticker = Ticker.systemTicker();
    this.deposit = 0;
    this.reserve = Long.MAX_VALUE;
    this.sliceNanos = 1;
    this.latestSlice = new AtomicLong();
    this.openUntil = Long.MAX_VALUE;
  }

  /**
   * Returns a builder with Finagle's defaults: 20 % of requests, 10 retries per second, a 10 s
   * window, the system ticker.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A budget that allows every retry; for tests, or when another layer bounds retries.
   *
   * @return the shared unlimited budget
   */
  public static RetryBudget unlimited() {
    return UNLIMITED;
  }

  /** Records one request (first attempts only, not retries). */
  public void deposit() {
    if (unlimited || deposit == 0) {
      return;
    }
    long nanos = ticker.read();
    if (nanos >= openUntil) { // one comparison, no division, while the slice stays open
      advance(nanos);
    }
    open.add(deposit); // into the open slice, whichever it is by now
  }

  /**
   * Takes one retry from the budget if it has one.
   *
   * @return true if the retry may go ahead; false if the budget is exhausted
   */
  public boolean tryWithdraw() {
    if (unlimited) {
      return true;
    }
    advance(ticker.read());
    while (true) {
      long w = withdrawn.get();
      if (available(w) < WITHDRAWAL) {
        refused.increment();
        if (exhausted.compareAndSet(false, true)) {
          notifyListeners(true);
        }
        return false;
      }
      if (withdrawn.compareAndSet(w, w + WITHDRAWAL)) {
        // Into the newest slice, so that it expires no earlier than ttl from now.
        long newest = latestSlice.get();
        withdrawals.getAndAdd((int) Math.floorMod(newest, (long) (SLICES + 1)), WITHDRAWAL);
        if (exhausted.get() && exhausted.compareAndSet(true, false)) {
          notifyListeners(false);
        }
        return true;
      }
    }
  }

  /**
   * The retries the budget would allow now, for stats.
   *
   * @return 0 or more; {@link Long#MAX_VALUE} for {@link #unlimited()}
   */
  public long remaining() {
    if (unlimited) {
      return Long.MAX_VALUE;
    }
    advance(ticker.read());
    return Math.max(0, available(withdrawn.get()) / WITHDRAWAL);
  }

  /** The deposits of the window plus the reserve, less {@code withdrawn}. */
  private long available(long withdrawn) {
    // Read the closed slices before the open one: a slice closing in between is then counted at
    // most once (its amount leaves the open counter before it reaches closedSum).
    long deposited = closedSum.get();
    deposited += open.sum();
    return deposited + reserve - withdrawn;
  }

  /**
   * Retries refused since the budget was made, for stats.
   *
   * @return the number of {@link #tryWithdraw()} calls that returned false
   */
  public long refusedCount() {
    return refused.sum();
  }

  /**
   * The share of requests that may be retried, as a fraction (0.2 is 20 %).
   *
   * @return the configured fraction; infinite for {@link #unlimited()}
   */
  public double percentCanRetry() {
    return percentCanRetry;
  }

  /**
   * The retries per second allowed whatever the traffic.
   *
   * @return the configured floor
   */
  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /**
   * How long deposits and withdrawals count.
   *
   * @return the window
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * Registers a listener for exhaustion and replenishment.
   *
   * @param listener the listener; must be fast and must not block
   * @throws NullPointerException if {@code listener} is null
   */
  public void addListener(RetryBudgetListener listener) {
    checkNotNull(listener, "listener");
    synchronized (listenerLock) {
      RetryBudgetListener[] next = Arrays.copyOf(listeners, listeners.length + 1);
      next[next.length - 1] = listener;
      listeners = next;
    }
  }

  /**
   * Unregisters one registration of a listener.
   *
   * @param listener the listener to remove
   * @return true if it was registered
   */
  public boolean removeListener(RetryBudgetListener listener) {
    synchronized (listenerLock) {
      RetryBudgetListener[] current = listeners;
      for (int i = 0; i < current.length; i++) {
        if (current[i].equals(listener)) {
          RetryBudgetListener[] next = new RetryBudgetListener[current.length - 1];
          System.arraycopy(current, 0, next, 0, i);
          System.arraycopy(current, i + 1, next, i, current.length - i - 1);
          listeners = next;
          return true;
        }
      }
      return false;
    }
  }

  private void notifyListeners(boolean nowExhausted) {
    for (RetryBudgetListener l : listeners) {
      try {
        if (nowExhausted) {
          l.onExhausted(this);
        } else {
          l.onReplenished(this);
        }
      } catch (RuntimeException e) {
        LOGGER.log(System.Logger.Level.WARNING, "retry budget listener " + l + " failed", e);
      }
    }
  }

  /**
   * Moves the window to the slice of {@code nanos}, a reading of the ticker, unless it is there.
   * Entering slice {@code s} from {@code latest} expires the deposits of the slices up to {@code s
   * - SLICES} and the withdrawals of those up to {@code s - SLICES - 1}, whose ring positions the
   * new slices reuse, then closes slice {@code latest}: its open count moves to the ring (or is
   * dropped, if it has expired too).
   */
  private void advance(long nanos) {
    long now = Math.floorDiv(nanos, sliceNanos);
    long latest = latestSlice.get();
    while (now > latest) {
      if (latestSlice.compareAndSet(latest, now)) {
        long expiredDeposits = 0;
        long expiredWithdrawals = 0;
        for (long s = Math.max(latest + 1, now - SLICES); s <= now; s++) {
          expiredWithdrawals +=
              withdrawals.getAndSet((int) Math.floorMod(s, (long) (SLICES + 1)), 0);
          if (s > now - SLICES) {
            // Slice s - SLICES, which had this position, has expired.
            expiredDeposits += closed.getAndSet((int) Math.floorMod(s, (long) SLICES), 0);
          }
        }
        // The expired amounts leave the sum before the closing one enters it, and the closing one
        // leaves the open counter before it enters the sum (see available): a withdrawal racing
        // with this step may see fewer deposits than there are, never more.
        if (expiredDeposits != 0) {
          closedSum.getAndAdd(-expiredDeposits);
        }
        long closing = open.sumThenReset();
        if (latest > now - SLICES && closing != 0) {
          closed.getAndAdd((int) Math.floorMod(latest, (long) SLICES), closing);
          closedSum.getAndAdd(closing);
        }
        if (expiredWithdrawals != 0) {
          withdrawn.getAndAdd(-expiredWithdrawals);
        }
        openUntil = (now + 1) * sliceNanos;
        return;
      }
      latest = latestSlice.get();
    }
  }

  @Override
  public String toString() {
    return unlimited
        ? "RetryBudget{unlimited}"
        : "RetryBudget{percentCanRetry="
            + percentCanRetry
            + ", minRetriesPerSecond="
            + minRetriesPerSecond
            + ", ttl="
            + ttl
            + ", remaining="
            + remaining()
            + '}';
  }

  /**
   * Builds a {@link RetryBudget}. Not thread-safe; every setter validates its argument at once and
   * names the option in its message.
   */
  public static final class Builder {
    private double percentCanRetry = 0.2;
    private int minRetriesPerSecond = 10;
    private Duration ttl = Duration.ofSeconds(10);
    private Ticker ticker = Ticker.systemTicker();

    private Builder() {}

    /**
     * Sets the share of recent requests that may be retried, as a fraction: 0.2 (the default) is 20
     * %; up to 10 (1000 %).
     *
     * @param fraction in [0, 10]
     * @return this builder
     * @throws IllegalArgumentException if {@code fraction} is out of range
     */
    public Builder percentCanRetry(double fraction) {
      if (!(fraction >= 0 && fraction <= 10)) {
        throw new IllegalArgumentException(
            "percentCanRetry must be in [0, 10] but was " + fraction);
      }
      this.percentCanRetry = fraction;
      return this;
    }

    /**
     * Sets the retries per second allowed whatever the traffic; default 10.
     *
     * @param retries 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code retries} is negative
     */
    public Builder minRetriesPerSecond(int retries) {
      if (retries < 0 || retries > 1_000_000) {
        throw new IllegalArgumentException(
            "minRetriesPerSecond must be in 0..1000000 but was " + retries);
      }
      this.minRetriesPerSecond = retries;
      return this;
    }

    /**
     * Sets how long deposits and withdrawals count, in whole seconds from 1 s to 60 s (Finagle's
     * bounds); default 10 s.
     *
     * @param ttl the window
     * @return this builder
     * @throws NullPointerException if {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is out of range or not whole seconds
     */
    public Builder ttl(@Nullable Duration ttl) {
      Duration t = checkNotNull(ttl, "ttl");
      if (t.toSeconds() < 1 || t.toSeconds() > 60 || t.toNanosPart() != 0) {
        throw new IllegalArgumentException("ttl must be whole seconds from 1s to 60s but was " + t);
      }
      this.ttl = t;
      return this;
    }

    /**
     * Sets the clock; defaults to {@link Ticker#systemTicker()}.
     *
     * @param ticker the clock the window slides by
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public Builder ticker(@Nullable Ticker ticker) {
      this.ticker = checkNotNull(ticker, "ticker");
      return this;
    }

    /**
     * Returns the budget, empty of deposits.
     *
     * @return a new budget
     */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
