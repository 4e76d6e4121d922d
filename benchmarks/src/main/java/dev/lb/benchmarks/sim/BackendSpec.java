package dev.lb.benchmarks.sim;

/**
 * How one simulated backend behaves: its service-time distribution and number of workers, and the
 * ways it can misbehave. Backends queue calls FIFO when every worker is busy; a backend with {@link
 * Integer#MAX_VALUE} workers never queues (its latency does not depend on load).
 *
 * @param service the service time of one call at normal speed
 * @param workers calls served at once, at least 1
 * @param slowFactor service times are multiplied by this (10 for "ten times slower")
 * @param pausePeriodNanos GC-like pauses start every this many nanoseconds (0: none)
 * @param pauseNanos how long each pause stops all work
 * @param failureRate fraction of calls answered at once with an error, 0 to 1
 * @param failureNanos how long a failed or refused call takes to come back
 * @param downFromNanos from this time the backend refuses every call ({@code Long.MAX_VALUE}:
 *     never)
 * @param downUntilNanos until this time
 * @param fixedFromNanos from this time every call takes {@code fixedLatencyNanos}
 * @param fixedUntilNanos until this time
 * @param fixedLatencyNanos the latency of every call in the fixed window
 * @param backgroundAmplitude the most of the backend's capacity that other tenants take, 0 to 0.9:
 *     their share varies over time between 0 and this, as {@link #backgroundShare}, and a call
 *     started while they take a share {@code b} is served {@code 1 / (1 - b)} times slower (0: no
 *     background load)
 * @param backgroundPeriodNanos the period of the background load's cycle (0 when there is none)
 * @param backgroundPhase where in its cycle the background load starts, 0 to 1
 */
public record BackendSpec(
    ServiceTime service,
    int workers,
    double slowFactor,
    long pausePeriodNanos,
    long pauseNanos,
    double failureRate,
    long failureNanos,
    long downFromNanos,
    long downUntilNanos,
    long fixedFromNanos,
    long fixedUntilNanos,
    long fixedLatencyNanos,
    double backgroundAmplitude,
    long backgroundPeriodNanos,
    double backgroundPhase) {

  private static final long NEVER = Long.MAX_VALUE;

  /** A backend without background load (the components before background load existed). */
  public BackendSpec(
      ServiceTime service,
      int workers,
      double slowFactor,
      long pausePeriodNanos,
      long pauseNanos,
      double failureRate,
      long failureNanos,
      long downFromNanos,
      long downUntilNanos,
      long fixedFromNanos,
      long fixedUntilNanos,
      long fixedLatencyNanos) {
    this(
        service,
        workers,
        slowFactor,
        pausePeriodNanos,
        pauseNanos,
        failureRate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        0,
        0,
        0);
  }

  /** Validates the components. */
  public BackendSpec {
    if (!(backgroundAmplitude >= 0 && backgroundAmplitude <= 0.9)) {
      throw new IllegalArgumentException(
          "backgroundAmplitude must be in [0, 0.9] but was " + backgroundAmplitude);
    }
    if (backgroundAmplitude > 0 && backgroundPeriodNanos <= 0) {
      throw new IllegalArgumentException(
          "backgroundPeriodNanos must be positive with background load but was "
              + backgroundPeriodNanos);
    }
    if (service == null) {
      throw new IllegalArgumentException("service must not be null");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1 but was " + workers);
    }
    if (!(slowFactor > 0)) {
      throw new IllegalArgumentException("slowFactor must be positive but was " + slowFactor);
    }
    if (!(failureRate >= 0 && failureRate <= 1)) {
      throw new IllegalArgumentException("failureRate must be in [0, 1] but was " + failureRate);
    }
    if (pausePeriodNanos < 0
        || pauseNanos < 0
        || (pausePeriodNanos > 0 && pauseNanos >= pausePeriodNanos)) {
      throw new IllegalArgumentException(
          "pauseNanos must be in [0, pausePeriodNanos) but was "
              + pauseNanos
              + " with period "
              + pausePeriodNanos);
    }
  }

  /**
   * A well-behaved backend.
   *
   * @param service its service-time distribution
   * @param workers how many calls it serves at once
   * @return a backend that never pauses, fails or goes down
   */
  public static BackendSpec healthy(ServiceTime service, int workers) {
    return new BackendSpec(
        service, workers, 1.0, 0, 0, 0.0, 1_000_000L, NEVER, NEVER, NEVER, NEVER, 0);
  }

  /**
   * This backend, {@code factor} times slower.
   *
   * @param factor the service-time multiplier
   * @return a copy with that slow factor
   */
  public BackendSpec slower(double factor) {
    return new BackendSpec(
        service,
        workers,
        factor,
        pausePeriodNanos,
        pauseNanos,
        failureRate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        backgroundAmplitude,
        backgroundPeriodNanos,
        backgroundPhase);
  }

  /**
   * This backend with stop-the-world pauses.
   *
   * @param periodNanos time from one pause's start to the next
   * @param lengthNanos how long each pause lasts
   * @return a copy that pauses
   */
  public BackendSpec pausing(long periodNanos, long lengthNanos) {
    return new BackendSpec(
        service,
        workers,
        slowFactor,
        periodNanos,
        lengthNanos,
        failureRate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        backgroundAmplitude,
        backgroundPeriodNanos,
        backgroundPhase);
  }

  /**
   * This backend failing a fraction of calls fast.
   *
   * @param rate the fraction of calls that fail
   * @return a copy that fails
   */
  public BackendSpec failing(double rate) {
    return new BackendSpec(
        service,
        workers,
        slowFactor,
        pausePeriodNanos,
        pauseNanos,
        rate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        backgroundAmplitude,
        backgroundPeriodNanos,
        backgroundPhase);
  }

  /**
   * This backend refusing every call during a window (a crash and restart).
   *
   * @param fromNanos when it goes down
   * @param untilNanos when it comes back
   * @return a copy that goes down
   */
  public BackendSpec down(long fromNanos, long untilNanos) {
    return new BackendSpec(
        service,
        workers,
        slowFactor,
        pausePeriodNanos,
        pauseNanos,
        failureRate,
        failureNanos,
        fromNanos,
        untilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        backgroundAmplitude,
        backgroundPeriodNanos,
        backgroundPhase);
  }

  /**
   * This backend answering every call after a fixed latency during a window.
   *
   * @param fromNanos when the window starts
   * @param untilNanos when it ends
   * @param latencyNanos the latency of every call in the window
   * @return a copy with the window
   */
  public BackendSpec fixedLatency(long fromNanos, long untilNanos, long latencyNanos) {
    return new BackendSpec(
        service,
        workers,
        slowFactor,
        pausePeriodNanos,
        pauseNanos,
        failureRate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fromNanos,
        untilNanos,
        latencyNanos,
        backgroundAmplitude,
        backgroundPeriodNanos,
        backgroundPhase);
  }

  /**
   * This backend sharing its machine with other tenants whose load varies over time.
   *
   * @param amplitude the most of the capacity they take, 0 to 0.9
   * @param periodNanos the period of their load's cycle
   * @param phase where in the cycle it starts, 0 to 1
   * @return a copy with that background load
   */
  public BackendSpec background(double amplitude, long periodNanos, double phase) {
    return new BackendSpec(
        service,
        workers,
        slowFactor,
        pausePeriodNanos,
        pauseNanos,
        failureRate,
        failureNanos,
        downFromNanos,
        downUntilNanos,
        fixedFromNanos,
        fixedUntilNanos,
        fixedLatencyNanos,
        amplitude,
        periodNanos,
        phase);
  }

  /**
   * The share of the backend's capacity other tenants take at {@code now}: a smooth cycle, {@code
   * amplitude x (1 + sin(2 pi (now / period + phase))) / 2}.
   *
   * @param now simulated time
   * @return 0 to {@link #backgroundAmplitude()}
   */
  public double backgroundShare(long now) {
    if (backgroundAmplitude == 0) {
      return 0;
    }
    double cycle = (double) now / backgroundPeriodNanos + backgroundPhase;
    return backgroundAmplitude * (1 + Math.sin(2 * Math.PI * cycle)) / 2;
  }

  /**
   * How much slower a call started at {@code now} is served than at {@link #slowFactor()} alone.
   *
   * @param now simulated time
   * @return {@code 1 / (1 - backgroundShare(now))}, 1 without background load
   */
  public double backgroundFactor(long now) {
    return 1 / (1 - backgroundShare(now));
  }

  /**
   * Whether the backend refuses calls at {@code now}.
   *
   * @param now simulated time
   * @return true inside the down window
   */
  public boolean isDown(long now) {
    return now >= downFromNanos && now < downUntilNanos;
  }

  /**
   * Whether calls started at {@code now} take the fixed latency.
   *
   * @param now simulated time
   * @return true inside the fixed-latency window
   */
  public boolean isFixed(long now) {
    return now >= fixedFromNanos && now < fixedUntilNanos;
  }

  /**
   * Calls per second the backend completes at full load, ignoring pauses and windows, on average
   * over its background load's cycle.
   *
   * @return the service capacity
   */
  public double capacityPerSecond() {
    // Other tenants take amplitude / 2 of the capacity on average over their cycle.
    return workers * 1e9 / (service.meanNanos() * slowFactor) * (1 - backgroundAmplitude / 2);
  }

  /**
   * When work of {@code workNanos} started at {@code start} is done, time in pauses not counting.
   *
   * @param start when the work starts
   * @param workNanos how much work it is
   * @return the completion time
   */
  public long finishTime(long start, long workNanos) {
    if (pausePeriodNanos == 0) {
      return start + workNanos;
    }
    long t = start;
    long remaining = workNanos;
    while (true) {
      long phase = Math.floorMod(t, pausePeriodNanos);
      if (phase < pauseNanos) {
        t += pauseNanos - phase; // wait out the pause in progress
        phase = pauseNanos;
      }
      long nextPause = t + (pausePeriodNanos - phase);
      if (t + remaining <= nextPause) {
        return t + remaining;
      }
      remaining -= nextPause - t;
      t = nextPause;
    }
  }

  /**
   * Whether the backend is in a pause at {@code now}.
   *
   * @param now simulated time
   * @return true while paused
   */
  public boolean isPaused(long now) {
    return pausePeriodNanos > 0 && Math.floorMod(now, pausePeriodNanos) < pauseNanos;
  }
}
