package dev.lb.benchmarks.sim;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.LoadReport;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.health.OutlierDetection;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Prequal;
import dev.lb.strategy.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The registry of simulated policies by name: the real lb-core strategies (through {@link
 * StrategyRegistry#byName}) with outlier detection at its defaults and without it, and the oracle.
 *
 * <p>An lb policy is a real {@link LoadBalancer} whose ticker and scheduler are the simulation's
 * clock and whose random source is seeded: its strategies, estimators, outlier detection and
 * ejection timers all run on simulated time. A timeout is reported as {@link Lease#onFailure} with
 * the timeout as the latency, as a client would.
 */
public final class Policies {
  /** The name of the oracle baseline. */
  public static final String ORACLE = "oracle";

  /** The suffix of an lb policy with outlier detection turned off. */
  public static final String NO_OUTLIER_SUFFIX = "/no-od";

  private static final List<String> STRATEGIES =
      List.of(
          "round_robin",
          "random",
          "least_connections",
          "least_response_time",
          "p2c",
          "peak_ewma",
          "orca_weighted_round_robin",
          "prequal");

  /**
   * The suffix of {@code prequal} probing whatever the group's size ({@code minEndpoints} 1), to
   * show what the small-fleet rule saves.
   */
  public static final String ALWAYS_PROBE_SUFFIX = "/always-probe";

  /**
   * The suffix of {@code orca_weighted_round_robin} with no blackout period (A58's default is 10
   * s), to show what the blackout costs in a short run.
   */
  public static final String NO_BLACKOUT_SUFFIX = "/no-blackout";

  private Policies() {}

  /**
   * Every policy the simulator compares, in report order: the oracle, then each strategy with lb's
   * default outlier detection, then each without it.
   *
   * @return policy factories by name
   */
  public static Map<String, Policy.Factory> all() {
    Map<String, Policy.Factory> all = new LinkedHashMap<>();
    all.put(ORACLE, OraclePolicy::new);
    for (String s : STRATEGIES) {
      all.put(s, byName(s));
    }
    for (String s : STRATEGIES) {
      all.put(s + NO_OUTLIER_SUFFIX, byName(s + NO_OUTLIER_SUFFIX));
    }
    return all;
  }

  /**
   * A policy by name: {@code oracle}, an lb strategy name, or an lb strategy name followed by
   * {@value #NO_OUTLIER_SUFFIX}.
   *
   * @param name the policy's name
   * @return its factory
   * @throws IllegalArgumentException if no strategy has that name
   */
  public static Policy.Factory byName(String name) {
    if (ORACLE.equals(name)) {
      return OraclePolicy::new;
    }
    if (name.equals(OrcaWeightedRoundRobin.NAME + NO_BLACKOUT_SUFFIX)) {
      Strategy noBlackout = OrcaWeightedRoundRobin.builder().blackoutPeriod(Duration.ZERO).build();
      return (cluster, clock, seed) -> new LbPolicy(noBlackout, true, cluster, clock, seed);
    }
    if (name.startsWith(Prequal.NAME + ALWAYS_PROBE_SUFFIX)) {
      Strategy always = Prequal.builder().minEndpoints(1).build();
      boolean od = !name.endsWith(NO_OUTLIER_SUFFIX);
      return (cluster, clock, seed) -> new LbPolicy(always, od, cluster, clock, seed);
    }
    boolean outlier = !name.endsWith(NO_OUTLIER_SUFFIX);
    String strategy =
        outlier ? name : name.substring(0, name.length() - NO_OUTLIER_SUFFIX.length());
    Strategy s = StrategyRegistry.byName(strategy); // fails early, naming the valid strategies
    return (cluster, clock, seed) -> new LbPolicy(s, outlier, cluster, clock, seed);
  }

  /**
   * A real lb-core balancer on simulated time. For a strategy that {@linkplain
   * Strategy#usesLoadReports() uses load reports}, every successful call brings back the backend's
   * report of its own load ({@link Cluster#loadReport}), as a server's ORCA trailer would. A {@code
   * prequal} strategy without a prober gets a {@link SimProber}.
   */
  static final class LbPolicy implements Policy {
    private final LoadBalancer balancer;
    private final Map<String, Integer> index = new HashMap<>();
    private final Cluster cluster;
    private final SimClock clock;
    private final boolean reports;

    LbPolicy(Strategy strategy, boolean outlier, Cluster cluster, SimClock clock, long seed) {
      if (strategy instanceof Prequal p && p.prober() == null) {
        strategy = p.withProber(new SimProber(cluster, clock, index, seed));
      }
      this.cluster = cluster;
      this.clock = clock;
      this.reports = strategy.usesLoadReports();
      List<Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        Endpoint e = Endpoint.of("10.0.0." + (i + 1), 8080);
        endpoints.add(e);
        index.put(e.id(), i);
      }
      balancer =
          LoadBalancer.builder()
              .name("sim")
              .strategy(strategy)
              .endpoints(endpoints)
              .ticker(clock)
              .scheduler(clock)
              .random(new SplittableRandom(seed))
              .outlierDetection(outlier ? OutlierDetection.defaults() : OutlierDetection.disabled())
              .build();
    }

    @Override
    public @Nullable Pick pick() {
      Lease lease = balancer.tryPick(PickContext.none());
      if (lease == null) {
        return null;
      }
      Integer backend = index.get(lease.endpoint().id());
      if (backend == null) {
        throw new IllegalStateException("picked an unknown endpoint " + lease.endpoint());
      }
      int b = backend;
      return new Pick() {
        @Override
        public int backend() {
          return b;
        }

        @Override
        public void complete(long latencyNanos, boolean success) {
          if (success) {
            LoadReport report = reports ? cluster.loadReport(b, clock.read()) : null;
            if (report != null) {
              lease.onLoadReport(report);
            }
            lease.onSuccess(latencyNanos);
          } else {
            lease.onFailure(latencyNanos, null);
          }
        }
      };
    }
  }

  /**
   * Prequal's probes on simulated time: a probe travels to the backend in 100 us plus an
   * exponential delay of 100 us mean, is answered there from the backend's own {@link
   * dev.lb.probe.ProbeResponder} (its requests in flight now and its latency estimate at that
   * load), and the answer takes as long again to come back, so answers are already a little old
   * when they arrive and age in the pool. A backend that is down does not answer (the probe fails).
   * A backend that fails calls fast answers probes as a healthy server would.
   */
  static final class SimProber implements Prober {
    private static final long BASE_NANOS = 100_000L;
    private static final double JITTER_MEAN_NANOS = 100_000.0;

    private final Cluster cluster;
    private final SimClock clock;
    private final Map<String, Integer> index;
    private final SplittableRandom random;

    SimProber(Cluster cluster, SimClock clock, Map<String, Integer> index, long seed) {
      this.cluster = cluster;
      this.clock = clock;
      this.index = index;
      this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    }

    private long oneWay() {
      return BASE_NANOS + (long) (-Math.log(1.0 - random.nextDouble()) * JITTER_MEAN_NANOS);
    }

    @Override
    public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
      Integer b = index.get(endpoint.id());
      CompletableFuture<ProbeResult> answer = new CompletableFuture<>();
      if (b == null) {
        answer.completeExceptionally(new IllegalStateException("unknown " + endpoint));
        return answer;
      }
      int backend = b;
      clock.schedule(
          () -> {
            if (cluster.spec(backend).isDown(clock.read())) {
              clock.schedule(
                  () -> answer.completeExceptionally(new IllegalStateException("refused")),
                  oneWay());
              return;
            }
            ProbeResult r = cluster.responder(backend).answer();
            clock.schedule(() -> answer.complete(r), oneWay());
          },
          oneWay());
      return answer;
    }
  }

  /**
   * The limit to compare against: join the backend with the shortest expected wait, with global
   * knowledge no client has. It sees every backend's queue and its current true service rate (slow
   * factor, fixed-latency window, pause in progress), never sends to a backend that is down, and
   * avoids backends that fail calls while any other is available. Ties go at random.
   */
  static final class OraclePolicy implements Policy {
    private final Cluster cluster;
    private final SimClock clock;
    private final SplittableRandom random;

    OraclePolicy(Cluster cluster, SimClock clock, long seed) {
      this.cluster = cluster;
      this.clock = clock;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public Pick pick() {
      long now = clock.read();
      int best = -1;
      double bestCost = Double.POSITIVE_INFINITY;
      int ties = 0;
      for (int i = 0; i < cluster.size(); i++) {
        double cost = expectedLatency(i, now);
        if (cost < bestCost) {
          best = i;
          bestCost = cost;
          ties = 1;
        } else if (cost == bestCost && random.nextInt(++ties) == 0) {
          best = i;
        }
      }
      if (best < 0) {
        best = random.nextInt(cluster.size()); // every backend is down: nothing helps
      }
      int b = best;
      return new Pick() {
        @Override
        public int backend() {
          return b;
        }

        @Override
        public void complete(long latencyNanos, boolean success) {}
      };
    }

    private double expectedLatency(int i, long now) {
      BackendSpec spec = cluster.spec(i);
      if (spec.isDown(now)) {
        return Double.POSITIVE_INFINITY;
      }
      double service =
          spec.isFixed(now)
              ? spec.fixedLatencyNanos()
              : spec.service().meanNanos() * spec.slowFactor() * spec.backgroundFactor(now);
      if (spec.isPaused(now)) {
        service += spec.pauseNanos() - Math.floorMod(now, spec.pausePeriodNanos());
      }
      int outstanding = cluster.outstanding(i);
      double wait =
          outstanding < spec.workers()
              ? 0
              : (outstanding - spec.workers() + 1) * service / spec.workers();
      double cost = wait + service;
      // Fast failures waste the call: prefer any backend that does not fail.
      return spec.failureRate() > 0 ? cost + 1e15 * spec.failureRate() : cost;
    }
  }
}
