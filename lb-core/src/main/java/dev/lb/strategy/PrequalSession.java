package dev.lb.strategy;

import dev.lb.Ticker;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * {@link Prequal} bound to one balancer ({@link Strategy#bind}): builds that balancer's pickers,
 * carries pooled answers over from one picker to the next, sends the probes the picks asked for,
 * gives up on probes past their timeout, and at close cancels every probe still outstanding.
 *
 * <p>Threads: {@link #newPicker} and {@link #refresh} run on the balancer's serialized path (picker
 * builds, the {@link Strategy#refreshPeriodNanos() refresh} timer); probes start there or on the
 * strategy's probe executor; answers arrive on whatever thread completes the prober's stage. The
 * outstanding probes are a concurrent set; each probe's end (answer, failure, timeout, close) is
 * decided once, by compare-and-set.
 */
final class PrequalSession implements Strategy {
  private static final System.Logger LOGGER = System.getLogger(Prequal.class.getName());

  /** How many recently built pools a new picker may take answers from. */
  private static final int CARRY_FROM = 4;

  private final Prequal config;
  private final @Nullable Prober prober;
  private final Strategy fallback;
  private final Ticker ticker;
  private final RandomGenerator random;
  private final Set<Outstanding> outstanding = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  // The serialized path's.
  private final ArrayDeque<ProbePool> recent = new ArrayDeque<>();
  private long lastSweep = Long.MIN_VALUE;

  // Counters, for tests and diagnostics.
  final AtomicLong started = new AtomicLong();
  final AtomicLong answered = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong timedOut = new AtomicLong();
  final AtomicLong cancelled = new AtomicLong();

  PrequalSession(Prequal config, StrategyContext context) {
    this.config = config;
    this.prober = config.prober();
    this.fallback = config.fallback().bind(context);
    this.ticker = context.ticker();
    this.random = context.random();
  }

  @Override
  public String name() {
    return Prequal.NAME;
  }

  @Override
  public boolean usesPeakEwma() {
    return config.usesPeakEwma();
  }

  @Override
  public boolean usesResponseTime() {
    return config.usesResponseTime();
  }

  @Override
  public boolean usesThroughput() {
    return config.usesThroughput();
  }

  @Override
  public long refreshPeriodNanos() {
    return config.refreshPeriodNanos();
  }

  @Override
  public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
    LiveEndpoint[] array = StrategyArguments.endpoints(endpoints, context, Prequal.NAME);
    Picker fallbackPicker = fallback.newPicker(endpoints, context);
    boolean probing = prober != null && array.length >= config.minEndpoints() && !closed;
    ProbePool pool = null;
    if (probing) {
      pool = new ProbePool(config.poolSize(), config.reuseBudget(), config.hotQuantile());
      carryOver(array, pool);
      recent.addFirst(pool);
      while (recent.size() > CARRY_FROM) {
        recent.removeLast();
      }
    }
    return new PrequalPicker(array, fallbackPicker, pool, this, context);
  }

  /**
   * Fills a new picker's pool with the freshest answers the recent pools hold for its endpoints, so
   * that a membership change (an ejection, a new endpoint) does not throw the pool away; answers of
   * endpoints no longer in the group stay behind.
   */
  private void carryOver(LiveEndpoint[] endpoints, ProbePool into) {
    if (recent.isEmpty()) {
      return;
    }
    Set<LiveEndpoint> members = Collections.newSetFromMap(new IdentityHashMap<>());
    Collections.addAll(members, endpoints);
    Set<ProbePool.Answer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<ProbePool.Answer> candidates = new ArrayList<>();
    for (ProbePool p : recent) {
      List<ProbePool.Answer> held = new ArrayList<>();
      p.collect(held);
      for (ProbePool.Answer a : held) {
        if (members.contains(a.endpoint) && seen.add(a)) {
          candidates.add(a);
        }
      }
    }
    candidates.sort((a, b) -> Long.compare(b.receivedAt, a.receivedAt));
    for (int i = Math.min(candidates.size(), config.poolSize()) - 1; i >= 0; i--) {
      into.insert(candidates.get(i)); // oldest first: the freshest end up kept
    }
  }

  /**
   * The refresh of one published picker: give up on overdue probes, age the pool, and send the
   * probes its picks asked for since the last refresh.
   */
  void refresh(PrequalPicker picker, ProbePool pool, long now) {
    if (closed) {
      return;
    }
    if (now != lastSweep) {
      lastSweep = now; // once per tick, however many pickers the routing has
      sweepTimeouts(now);
    }
    pool.evict(now, config.maxProbeAgeNanos());
    long picks = pool.picks.sum();
    double want = (picks - pool.seenPicks) * config.probesPerPick() + pool.carry;
    pool.seenPicks = picks;
    int n = (int) want;
    pool.carry = want - n;
    int room = config.maxOutstandingProbes() - pool.outstanding.get();
    if (n > room) {
      n = Math.max(0, room);
      pool.carry = 0; // what cannot be sent now is not owed later
    }
    LiveEndpoint[] endpoints = picker.endpoints;
    for (int i = 0; i < n; i++) {
      LiveEndpoint target = target(endpoints);
      if (target != null) {
        start(pool, target, now);
      }
    }
  }

  /** A uniformly random endpoint in rotation, or null after a few draws find none. */
  private @Nullable LiveEndpoint target(LiveEndpoint[] endpoints) {
    for (int tries = 0; tries < 4; tries++) {
      LiveEndpoint e = endpoints[random.nextInt(endpoints.length)];
      if (e.available()) {
        return e;
      }
    }
    return null;
  }

  private void start(ProbePool pool, LiveEndpoint target, long now) {
    Outstanding o = new Outstanding(pool, target, now);
    pool.outstanding.incrementAndGet();
    outstanding.add(o);
    started.incrementAndGet();
    Executor executor = config.probeExecutor();
    if (executor == null) {
      o.run();
      return;
    }
    try {
      executor.execute(o);
    } catch (RejectedExecutionException e) {
      o.fail(e);
    }
  }

  private void sweepTimeouts(long now) {
    long timeout = config.probeTimeoutNanos();
    for (Outstanding o : outstanding) {
      if (now - o.startedAt >= timeout && o.end()) {
        timedOut.incrementAndGet();
        o.cancelStage();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Outstanding o : outstanding) {
      if (o.end()) {
        cancelled.incrementAndGet();
        o.cancelStage();
      }
    }
    for (ProbePool p : recent) {
      p.close();
    }
    recent.clear();
    fallback.close();
  }

  /** Probes outstanding now, for tests. */
  int outstandingProbes() {
    return outstanding.size();
  }

  /** One probe from its start to its one end. */
  private final class Outstanding implements Runnable {
    final ProbePool pool;
    final LiveEndpoint target;
    final long startedAt;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile @Nullable CompletionStage<ProbeResult> stage;

    Outstanding(ProbePool pool, LiveEndpoint target, long startedAt) {
      this.pool = pool;
      this.target = target;
      this.startedAt = startedAt;
    }

    /** Starts the probe (the balancer's thread, or the probe executor). */
    @Override
    public void run() {
      if (closed || ended.get()) {
        if (end()) {
          cancelled.incrementAndGet();
        }
        return;
      }
      Prober p = prober;
      if (p == null) {
        fail(new IllegalStateException("no prober"));
        return;
      }
      CompletionStage<ProbeResult> s;
      try {
        s = p.probe(target.endpoint());
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      if (s == null) {
        fail(new NullPointerException("prober returned a null stage"));
        return;
      }
      stage = s;
      if (ended.get()) {
        cancelStage(); // timed out or closed while the prober was starting it
        return;
      }
      s.whenComplete(this::completed);
    }

    private void completed(@Nullable ProbeResult result, @Nullable Throwable error) {
      if (error != null || result == null) {
        if (end()) {
          failed.incrementAndGet();
        }
        return;
      }
      if (closed || !end()) {
        return; // too late: timed out or closed
      }
      answered.incrementAndGet();
      pool.insert(new ProbePool.Answer(target, result.receivedAt(ticker.read())));
    }

    void fail(Exception e) {
      if (end()) {
        failed.incrementAndGet();
        LOGGER.log(System.Logger.Level.DEBUG, "probe of " + target.endpoint() + " failed", e);
      }
    }

    /** Decides this probe's end; true for the one caller that does. */
    boolean end() {
      if (!ended.compareAndSet(false, true)) {
        return false;
      }
      outstanding.remove(this);
      pool.outstanding.decrementAndGet();
      return true;
    }

    void cancelStage() {
      CompletionStage<ProbeResult> s = stage;
      if (s == null) {
        return;
      }
      try {
        CompletableFuture<ProbeResult> f = s.toCompletableFuture();
        f.cancel(false);
      } catch (UnsupportedOperationException e) {
        // A stage that cannot be cancelled: its late answer is ignored.
      }
    }
  }

  @Override
  public String toString() {
    return config + " (bound)";
  }
}
