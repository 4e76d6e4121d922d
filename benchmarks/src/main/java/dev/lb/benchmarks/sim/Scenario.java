package dev.lb.benchmarks.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A workload: the backends, an open-loop Poisson arrival rate, how long it runs and the client's
 * timeout. The misbehaving backend, if any, is always backend 0, so reports can point at it.
 *
 * @param name a short stable name, such as {@code linkerd}
 * @param description one line for reports
 * @param backends the backends, backend 0 being the odd one
 * @param arrivalsPerSecond the mean rate of calls, arriving as a Poisson process
 * @param durationNanos how long calls keep arriving
 * @param timeoutNanos the client gives up on a call after this long and counts it failed
 * @param warmupNanos calls that arrive before this time run but are left out of the results, for
 *     scenarios about the steady state; 0 for every call counted
 * @param clients how many independent clients share the arrivals (each call goes to one at random,
 *     each client a policy of its own, as separate processes would be); 1 for one client
 * @param oddBackends how many backends, from backend 0 on, misbehave: the reports show the share of
 *     calls they received; 1 for backend 0 alone
 */
public record Scenario(
    String name,
    String description,
    List<BackendSpec> backends,
    double arrivalsPerSecond,
    long durationNanos,
    long timeoutNanos,
    long warmupNanos,
    int clients,
    int oddBackends) {

  private static final long MS = 1_000_000L;
  private static final long S = 1_000_000_000L;

  /** A scenario whose every call counts. */
  public Scenario(
      String name,
      String description,
      List<BackendSpec> backends,
      double arrivalsPerSecond,
      long durationNanos,
      long timeoutNanos) {
    this(name, description, backends, arrivalsPerSecond, durationNanos, timeoutNanos, 0);
  }

  /** A scenario with one client and backend 0 the odd one. */
  public Scenario(
      String name,
      String description,
      List<BackendSpec> backends,
      double arrivalsPerSecond,
      long durationNanos,
      long timeoutNanos,
      long warmupNanos) {
    this(
        name,
        description,
        backends,
        arrivalsPerSecond,
        durationNanos,
        timeoutNanos,
        warmupNanos,
        1,
        1);
  }

  /** Copies and validates the components. */
  public Scenario {
    if (clients < 1) {
      throw new IllegalArgumentException("clients must be at least 1 but was " + clients);
    }
    if (oddBackends < 0 || oddBackends > backends.size()) {
      throw new IllegalArgumentException(
          "oddBackends must be in [0, backends] but was " + oddBackends);
    }
    if (warmupNanos < 0 || warmupNanos >= durationNanos) {
      throw new IllegalArgumentException(
          "warmupNanos must be in [0, durationNanos) but was " + warmupNanos);
    }
    backends = List.copyOf(backends);
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("backends must not be empty");
    }
    if (!(arrivalsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "arrivalsPerSecond must be positive but was " + arrivalsPerSecond);
    }
    if (durationNanos <= 0 || timeoutNanos <= 0) {
      throw new IllegalArgumentException(
          "durationNanos and timeoutNanos must be positive but were "
              + durationNanos
              + " and "
              + timeoutNanos);
    }
  }

  /**
   * Every built-in scenario, in report order.
   *
   * @param timeScale 1.0 for the full runs (60 s of simulated time each); smaller for quick runs,
   *     which shrink every duration and window but no service time or timeout
   * @return the scenarios by name, in report order
   */
  public static Map<String, Scenario> all(double timeScale) {
    if (!(timeScale > 0 && timeScale <= 1)) {
      throw new IllegalArgumentException("timeScale must be in (0, 1] but was " + timeScale);
    }
    Map<String, Scenario> all = new LinkedHashMap<>();
    for (Scenario s :
        List.of(
            slowBackend(timeScale),
            gcPauses(timeScale),
            failingBackend(timeScale),
            downAndBack(timeScale),
            linkerd(timeScale),
            serverReportedLoad(timeScale),
            serverReportedLoadSteady(timeScale),
            prequalRegime(timeScale),
            smallFleet(timeScale),
            fastFailing(timeScale))) {
      all.put(s.name(), s);
    }
    return all;
  }

  /**
   * Ten M/M/4 backends (10 ms mean), backend 0 ten times slower, at 80% of the total capacity: the
   * issue's "peak-EWMA p99 within 1.3× of the oracle's" target.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario slowBackend(double timeScale) {
    List<BackendSpec> list = cluster(10, BackendSpec.healthy(ServiceTime.exponential(10), 4));
    list.set(0, list.get(0).slower(10));
    return atUtilization(
        "slow_backend",
        "10 backends, 4 workers, exponential 10 ms; backend 0 is 10x slower; 80% utilization",
        list,
        0.8,
        scaled(60 * S, timeScale),
        S);
  }

  /**
   * Ten backends with log-normal service times (10 ms mean, sigma 1), backend 0 stopping the world
   * for 500 ms every 5 s, at 70% utilization.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario gcPauses(double timeScale) {
    List<BackendSpec> list = cluster(10, BackendSpec.healthy(ServiceTime.lognormal(10, 1.0), 4));
    list.set(0, list.get(0).pausing(5 * S, 500 * MS));
    return atUtilization(
        "gc_pauses",
        "10 backends, 4 workers, lognormal 10 ms (sigma 1); backend 0 pauses 500 ms every 5 s;"
            + " 70% utilization",
        list,
        0.7,
        scaled(60 * S, timeScale),
        S);
  }

  /**
   * Ten M/M/4 backends, backend 0 failing 30% of its calls within 1 ms, at 70% utilization. Fast
   * failures make a backend look idle and fast to load-aware strategies.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario failingBackend(double timeScale) {
    List<BackendSpec> list = cluster(10, BackendSpec.healthy(ServiceTime.exponential(10), 4));
    list.set(0, list.get(0).failing(0.3));
    return atUtilization(
        "failing_backend",
        "10 backends, 4 workers, exponential 10 ms; backend 0 fails 30% of calls in 1 ms;"
            + " 70% utilization",
        list,
        0.7,
        scaled(60 * S, timeScale),
        S);
  }

  /**
   * Ten M/M/4 backends, backend 0 refusing every call (in 1 ms) from a third to two thirds of the
   * run, at 70% utilization.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario downAndBack(double timeScale) {
    long duration = scaled(60 * S, timeScale);
    List<BackendSpec> list = cluster(10, BackendSpec.healthy(ServiceTime.exponential(10), 4));
    list.set(0, list.get(0).down(duration / 3, 2 * duration / 3));
    return atUtilization(
        "down_and_back",
        "10 backends, 4 workers, exponential 10 ms; backend 0 refuses calls from 20 s to 40 s;"
            + " 70% utilization",
        list,
        0.7,
        duration,
        S);
  }

  /**
   * The linkerd experiment ("Beyond Round Robin", 2016): 11 backends, 1000 calls per second, one
   * backend answering in 2 s for 30 s of a 60 s run, a 1 s timeout. Backends do not queue (their
   * latency does not depend on load); normal latency is log-normal with a 10 ms mean (an
   * assumption: the post does not give it). linkerd published about 95% / 99% / 99.9% success for
   * round robin, least loaded and peak EWMA.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario linkerd(double timeScale) {
    long duration = scaled(60 * S, timeScale);
    List<BackendSpec> list =
        cluster(11, BackendSpec.healthy(ServiceTime.lognormal(10, 0.5), Integer.MAX_VALUE));
    list.set(0, list.get(0).fixedLatency(duration / 4, 3 * duration / 4, 2 * S));
    return new Scenario(
        "linkerd",
        "11 backends, 1000 rps, backend 0 answers in 2 s for 30 s of 60 s; 1 s timeout",
        list,
        1000,
        duration,
        S);
  }

  /**
   * Hidden CPU skew, the case for server-reported load: ten backends with the same service time
   * (log-normal, 10 ms mean, sigma 0.5), three of them (0 to 2) with 4 workers and seven with 10,
   * at 75% of the total capacity. For the same traffic the small ones run 2.5 times as hot, yet
   * their latency is the same as the others' until they saturate, so a client that ranks by latency
   * or calls in flight cannot tell them apart before they queue. A backend's report (utilization
   * and calls per second over the last second) shows the difference at once.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario serverReportedLoad(double timeScale) {
    List<BackendSpec> list = cluster(10, BackendSpec.healthy(ServiceTime.lognormal(10, 0.5), 10));
    for (int i = 0; i < 3; i++) {
      list.set(i, BackendSpec.healthy(ServiceTime.lognormal(10, 0.5), 4));
    }
    return atUtilization(
        "server_reported_load",
        "10 backends, lognormal 10 ms (sigma 0.5); backends 0-2 have 4 workers, the rest 10"
            + " (2.5x CPU skew, equal latency until saturation); 75% utilization",
        list,
        0.75,
        scaled(60 * S, timeScale),
        S);
  }

  /**
   * {@link #serverReportedLoad} in its steady state: the same backends and load for 120 s, the
   * calls of the first 60 s left out (a client's cold start: A58's 10 s blackout, the first
   * reports, and the backlog the blackout's equal weights leave on the small backends, which their
   * servers work off after the client has given up on those calls).
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario serverReportedLoadSteady(double timeScale) {
    Scenario cold = serverReportedLoad(timeScale);
    return new Scenario(
        "server_reported_load_steady",
        cold.description() + "; steady state: the first 60 s not counted",
        cold.backends(),
        cold.arrivalsPerSecond(),
        scaled(120 * S, timeScale),
        cold.timeoutNanos(),
        scaled(60 * S, timeScale));
  }

  /**
   * The Prequal paper's regime (Wydrowski et al., NSDI 2024): 100 replicas of heterogeneous
   * capacity, from 1x to 4x (service time lognormal, 20 ms mean at 1x, sigma 0.5; 4 workers each,
   * capacity factors spread evenly over [1, 4] in a seeded shuffle), each sharing its machine with
   * other tenants that take between 0 and 50% of it in a cycle of 10 to 30 s (seeded period and
   * phase), 50 independent clients, at 90% of the fleet's mean capacity. Calls time out after 1 s;
   * the first 5 s are not counted.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario prequalRegime(double timeScale) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(2024);
    List<Double> factors = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      factors.add(1 + 3.0 * i / 99);
    }
    java.util.Collections.shuffle(factors, new java.util.Random(2024));
    List<BackendSpec> list = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      long period = (long) ((10 + 20 * random.nextDouble()) * S);
      list.add(
          BackendSpec.healthy(ServiceTime.lognormal(20, 0.5), 4)
              .slower(1 / factors.get(i))
              .background(0.5, period, random.nextDouble()));
    }
    Scenario s =
        atUtilization(
            "prequal_regime",
            "100 replicas, capacity 1x-4x (4 workers, lognormal 20 ms at 1x), background load"
                + " 0-50% in 10-30 s cycles, 50 clients; 90% utilization",
            list,
            0.9,
            scaled(30 * S, timeScale),
            S);
    return new Scenario(
        s.name(),
        s.description() + "; the first 5 s not counted",
        list,
        s.arrivalsPerSecond(),
        s.durationNanos(),
        S,
        scaled(5 * S, timeScale),
        50,
        1);
  }

  /**
   * A small fleet: four homogeneous M/M/4 backends (exponential 10 ms), 8 clients, at 70%
   * utilization, where an independent reimplementation found Prequal 25% worse than round robin.
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario smallFleet(double timeScale) {
    List<BackendSpec> list = cluster(4, BackendSpec.healthy(ServiceTime.exponential(10), 4));
    Scenario s =
        atUtilization(
            "small_fleet",
            "4 homogeneous backends, 4 workers, exponential 10 ms, 8 clients; 70% utilization",
            list,
            0.7,
            scaled(30 * S, timeScale),
            S);
    return new Scenario(
        s.name(), s.description(), list, s.arrivalsPerSecond(), s.durationNanos(), S, 0, 8, 0);
  }

  /**
   * Fast-failing replicas: 20 M/M/4 backends (exponential 10 ms), backends 0 and 1 failing every
   * call within 100 us (while answering probes as healthy servers do), 10 clients, at 60% of the
   * healthy capacity. Only calls after the first second count: the share the two receive after 1 s
   * is what "avoided within 1 s" measures (meant without outlier detection).
   *
   * @param timeScale see {@link #all}
   * @return the scenario
   */
  public static Scenario fastFailing(double timeScale) {
    List<BackendSpec> list = cluster(20, BackendSpec.healthy(ServiceTime.exponential(10), 4));
    for (int i = 0; i < 2; i++) {
      BackendSpec h = list.get(i);
      list.set(
          i,
          new BackendSpec(
              h.service(),
              h.workers(),
              h.slowFactor(),
              0,
              0,
              1.0,
              100_000L,
              Long.MAX_VALUE,
              Long.MAX_VALUE,
              Long.MAX_VALUE,
              Long.MAX_VALUE,
              0));
    }
    double healthy = 18 * list.get(2).capacityPerSecond();
    return new Scenario(
        "fast_failing",
        "20 backends, 4 workers, exponential 10 ms; backends 0-1 fail every call in 100 us;"
            + " 10 clients; 60% of the healthy capacity; calls after the first 1 s counted",
        list,
        0.6 * healthy,
        Math.max(3 * S, scaled(10 * S, timeScale)),
        S,
        S,
        10,
        2);
  }

  private static Scenario atUtilization(
      String name,
      String description,
      List<BackendSpec> backends,
      double utilization,
      long duration,
      long timeout) {
    double capacity = 0;
    for (BackendSpec b : backends) {
      capacity += b.capacityPerSecond();
    }
    return new Scenario(name, description, backends, utilization * capacity, duration, timeout);
  }

  private static List<BackendSpec> cluster(int n, BackendSpec spec) {
    List<BackendSpec> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(spec);
    }
    return list;
  }

  private static long scaled(long nanos, double timeScale) {
    return Math.round(nanos * timeScale);
  }
}
