package dev.lb.okhttp;

import dev.lb.Scheduler;
import dev.lb.Ticker;
import java.time.Duration;
import java.util.Locale;

/**
 * How a {@link Service} hedges its idempotent requests: when an attempt has not answered within the
 * hedge delay, a second attempt (and up to {@link Builder#maxAttempts} in all) goes to an endpoint
 * no sibling attempt uses; the first response wins and the others are cancelled. An immutable
 * value; thread-safe.
 *
 * <p>Design note. This is the hedged request of Dean and Barroso, "The Tail at Scale" (CACM 2013):
 * "defer sending a secondary request until the first request has been outstanding for more than the
 * 95th-percentile expected latency", which limits the extra load to about 5 % while cutting the
 * tail that stragglers cause. The delay is either {@linkplain Builder#delay fixed} or {@linkplain
 * Builder#adaptiveDelay adaptive}: a percentile of the service's recent attempt latencies, kept by
 * a lock-free log-bucketed histogram over two rotating windows. A hedging budget bounds the extra
 * load whatever the delay: a {@link dev.lb.retry.RetryBudget} of its own (Finagle's windowed
 * budget) into which only the calls answered before their hedge delay deposit, and from which every
 * hedge must withdraw. So over every {@link Builder#budgetWindow window} the hedges are at most
 * {@link Builder#budgetPercent} of the calls that did not need one, plus {@link
 * Builder#budgetMinPerSecond} per second; and when every endpoint is slow (no call answers within
 * the delay) nothing is deposited and, once the window has passed, hedging is off but for that
 * floor (none by default) until calls are fast again: a hedge to another slow endpoint would only
 * add load. Failover attempts inside a hedged call (after an attempt failed) spend the service's
 * retry budget, as retries do.
 *
 * <pre>{@code
 * Service users = Service.builder("users")
 *     .defaultTarget(balancer)
 *     .hedging(HedgingPolicy.builder().adaptiveDelay(0.98).maxAttempts(3).build())
 *     .build();
 * }</pre>
 *
 * <p>Choosing the percentile: put it above 1 minus the budget (p97 to p98 for the default 5 %). At
 * p95 about 5 % of the calls want a hedge, more than a 5 % budget fed by the calls answered in time
 * can pay for, and the hedges it refuses include the stragglers that hedging is for (the
 * simulator's {@code hedging_fan_out} scenario, in {@code benchmarks/results/simulation.md}).
 *
 * <p>What is hedged: requests with an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS, TRACE),
 * and other requests only when they carry the service's {@link Service.Builder#idempotencyKeyHeader
 * idempotency key} (every attempt then carries the same key). Never a one-shot or duplex request
 * body, and never when the call's group has a single endpoint. {@link
 * Service.Builder#retryNonIdempotent} does not make a request hedgeable.
 */
public final class HedgingPolicy {
  /** The default {@link Builder#maxAttempts}: the original attempt and one hedge. */
  public static final int DEFAULT_MAX_ATTEMPTS = 2;

  /** The largest {@link Builder#maxAttempts}, as gRPC's hedging policy allows. */
  public static final int MAX_ATTEMPTS = 5;

  /** The default {@link Builder#budgetPercent}: hedges add at most 5 % of the calls. */
  public static final double DEFAULT_BUDGET_PERCENT = 0.05;

  /** The default {@link Builder#budgetWindow}, in seconds. */
  public static final int DEFAULT_BUDGET_WINDOW_SECONDS = 10;

  /**
   * The default hedge timer: lb-okhttp's own {@code HedgeTimer}, one daemon thread, {@code
   * lb-okhttp-hedge-timer}, started on first use, so that hedges never wait behind lb-core's health
   * checks. Hedged calls arm and cancel it without allocating, locking or waking its thread (see
   * {@link Builder#scheduler}); this adapter is only for code that asks the policy for a scheduler.
   */
  private static final Scheduler DEFAULT_SCHEDULER =
      (task, delayNanos) -> {
        Runnable t = java.util.Objects.requireNonNull(task, "task");
        HedgeTimer.Target target = t::run;
        HedgeTimer.Timer timer = HedgeTimer.SHARED.arm(target, Math.max(0, delayNanos));
        return () -> timer.cancel(target);
      };

  private final long fixedDelayNanos;
  private final double percentile;
  private final long minDelayNanos;
  private final long maxDelayNanos;
  private final long windowNanos;
  private final int maxAttempts;
  private final double budgetPercent;
  private final int budgetMinPerSecond;
  private final Duration budgetWindow;
  private final Scheduler scheduler;
  private final Ticker ticker;

  private HedgingPolicy(Builder b) {
    this.fixedDelayNanos = b.fixedDelayNanos;
    this.percentile = b.percentile;
    this.minDelayNanos = b.minDelayNanos;
    this.maxDelayNanos = b.maxDelayNanos;
    this.windowNanos = b.windowNanos;
    this.maxAttempts = b.maxAttempts;
    this.budgetPercent = b.budgetPercent;
    this.budgetMinPerSecond = b.budgetMinPerSecond;
    this.budgetWindow = b.budgetWindow;
    this.scheduler = b.scheduler;
    this.ticker = b.ticker;
  }

  /**
   * A policy with a fixed hedge delay and the other defaults.
   *
   * @param delay how long an attempt may go unanswered before a hedge is sent; positive
   * @return a new policy
   * @throws IllegalArgumentException if {@code delay} is not positive
   * @throws NullPointerException if {@code delay} is null
   */
  public static HedgingPolicy fixedDelay(Duration delay) {
    return builder().delay(delay).build();
  }

  /**
   * Returns a builder: a fixed delay of 100 ms, {@value #DEFAULT_MAX_ATTEMPTS} attempts at most, a
   * budget of 5 % of the calls of the last 10 s with no floor, a shared hedge-timer thread and the
   * system ticker.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether the delay adapts to the service's latency.
   *
   * @return true for {@link Builder#adaptiveDelay}
   */
  public boolean isAdaptive() {
    return percentile > 0;
  }

  /**
   * The fixed delay, or for an adaptive policy the delay used until enough latencies were seen.
   *
   * @return the delay
   */
  public Duration delay() {
    return Duration.ofNanos(fixedDelayNanos);
  }

  /**
   * The percentile an adaptive delay follows, such as 0.95; 0 for a fixed delay.
   *
   * @return the percentile in (0, 1), or 0
   */
  public double percentile() {
    return percentile;
  }

  /**
   * The least adaptive delay.
   *
   * @return the floor
   */
  public Duration minDelay() {
    return Duration.ofNanos(minDelayNanos);
  }

  /**
   * The greatest adaptive delay.
   *
   * @return the ceiling
   */
  public Duration maxDelay() {
    return Duration.ofNanos(maxDelayNanos);
  }

  /**
   * How long each latency window of an adaptive delay lasts.
   *
   * @return the window
   */
  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /**
   * The most attempts a hedged call makes, the original one included.
   *
   * @return 2 to {@value #MAX_ATTEMPTS}
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The most hedges as a share of the calls answered within their delay.
   *
   * @return the fraction, 0 to 1
   */
  public double budgetPercent() {
    return budgetPercent;
  }

  /**
   * The hedges per second the budget allows whatever the traffic.
   *
   * @return 0 or more
   */
  public int budgetMinPerSecond() {
    return budgetMinPerSecond;
  }

  /**
   * How long the budget's deposits and hedges count.
   *
   * @return whole seconds, 1 to 60
   */
  public Duration budgetWindow() {
    return budgetWindow;
  }

  Scheduler scheduler() {
    return scheduler;
  }

  /** Whether no scheduler was given: hedged calls then use the allocation-free shared timer. */
  @SuppressWarnings("ReferenceEquality") // the default is one constant
  boolean hasDefaultScheduler() {
    return scheduler == DEFAULT_SCHEDULER;
  }

  Ticker ticker() {
    return ticker;
  }

  long fixedDelayNanos() {
    return fixedDelayNanos;
  }

  long minDelayNanos() {
    return minDelayNanos;
  }

  long maxDelayNanos() {
    return maxDelayNanos;
  }

  long windowNanos() {
    return windowNanos;
  }

  @Override
  public String toString() {
    String delay =
        isAdaptive()
            ? String.format(
                Locale.ROOT,
                "p%s in [%s, %s]",
                percentile * 100,
                Duration.ofNanos(minDelayNanos),
                Duration.ofNanos(maxDelayNanos))
            : Duration.ofNanos(fixedDelayNanos).toString();
    return "HedgingPolicy{delay="
        + delay
        + ", maxAttempts="
        + maxAttempts
        + ", budget="
        + budgetPercent
        + " of "
        + budgetWindow
        + (budgetMinPerSecond > 0 ? " + " + budgetMinPerSecond + "/s" : "")
        + "}";
  }

  /** Builds a {@link HedgingPolicy}. Not thread-safe. */
  public static final class Builder {
    private long fixedDelayNanos = Duration.ofMillis(100).toNanos();
    private double percentile;
    private long minDelayNanos;
    private long maxDelayNanos;
    private long windowNanos = Duration.ofSeconds(10).toNanos();
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private double budgetPercent = DEFAULT_BUDGET_PERCENT;
    private int budgetMinPerSecond;
    private Duration budgetWindow = Duration.ofSeconds(DEFAULT_BUDGET_WINDOW_SECONDS);
    private Scheduler scheduler = DEFAULT_SCHEDULER;
    private Ticker ticker = Ticker.systemTicker();

    private Builder() {}

    /**
     * Sends a hedge when an attempt has gone unanswered this long; makes the delay fixed.
     *
     * @param delay positive
     * @return this builder
     * @throws NullPointerException if {@code delay} is null
     * @throws IllegalArgumentException if {@code delay} is not positive
     */
    public Builder delay(Duration delay) {
      this.fixedDelayNanos = Options.positiveNanos(delay, "hedge delay");
      this.percentile = 0;
      return this;
    }

    /**
     * Makes the delay follow a percentile of the service's recent attempt latencies (the time to
     * the response headers, or to the end of a buffered body), within 1 ms and 1 s; until a window
     * of at least 100 latencies has been seen, the delay is {@link #delay} (100 ms unless set).
     *
     * @param percentile such as 0.95; strictly between 0 and 1
     * @return this builder
     * @throws IllegalArgumentException if {@code percentile} is not in (0, 1)
     */
    public Builder adaptiveDelay(double percentile) {
      return adaptiveDelay(percentile, Duration.ofMillis(1), Duration.ofSeconds(1));
    }

    /**
     * Makes the delay follow a percentile of the service's recent attempt latencies, clamped to
     * {@code [min, max]}.
     *
     * @param percentile such as 0.95; strictly between 0 and 1
     * @param min the least delay; positive
     * @param max the greatest delay; at least {@code min}
     * @return this builder
     * @throws NullPointerException if {@code min} or {@code max} is null
     * @throws IllegalArgumentException if {@code percentile} is not in (0, 1), a bound is not
     *     positive, or {@code max < min}
     */
    public Builder adaptiveDelay(double percentile, Duration min, Duration max) {
      if (!(percentile > 0 && percentile < 1)) {
        throw new IllegalArgumentException(
            "hedge delay percentile must be in (0, 1) but was " + percentile);
      }
      long lo = Options.positiveNanos(min, "min hedge delay");
      long hi = Options.positiveNanos(max, "max hedge delay");
      if (hi < lo) {
        throw new IllegalArgumentException(
            "max hedge delay must be at least the min (" + min + ") but was " + max);
      }
      this.percentile = percentile;
      this.minDelayNanos = lo;
      this.maxDelayNanos = hi;
      return this;
    }

    /**
     * How long each latency window of an adaptive delay lasts; the delay is recomputed from the
     * window that just ended. Default 10 s.
     *
     * @param window positive
     * @return this builder
     * @throws NullPointerException if {@code window} is null
     * @throws IllegalArgumentException if {@code window} is not positive
     */
    public Builder window(Duration window) {
      this.windowNanos = Options.positiveNanos(window, "hedge latency window");
      return this;
    }

    /**
     * The most attempts of a hedged call, the original one included: 2 sends one hedge, 3 a second
     * one a delay after the first. Failover attempts (after an attempt failed) count too. Default
     * {@value HedgingPolicy#DEFAULT_MAX_ATTEMPTS}.
     *
     * @param attempts 2 to {@value HedgingPolicy#MAX_ATTEMPTS}
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is out of range
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 2 || attempts > MAX_ATTEMPTS) {
        throw new IllegalArgumentException(
            "hedging max attempts must be 2 to " + MAX_ATTEMPTS + " but was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * The bound on hedges as a share of the calls answered within their hedge delay, over the
     * budget's window. Default 0.05 (5 %).
     *
     * @param fraction 0 to 1
     * @return this builder
     * @throws IllegalArgumentException if {@code fraction} is not in [0, 1]
     */
    public Builder budgetPercent(double fraction) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException(
            "hedging budget percent must be in [0, 1] but was " + fraction);
      }
      this.budgetPercent = fraction;
      return this;
    }

    /**
     * Hedges per second the budget allows whatever the traffic, so that a quiet client can still
     * hedge; they are allowed even when every endpoint is slow. Default 0.
     *
     * @param hedges 0 to 1,000,000
     * @return this builder
     * @throws IllegalArgumentException if {@code hedges} is out of range
     */
    public Builder budgetMinPerSecond(int hedges) {
      if (hedges < 0 || hedges > 1_000_000) {
        throw new IllegalArgumentException(
            "hedging budget min per second must be 0 to 1000000 but was " + hedges);
      }
      this.budgetMinPerSecond = hedges;
      return this;
    }

    /**
     * How long the budget's deposits and hedges count. Default {@value
     * HedgingPolicy#DEFAULT_BUDGET_WINDOW_SECONDS} s.
     *
     * @param window whole seconds, 1 to 60
     * @return this builder
     * @throws NullPointerException if {@code window} is null
     * @throws IllegalArgumentException if {@code window} is out of range or not whole seconds
     */
    public Builder budgetWindow(Duration window) {
      Duration w = Options.notNull(window, "hedging budget window");
      if (w.toSeconds() < 1 || w.toSeconds() > 60 || w.toNanosPart() != 0) {
        throw new IllegalArgumentException(
            "hedging budget window must be whole seconds from 1s to 60s but was " + w);
      }
      this.budgetWindow = w;
      return this;
    }

    /**
     * The scheduler whose timer sends hedges; its task only picks an endpoint and hands the hedge
     * to the client's dispatcher executor. Every hedged call arms one timer and nearly always
     * cancels it. Default: lb-okhttp's shared hedge timer (one daemon thread, {@code
     * lb-okhttp-hedge-timer}), which a call arms and cancels without allocating, locking or waking
     * its thread; in steady traffic the thread wakes about once per hedge delay, however many calls
     * there are. A scheduler given here (tests pass a fake one) is asked for a task per hedged call
     * and told to cancel it, at whatever that costs it.
     *
     * @param scheduler must not be null
     * @return this builder
     * @throws NullPointerException if {@code scheduler} is null
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Options.notNull(scheduler, "scheduler");
      return this;
    }

    /**
     * The clock of attempt latencies and latency windows. Default the system ticker.
     *
     * @param ticker must not be null
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Options.notNull(ticker, "ticker");
      return this;
    }

    /**
     * Returns the policy.
     *
     * @return a new immutable policy
     */
    public HedgingPolicy build() {
      return new HedgingPolicy(this);
    }
  }
}
