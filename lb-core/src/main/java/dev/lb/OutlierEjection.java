package dev.lb;

import dev.lb.health.HealthChangeCause;
import dev.lb.health.OutlierDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Passive outlier ejection (Envoy's outlier detection): consecutive failures reported on leases,
 * and every interval the rate-based {@link OutlierDetectors}, eject endpoints for a time that grows
 * with each ejection, within the max-ejection cap. When the time is over the endpoint returns, or,
 * with active checks on, waits until it passes them. Runs on the serialized path.
 *
 * <p>Every detection attempt ends the endpoint's failure streak, whether or not it led to an
 * ejection (the cap was reached, or the endpoint is already out), so the consecutive-failure
 * detector fires again on the next full streak.
 */
final class OutlierEjection {
  private static final System.Logger LOGGER = System.getLogger(LoadBalancer.class.getName());

  private final LoadBalancer balancer;
  private final OutlierDetection config;
  private final UpdatePath updates;
  private final StatusTransitions status;
  private final ActiveHealthChecks checks;
  private final Ticker ticker;
  private final Supplier<List<Member>> members;

  // Guarded by the update lock.
  private Scheduler.@Nullable Cancellable sweep;
  private boolean closed;

  OutlierEjection(
      LoadBalancer balancer,
      OutlierDetection config,
      UpdatePath updates,
      StatusTransitions status,
      ActiveHealthChecks checks,
      Ticker ticker,
      Supplier<List<Member>> members) {
    this.balancer = balancer;
    this.config = config;
    this.updates = updates;
    this.status = status;
    this.checks = checks;
    this.ticker = ticker;
    this.members = members;
    checks.onRise(this::restore);
  }

  /** Starts the periodic sweep, if outlier detection is on. */
  void start() {
    if (config.enabled()) {
      scheduleSweep();
    }
  }

  void close() {
    closed = true;
    UpdatePath.cancel(sweep);
    sweep = null;
  }

  /** The consecutive-failure detector fired on the lease path for {@code m}. */
  void onFailureStreak(Member m, int streak) {
    eject(m, streak + " consecutive failures");
  }

  private void scheduleSweep() {
    if (!closed) {
      sweep =
          updates
              .timers()
              .schedule(
                  () ->
                      updates.run(
                          () -> {
                            sweep();
                            scheduleSweep();
                          }),
                  config.intervalNanos());
    }
  }

  /**
   * Every interval: the rate-based detectors run over the interval's counts, and the ejection
   * multiplier of every endpoint that spent the whole interval un-ejected shrinks by one.
   */
  void sweep() {
    long now = ticker.read();
    List<Member> candidates = new ArrayList<>();
    List<long[]> volumes = new ArrayList<>();
    for (Member m : members.get()) {
      long s = m.state.successes();
      long f = m.state.failures();
      long ds = s - m.sweptSuccesses;
      long df = f - m.sweptFailures;
      m.sweptSuccesses = s;
      m.sweptFailures = f;
      int bits = m.state.status();
      if ((bits & EndpointState.EJECTED) == 0
          && m.ejectionMultiplier > 0
          && now - m.restoredAt >= config.intervalNanos()) {
        m.ejectionMultiplier--;
      }
      if ((bits & (EndpointState.EJECTED | EndpointState.ADMINISTRATIVE)) == 0) {
        candidates.add(m);
        volumes.add(new long[] {ds, df});
      }
    }
    long[] successes = new long[candidates.size()];
    long[] failures = new long[candidates.size()];
    for (int i = 0; i < successes.length; i++) {
      successes[i] = volumes.get(i)[0];
      failures[i] = volumes.get(i)[1];
    }
    for (OutlierDetectors.Outlier o : OutlierDetectors.successRate(config, successes, failures)) {
      eject(candidates.get(o.index()), o.reason());
    }
    for (OutlierDetectors.Outlier o :
        OutlierDetectors.failurePercentage(config, successes, failures)) {
      eject(candidates.get(o.index()), o.reason());
    }
  }

  private void eject(Member m, String reason) {
    // Whatever happens next, this detection is spent: the streak starts again from zero.
    m.state.resetFailureStreak();
    if (m.removed || closed || (m.state.status() & EndpointState.EJECTED) != 0) {
      return;
    }
    if (atCap()) {
      LOGGER.log(
          System.Logger.Level.DEBUG,
          "balancer ''{0}'' did not eject {1} ({2}): max ejection percent reached",
          balancer.name(),
          m.id(),
          reason);
      return;
    }
    m.ejectionMultiplier++;
    m.countEjection();
    long nanos =
        Math.min(
            config.maxEjectionNanos(), config.baseEjectionNanos() * (long) m.ejectionMultiplier);
    m.awaitingChecks = false;
    status.set(m, EndpointState.EJECTED, HealthChangeCause.EJECTED, reason);
    Endpoint e = m.endpoint();
    Duration d = Duration.ofNanos(nanos);
    updates.emit(l -> l.onEjected(balancer, e, reason, d));
    scheduleEjectionOver(m, nanos);
  }

  /** Whether the ejection cap allows no further ejection now. */
  private boolean atCap() {
    List<Member> all = members.get();
    int ejected = 0;
    for (Member other : all) {
      ejected += (other.state.status() & EndpointState.EJECTED) != 0 ? 1 : 0;
    }
    return ejected >= config.maxEjections(all.size());
  }

  private void scheduleEjectionOver(Member m, long nanos) {
    UpdatePath.cancel(m.restoreTask);
    m.ejectionEndsAt = ticker.read() + nanos;
    m.restoreTask = updates.timers().schedule(() -> updates.run(() -> ejectionOver(m)), nanos);
  }

  /**
   * Carries an ejection over from the balancer this one replaces ({@link
   * LoadBalancer.Builder#inheritFrom}): {@code m} is ejected for what was left of it (at most this
   * balancer's maximum ejection time), or waits for its checks as it did there; not if outlier
   * detection is off here or the cap is reached.
   *
   * @param remainingNanos what was left of the ejection time, 0 if it was waiting for checks
   * @param awaitingChecks whether the ejection time was over and it was waiting to pass checks
   */
  void resume(Member m, long remainingNanos, boolean awaitingChecks, String reason) {
    if (!config.enabled() || closed || atCap()) {
      return;
    }
    status.set(m, EndpointState.EJECTED, HealthChangeCause.EJECTED, reason);
    if (awaitingChecks && checks.enabled()) {
      m.awaitingChecks = true;
      m.checkPasses = 0;
    } else {
      // Capped by this balancer's longest ejection: a change that shortens it frees them too.
      scheduleEjectionOver(m, Math.min(config.maxEjectionNanos(), Math.max(0, remainingNanos)));
    }
  }

  private void ejectionOver(Member m) {
    m.restoreTask = null;
    if (m.removed || (m.state.status() & EndpointState.EJECTED) == 0) {
      return;
    }
    if (checks.enabled() && !closed) {
      // Envoy's rule: with active checks on, an ejected endpoint returns once it passes them.
      m.awaitingChecks = true;
      m.checkPasses = 0;
      return;
    }
    restore(m, "ejection time over");
  }

  private void restore(Member m, String reason) {
    m.restoredAt = ticker.read();
    HealthChangeCause cause =
        m.checkTask != null || checks.enabled()
            ? HealthChangeCause.CHECKS_PASSED
            : HealthChangeCause.EJECTION_ENDED;
    if (status.clear(m, EndpointState.EJECTED, cause, reason)) {
      Endpoint e = m.endpoint();
      updates.emit(l -> l.onRestored(balancer, e));
    }
  }
}
