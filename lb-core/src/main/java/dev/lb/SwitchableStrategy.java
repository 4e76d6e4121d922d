package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A strategy that can be replaced while the balancers built with it run: {@link #switchTo} hands
 * every such balancer the new strategy, which rebuilds its pickers on its serialized path before
 * the call returns. Endpoints, their statistics, health and drains stay as they are; only the
 * choice among them changes. For a control plane that sends a cluster's policy along with its
 * endpoints (lb-xds follows a CDS cluster's {@code lb_policy} this way), or an operator's switch.
 *
 * <pre>{@code
 * SwitchableStrategy strategy = SwitchableStrategy.of(Strategies.roundRobin());
 * LoadBalancer balancer = LoadBalancer.builder().strategy(strategy).endpoints(list).build();
 * strategy.switchTo(HashStrategies.ringHash());  // the next pick already hashes
 * }</pre>
 *
 * <p><b>What may be switched to.</b> Tracking peak EWMA latency, time-stamped response times and
 * throughput costs a clock read on every reported outcome, so a balancer decides when it is built
 * which estimators it keeps, from {@link #usesPeakEwma()}, {@link #usesResponseTime()} and {@link
 * #usesThroughput()}; this strategy answers those three as the initial strategy does, for good, and
 * {@link #switchTo} refuses a strategy that needs an estimator the initial one did not. A balancer
 * with slow start refuses a hash strategy ({@link Strategy#stableMembership()}), as its builder
 * does. The other properties ({@link #name()}, {@link #stableMembership()}, {@link
 * #usesLoadReports()}, {@link #refreshPeriodNanos()}) are the current strategy's: unlike other
 * strategies, this one's {@link #name()} changes with a switch.
 *
 * <p><b>What a switch costs.</b> Each balancer builds its pickers anew over its current members: a
 * hash strategy's tables from scratch, a weighted round robin's schedule, an {@code
 * orca_weighted_round_robin}'s blackout from the start (gRFC A58: a new policy instance restarts
 * it). Picks never wait: until the new snapshot is published they use the old one. A least-loaded
 * strategy's tournament tree is superseded only by another tree, so after a switch away from one
 * its endpoints keep telling the old tree of their load changes (a few nanoseconds per call) until
 * a least-loaded strategy is chosen again.
 *
 * <p>Thread-safe: {@link #switchTo} may be called from any thread, and calls are serialized. It
 * takes each balancer's update lock in turn, so it must not be called from a {@link
 * LoadBalancerListener} callback of one of those balancers.
 */
@Experimental("new in 0.1: the switching contract may change")
public final class SwitchableStrategy implements Strategy {
  private final boolean usesPeakEwma;
  private final boolean usesResponseTime;
  private final boolean usesThroughput;
  private final CopyOnWriteArrayList<Attachment> balancers = new CopyOnWriteArrayList<>();
  private volatile Current current;

  /** The strategy in use, and the pickers it built, which it may be handed back as "previous". */
  private record Current(Strategy strategy, Set<Picker> built) {
    static Current of(Strategy strategy) {
      return new Current(
          strategy, Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>())));
    }
  }

  /** A balancer built with this strategy: its engine, told of a switch on its own path. */
  interface Attachment {
    /** Throws IllegalArgumentException if the balancer cannot run {@code next}. */
    void check(Strategy next);

    /** Rebuilds the balancer's pickers with the current strategy, before returning. */
    void switched();
  }

  /** Asks a strategy whether it binds per balancer; a bind starts nothing (see Strategy.bind). */
  private static final StrategyContext BIND_PROBE =
      new StrategyContext(new SplittableRandom(0), Ticker.systemTicker());

  private SwitchableStrategy(Strategy initial) {
    this.usesPeakEwma = initial.usesPeakEwma();
    this.usesResponseTime = initial.usesResponseTime();
    this.usesThroughput = initial.usesThroughput();
    this.current = Current.of(initial);
  }

  /**
   * Returns a switchable strategy that starts as {@code initial} and keeps the estimators {@code
   * initial} needs.
   *
   * @param initial the strategy to start with; must not be null or itself switchable
   * @return a new switchable strategy
   * @throws NullPointerException if {@code initial} is null
   * @throws IllegalArgumentException if {@code initial} is a {@code SwitchableStrategy} or keeps
   *     state per balancer ({@link Strategy#bind}, as {@code prequal} does)
   */
  public static SwitchableStrategy of(Strategy initial) {
    checkNotNull(initial, "initial");
    notSwitchable(initial);
    notBoundPerBalancer(initial);
    return new SwitchableStrategy(initial);
  }

  /**
   * The strategy pickers are built with now.
   *
   * @return the strategy last switched to, or the initial one
   */
  public Strategy current() {
    return current.strategy;
  }

  /**
   * Makes {@code next} the strategy of every open balancer built with this one: each rebuilds its
   * pickers with it on its update path before this method returns. Nothing happens if {@code next}
   * equals the current strategy.
   *
   * @param next the strategy to pick with from now on; must not be null
   * @return true if the strategy changed
   * @throws NullPointerException if {@code next} is null
   * @throws IllegalArgumentException if {@code next} is switchable, keeps state per balancer
   *     ({@link Strategy#bind}, as {@code prequal} does), needs an estimator the initial strategy
   *     did not (peak EWMA, response time, throughput), or a balancer cannot run it (a hash
   *     strategy under slow start); then nothing changes
   */
  public synchronized boolean switchTo(Strategy next) {
    checkNotNull(next, "next");
    notSwitchable(next);
    if (next.equals(current.strategy)) {
      return false;
    }
    notBoundPerBalancer(next);
    needs(next.usesPeakEwma(), usesPeakEwma, next, "peak EWMA latency");
    needs(next.usesResponseTime(), usesResponseTime, next, "time-stamped response times");
    needs(next.usesThroughput(), usesThroughput, next, "response throughput");
    for (Attachment a : balancers) {
      a.check(next);
    }
    current = Current.of(next);
    for (Attachment a : balancers) {
      a.switched();
    }
    return true;
  }

  private void needs(boolean needed, boolean tracked, Strategy next, String estimator) {
    if (needed && !tracked) {
      throw new IllegalArgumentException(
          "cannot switch to strategy "
              + next.name()
              + ": it ranks by "
              + estimator
              + ", which balancers built with this switchable strategy do not track (start it"
              + " with a strategy that does)");
    }
  }

  /**
   * Refuses a strategy that keeps state per balancer: that state (prequal's probes and pools) would
   * belong to no balancer, and nothing would close it.
   */
  @SuppressWarnings("ReferenceEquality") // identity is the question: does bind answer this one?
  private static void notBoundPerBalancer(Strategy s) {
    if (s.bind(BIND_PROBE) != s) {
      throw new IllegalArgumentException(
          "a SwitchableStrategy cannot run strategy "
              + s.name()
              + ": it keeps state per balancer (Strategy.bind), so a balancer must be built with"
              + " it");
    }
  }

  private static void notSwitchable(Strategy s) {
    if (s instanceof SwitchableStrategy) {
      throw new IllegalArgumentException(
          "a SwitchableStrategy cannot switch to another SwitchableStrategy but was " + s);
    }
  }

  /** Called by a balancer's engine when it is built with this strategy. */
  void attach(Attachment balancer) {
    balancers.add(balancer);
  }

  /** Called by a balancer's engine when it closes. */
  void detach(Attachment balancer) {
    balancers.remove(balancer);
  }

  /** The number of open balancers built with this strategy, for tests. */
  int attached() {
    return balancers.size();
  }

  @Override
  public String name() {
    return current.strategy.name();
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    return newPicker(endpoints, context, null);
  }

  @Override
  public Picker newPicker(
      List<LiveEndpoint> endpoints, StrategyContext context, @Nullable Picker previous) {
    Current c = current;
    // A strategy is handed back only the pickers it built itself (Strategy's contract).
    Picker reusable = previous != null && c.built.contains(previous) ? previous : null;
    Picker picker = c.strategy.newPicker(endpoints, context, reusable);
    if (picker != null) {
      c.built.add(picker);
    }
    return picker;
  }

  @Override
  public boolean stableMembership() {
    return current.strategy.stableMembership();
  }

  @Override
  public boolean usesPeakEwma() {
    return usesPeakEwma;
  }

  @Override
  public boolean usesResponseTime() {
    return usesResponseTime;
  }

  @Override
  public boolean usesThroughput() {
    return usesThroughput;
  }

  @Override
  public boolean usesLoadReports() {
    return current.strategy.usesLoadReports();
  }

  @Override
  public long refreshPeriodNanos() {
    return current.strategy.refreshPeriodNanos();
  }

  @Override
  public String toString() {
    return "SwitchableStrategy{" + current.strategy + '}';
  }
}
