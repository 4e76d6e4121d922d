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
 * <p>Thread-safe and lock-free: a withdrawal is one compare-and-set on the balance, so concurrent
 * retries never overdraw it; deposits are atomic adds. A slice that expires is emptied by the first
 * thread to see the new slice; an amount added concurrently with that step may be emptied with it.
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
  private final AtomicLongArray deposits = new AtomicLongArray(SLICES);
  // One slice more than deposits: a withdrawal counts for at least ttl (see the class comment).
  private final AtomicLongArray withdrawals = new AtomicLongArray(SLICES + 1);
  private final AtomicLong balance = new AtomicLong();
  private final AtomicLong latestSlice;
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
    long slice = advance();
    // Into the current slice, or the oldest live one if another thread moved the window past this
    // thread's clock reading.
    long live = Math.max(slice, latestSlice.get() - SLICES + 1);
    deposits.getAndAdd((int) Math.floorMod(live, (long) SLICES), deposit);
    balance.getAndAdd(deposit);
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
    long slice = advance();
    while (true) {
      long b = balance.get();
      if (b + reserve < WITHDRAWAL) {
        refused.increment();
        if (exhausted.compareAndSet(false, true)) {
          notifyListeners(true);
        }
        return false;
      }
      if (balance.compareAndSet(b, b - WITHDRAWAL)) {
        // Into the newest slice, so that it expires no earlier than ttl from now.
        long newest = Math.max(slice, latestSlice.get());
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
    advance();
    return Math.max(0, (balance.get() + reserve) / WITHDRAWAL);
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
   * Moves the window to the current slice, emptying the slices that expired; returns the slice of
   * this thread's clock reading. Entering slice {@code s} expires the deposits of slice {@code s -
   * SLICES} and the withdrawals of slice {@code s - SLICES - 1}, whose ring positions slice {@code
   * s} reuses.
   */
  private long advance() {
    long now = Math.floorDiv(ticker.read(), sliceNanos);
    long latest = latestSlice.get();
    while (now > latest) {
      if (latestSlice.compareAndSet(latest, now)) {
        for (long s = Math.max(latest + 1, now - SLICES); s <= now; s++) {
          long withdrawn = withdrawals.getAndSet((int) Math.floorMod(s, (long) (SLICES + 1)), 0);
          long deposited =
              s > now - SLICES ? deposits.getAndSet((int) Math.floorMod(s, (long) SLICES), 0) : 0;
          if (deposited != withdrawn) {
            balance.getAndAdd(withdrawn - deposited);
          }
        }
        return now;
      }
      latest = latestSlice.get();
    }
    return now;
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
