package dev.lb.strategy;

import static dev.lb.internal.Checks.checkArgument;
import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.probe.Prober;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Prequal ("probing to reduce queuing and latency"): picks by asking backends for their load
 * instead of inferring it. Each pick asks, on average, {@link Builder#probesPerPick probesPerPick}
 * random endpoints for their requests in flight (RIF) and a latency estimate at that load (a {@link
 * Prober}: lb-okhttp's {@code HttpProber}, lb-grpc's {@code GrpcProber}); the answers wait in a
 * small pool and each pick takes the best one by the hot/cold rule.
 *
 * <h2>Design (Wydrowski et al., "Load is not what you should balance: Introducing Prequal", NSDI
 * 2024)</h2>
 *
 * <p><b>Why probe.</b> In a multi-tenant fleet a replica's capacity varies (different machines,
 * other tenants' load), so neither equal shares nor the client's own view of latency (stale, one
 * client among many) says where a request will wait least. A backend's own RIF is the freshest
 * signal of its queue, and its latency at that RIF says how fast it drains; Prequal balances on the
 * two together.
 *
 * <p><b>Asynchronous, reusable probes.</b> Probes are sent off the request path and their answers
 * pooled; a pick reads the pool and never waits for a probe. Here a pick only counts itself (a
 * striped counter); every {@link Builder#probeDispatchPeriod probeDispatchPeriod} (1 ms) the
 * balancer's scheduler turns the picks counted since into probes ({@code picks x probesPerPick},
 * the fraction carried over), sent to endpoints drawn uniformly from the picker's group, at most
 * {@link Builder#maxOutstandingProbes maxOutstandingProbes} at a time. Answers are stamped with the
 * balancer's clock on receipt. An answer is used at most {@link Builder#reuseBudget reuseBudget}
 * times (2) and dropped once older than {@link Builder#maxProbeAge maxProbeAge} (1 s) or when its
 * endpoint leaves rotation; when the pool ({@link Builder#poolSize poolSize}, 8) is full a new
 * answer replaces the oldest (a small pool is a fresh one: in the simulator's Prequal regime 8
 * answers gave a p99 5% lower than 16). A probe not answered within {@link Builder#probeTimeout
 * probeTimeout} (500 ms) is cancelled and forgotten.
 *
 * <p><b>Hot/cold rule.</b> An answer is <i>hot</i> if its RIF is above the {@link
 * Builder#hotQuantile hotQuantile} (0.8) quantile of the RIFs in the pool (nearest rank), computed
 * when answers enter and at every dispatch; otherwise it is <i>cold</i>. A pick takes the cold
 * answer with the lowest latency estimate; if every answer is hot (the cold ones were used up since
 * the quantile was computed), the one with the lowest RIF. The RIF compared is the answer's plus
 * the picks this client already sent on it plus the client's own recent failures there ({@link
 * LiveEndpoint#failurePenalty}): the paper's rule is about the backend's queue, and a backend that
 * fails every call fast reports an empty queue and a low latency, so its failures must count as
 * load (with outlier detection off it is avoided from its first few failures).
 *
 * <p><b>Fallback.</b> When the pool has no usable answer (the first picks, after a silence, every
 * pooled endpoint out of rotation) a pick is its {@link Builder#fallback fallback} strategy's
 * ({@link Strategies#peakEwma() peak_ewma}). When the group has fewer than {@link
 * Builder#minEndpoints minEndpoints} (8) endpoints no probe is sent and every pick is the
 * fallback's: with few backends the pool sees each one often enough that its answers chase one
 * another, and an independent reimplementation measured Prequal 25% worse than round robin on four
 * backends, where peak EWMA is not (see benchmarks/results/simulation.md). Without a {@link
 * Builder#prober prober} (the registry's {@code prequal}) nothing is probed and every pick is the
 * fallback's; the transports that can probe take a prober through this builder.
 *
 * <p><b>Threads.</b> A pick is lock-free and allocation-free: a striped increment, one scan of the
 * pool's slots (8 by default), an atomic add on the answer taken. The dispatch runs as the
 * balancer's picker refresh ({@link Strategy#refreshPeriodNanos()}), on its scheduler, serialized
 * with membership changes; {@link Prober#probe} is called there (or on the {@link
 * Builder#probeExecutor probeExecutor}); answers enter the pool on the thread that completes the
 * probe, under a lock that picks never take. Each balancer binds its own instance ({@link
 * Strategy#bind}): the pools, the outstanding probes and the counters are per balancer, and {@link
 * dev.lb.LoadBalancer#close()} cancels every probe still outstanding and ignores late answers.
 *
 * <p>Immutable and thread-safe; one instance may serve many balancers. Strategies are equal when
 * their options are (probers and executors by their own {@code equals}).
 */
public final class Prequal implements Strategy {
  /** The name this strategy goes by in {@link dev.lb.StrategyRegistry} and stats. */
  public static final String NAME = "prequal";

  static final Prequal DEFAULT = builder().build();

  private static final System.Logger LOGGER = System.getLogger(Prequal.class.getName());

  private final @Nullable Prober prober;
  private final double probesPerPick;
  private final int poolSize;
  private final int reuseBudget;
  private final long maxProbeAgeNanos;
  private final double hotQuantile;
  private final int minEndpoints;
  private final Strategy fallback;
  private final long probeTimeoutNanos;
  private final long dispatchNanos;
  private final int maxOutstandingProbes;
  private final @Nullable Executor probeExecutor;

  private Prequal(Builder b) {
    this.prober = b.prober;
    this.probesPerPick = b.probesPerPick;
    this.poolSize = b.poolSize;
    this.reuseBudget = b.reuseBudget;
    this.maxProbeAgeNanos = b.maxProbeAgeNanos;
    this.hotQuantile = b.hotQuantile;
    this.minEndpoints = b.minEndpoints;
    this.fallback = b.fallback;
    this.probeTimeoutNanos = b.probeTimeoutNanos;
    this.dispatchNanos = b.dispatchNanos;
    this.maxOutstandingProbes = b.maxOutstandingProbes;
    this.probeExecutor = b.probeExecutor;
  }

  /**
   * Starts a builder with the defaults (no prober).
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder with this strategy's options.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.prober = prober;
    b.probesPerPick = probesPerPick;
    b.poolSize = poolSize;
    b.reuseBudget = reuseBudget;
    b.maxProbeAgeNanos = maxProbeAgeNanos;
    b.hotQuantile = hotQuantile;
    b.minEndpoints = minEndpoints;
    b.fallback = fallback;
    b.probeTimeoutNanos = probeTimeoutNanos;
    b.dispatchNanos = dispatchNanos;
    b.maxOutstandingProbes = maxOutstandingProbes;
    b.probeExecutor = probeExecutor;
    return b;
  }

  /**
   * A copy of this strategy that probes with {@code prober}; the adapters' way to supply theirs.
   *
   * @param prober the prober
   * @return a new strategy with the same options and this prober
   * @throws NullPointerException if {@code prober} is null
   */
  public Prequal withProber(Prober prober) {
    return toBuilder().prober(prober).build();
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * The prober, or null if this strategy does not probe (and picks as its fallback does).
   *
   * @return the prober; null by default
   */
  public @Nullable Prober prober() {
    return prober;
  }

  /**
   * Probes sent per pick, on average.
   *
   * @return more than 0; 1.0 by default
   */
  public double probesPerPick() {
    return probesPerPick;
  }

  /**
   * The most answers a pool holds.
   *
   * @return 1 to 64; 8 by default
   */
  public int poolSize() {
    return poolSize;
  }

  /**
   * How many picks one answer may serve.
   *
   * @return 1 or more; 2 by default
   */
  public int reuseBudget() {
    return reuseBudget;
  }

  /**
   * How old an answer may be before it is dropped.
   *
   * @return positive; 1 s by default
   */
  public Duration maxProbeAge() {
    return Duration.ofNanos(maxProbeAgeNanos);
  }

  long maxProbeAgeNanos() {
    return maxProbeAgeNanos;
  }

  /**
   * The quantile of the pool's RIFs above which an answer is hot.
   *
   * @return in [0, 1]; 0.8 by default
   */
  public double hotQuantile() {
    return hotQuantile;
  }

  /**
   * The smallest group that is probed; smaller groups pick by the fallback alone.
   *
   * @return 1 or more; 8 by default
   */
  public int minEndpoints() {
    return minEndpoints;
  }

  /**
   * The strategy that picks when the pool cannot.
   *
   * @return {@link Strategies#peakEwma()} by default
   */
  public Strategy fallback() {
    return fallback;
  }

  /**
   * How long a probe may go unanswered before it is cancelled.
   *
   * @return positive; 500 ms by default
   */
  public Duration probeTimeout() {
    return Duration.ofNanos(probeTimeoutNanos);
  }

  long probeTimeoutNanos() {
    return probeTimeoutNanos;
  }

  /**
   * How often the picks counted are turned into probes (and the pool aged).
   *
   * @return from 100 µs to 10 s; 1 ms by default
   */
  public Duration probeDispatchPeriod() {
    return Duration.ofNanos(dispatchNanos);
  }

  /**
   * The most probes one pool may have outstanding.
   *
   * @return 1 or more; 64 by default
   */
  public int maxOutstandingProbes() {
    return maxOutstandingProbes;
  }

  /**
   * Where probes are started, or null for the balancer's scheduler thread that dispatches them.
   *
   * @return the executor; null by default
   */
  public @Nullable Executor probeExecutor() {
    return probeExecutor;
  }

  @Override
  public boolean usesPeakEwma() {
    return fallback.usesPeakEwma();
  }

  @Override
  public boolean usesResponseTime() {
    return fallback.usesResponseTime();
  }

  @Override
  public boolean usesThroughput() {
    return fallback.usesThroughput();
  }

  @Override
  public long refreshPeriodNanos() {
    return prober == null ? 0L : dispatchNanos;
  }

  /**
   * Binds this strategy to one balancer: the returned instance owns that balancer's pools and
   * probes, and its {@link Strategy#close()} cancels the probes still outstanding.
   */
  @Override
  public Strategy bind(StrategyContext context) {
    checkNotNull(context, "context");
    if (prober == null) { // configured by name (properties, Spring): say that nothing probes
      LOGGER.log(
          System.Logger.Level.WARNING,
          "strategy prequal has no prober and picks as {0}: set Prequal.Builder.prober",
          fallback.name());
    }
    return new PrequalSession(this, context);
  }

  /**
   * Builds a picker outside a balancer: it has its own pool, and probes only if something calls its
   * {@link Picker#refresh}. A balancer builds its pickers with the {@linkplain #bind bound}
   * instance instead.
   */
  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    return new PrequalSession(this, context).newPicker(endpoints, context);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Prequal that
        && Objects.equals(prober, that.prober)
        && Double.compare(probesPerPick, that.probesPerPick) == 0
        && poolSize == that.poolSize
        && reuseBudget == that.reuseBudget
        && maxProbeAgeNanos == that.maxProbeAgeNanos
        && Double.compare(hotQuantile, that.hotQuantile) == 0
        && minEndpoints == that.minEndpoints
        && fallback.equals(that.fallback)
        && probeTimeoutNanos == that.probeTimeoutNanos
        && dispatchNanos == that.dispatchNanos
        && maxOutstandingProbes == that.maxOutstandingProbes
        && Objects.equals(probeExecutor, that.probeExecutor);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        prober,
        probesPerPick,
        poolSize,
        reuseBudget,
        maxProbeAgeNanos,
        hotQuantile,
        minEndpoints,
        fallback,
        probeTimeoutNanos,
        dispatchNanos,
        maxOutstandingProbes,
        probeExecutor);
  }

  @Override
  public String toString() {
    return NAME
        + "{prober="
        + prober
        + ", probesPerPick="
        + probesPerPick
        + ", poolSize="
        + poolSize
        + ", reuseBudget="
        + reuseBudget
        + ", maxProbeAge="
        + maxProbeAge()
        + ", hotQuantile="
        + hotQuantile
        + ", minEndpoints="
        + minEndpoints
        + ", fallback="
        + fallback.name()
        + ", probeTimeout="
        + probeTimeout()
        + ", probeDispatchPeriod="
        + probeDispatchPeriod()
        + ", maxOutstandingProbes="
        + maxOutstandingProbes
        + "}";
  }

  /**
   * Builds a {@link Prequal}; starts with the defaults. Each setter validates its value and names
   * the option in its message. Not thread-safe.
   */
  public static final class Builder {
    private static final long MIN_DISPATCH_NANOS = 100_000L;
    private static final long MAX_DISPATCH_NANOS = 10_000_000_000L;

    private @Nullable Prober prober;
    private double probesPerPick = 1.0;
    private int poolSize = 8;
    private int reuseBudget = 2;
    private long maxProbeAgeNanos = Duration.ofSeconds(1).toNanos();
    private double hotQuantile = 0.8;
    private int minEndpoints = 8;
    private Strategy fallback = Strategies.peakEwma();
    private long probeTimeoutNanos = Duration.ofMillis(500).toNanos();
    private long dispatchNanos = Duration.ofMillis(1).toNanos();
    private int maxOutstandingProbes = 64;
    private @Nullable Executor probeExecutor;

    private Builder() {}

    /**
     * Sets the prober that asks endpoints for their load.
     *
     * @param prober the prober
     * @return this builder
     * @throws NullPointerException if {@code prober} is null
     */
    public Builder prober(Prober prober) {
      this.prober = checkNotNull(prober, "prober");
      return this;
    }

    /**
     * Sets how many probes are sent per pick, on average; fractions are carried from one dispatch
     * to the next (0.25 sends one probe per four picks).
     *
     * @param rate more than 0, at most 16
     * @return this builder
     * @throws IllegalArgumentException if {@code rate} is not in (0, 16]
     */
    public Builder probesPerPick(double rate) {
      checkArgument(rate > 0 && rate <= 16, "probesPerPick must be in (0, 16] but was %s", rate);
      this.probesPerPick = rate;
      return this;
    }

    /**
     * Sets the most answers a pool holds.
     *
     * @param size 1 to 64
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is not in [1, 64]
     */
    public Builder poolSize(int size) {
      checkArgument(size >= 1 && size <= 64, "poolSize must be in [1, 64] but was %s", size);
      this.poolSize = size;
      return this;
    }

    /**
     * Sets how many picks one answer may serve before it leaves the pool.
     *
     * @param budget 1 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code budget} is less than 1
     */
    public Builder reuseBudget(int budget) {
      checkArgument(budget >= 1, "reuseBudget must be 1 or more but was %s", budget);
      this.reuseBudget = budget;
      return this;
    }

    /**
     * Sets how old an answer may be before it is dropped.
     *
     * @param age positive
     * @return this builder
     * @throws NullPointerException if {@code age} is null
     * @throws IllegalArgumentException if {@code age} is not positive
     */
    public Builder maxProbeAge(Duration age) {
      this.maxProbeAgeNanos = positiveNanos("maxProbeAge", age);
      return this;
    }

    /**
     * Sets the quantile of the pool's RIFs above which an answer is hot: 1 makes none hot (pure
     * lowest latency), 0 makes every answer above the lowest RIF hot (least RIF, then latency).
     *
     * @param quantile in [0, 1]
     * @return this builder
     * @throws IllegalArgumentException if {@code quantile} is not in [0, 1]
     */
    public Builder hotQuantile(double quantile) {
      checkArgument(
          quantile >= 0 && quantile <= 1, "hotQuantile must be in [0, 1] but was %s", quantile);
      this.hotQuantile = quantile;
      return this;
    }

    /**
     * Sets the smallest group that is probed; a group with fewer endpoints picks by the fallback
     * alone.
     *
     * @param count 1 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code count} is less than 1
     */
    public Builder minEndpoints(int count) {
      checkArgument(count >= 1, "minEndpoints must be 1 or more but was %s", count);
      this.minEndpoints = count;
      return this;
    }

    /**
     * Sets the strategy that picks when the pool cannot and for small groups.
     *
     * @param strategy a strategy whose pickers need no refresh timer and are built over the
     *     endpoints in rotation ({@code peak_ewma}, {@code p2c}, {@code round_robin}...)
     * @return this builder
     * @throws NullPointerException if {@code strategy} is null
     * @throws IllegalArgumentException if {@code strategy} is a hash strategy, refreshes its
     *     pickers, or is a {@code prequal}
     */
    public Builder fallback(Strategy strategy) {
      checkNotNull(strategy, "fallback");
      checkArgument(
          !strategy.stableMembership()
              && strategy.refreshPeriodNanos() == 0
              && !(strategy instanceof Prequal),
          "fallback must be a strategy without stable membership or a refresh timer (peak_ewma,"
              + " p2c, round_robin...) but was '%s'",
          strategy.name());
      this.fallback = strategy;
      return this;
    }

    /**
     * Sets how long a probe may go unanswered before it is cancelled and forgotten.
     *
     * @param timeout positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public Builder probeTimeout(Duration timeout) {
      this.probeTimeoutNanos = positiveNanos("probeTimeout", timeout);
      return this;
    }

    /**
     * Sets how often the picks counted are turned into probes and the pool is aged. Shorter periods
     * start probes sooner after the picks that ask for them, at the cost of a scheduler task per
     * period per balancer.
     *
     * @param period from 100 µs to 10 s
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is not in [100 µs, 10 s]
     */
    public Builder probeDispatchPeriod(Duration period) {
      checkNotNull(period, "probeDispatchPeriod");
      checkArgument(
          period.compareTo(Duration.ofNanos(MIN_DISPATCH_NANOS)) >= 0
              && period.compareTo(Duration.ofNanos(MAX_DISPATCH_NANOS)) <= 0,
          "probeDispatchPeriod must be in [100us, 10s] but was %s",
          period);
      this.dispatchNanos = period.toNanos();
      return this;
    }

    /**
     * Sets the most probes one pool may have outstanding; probes asked for beyond it are not sent.
     *
     * @param count 1 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code count} is less than 1
     */
    public Builder maxOutstandingProbes(int count) {
      checkArgument(count >= 1, "maxOutstandingProbes must be 1 or more but was %s", count);
      this.maxOutstandingProbes = count;
      return this;
    }

    /**
     * Sets where probes are started instead of the balancer's scheduler thread; for probers whose
     * start is not cheap. lb never shuts it down.
     *
     * @param executor the executor
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     */
    public Builder probeExecutor(Executor executor) {
      this.probeExecutor = checkNotNull(executor, "probeExecutor");
      return this;
    }

    private static long positiveNanos(String option, Duration d) {
      checkNotNull(d, option);
      checkArgument(!d.isNegative() && !d.isZero(), "%s must be positive but was %s", option, d);
      try {
        return d.toNanos();
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE;
      }
    }

    /**
     * Returns the strategy.
     *
     * @return a new strategy with these options
     */
    public Prequal build() {
      return new Prequal(this);
    }
  }
}
