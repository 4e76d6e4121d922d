package dev.lb;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthCheckResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Active health checks: one probe per member at a jittered interval, with the balancer's own
 * timeout, and the rise/fall state machine (healthy and unhealthy thresholds) that sets and clears
 * the unhealthy bit. An ejected endpoint whose ejection time is over and that waits for checks
 * (Envoy's rule with active checks on) comes back on the first rise, through {@code onRise}.
 */
final class ActiveHealthChecks {
  private final @Nullable HealthCheckConfig config;
  private final UpdatePath updates;
  private final StatusTransitions status;
  private final RandomGenerator random;
  private BiConsumer<Member, String> onRise = (m, reason) -> {};

  // Guarded by the update lock.
  private boolean closed;

  ActiveHealthChecks(
      @Nullable HealthCheckConfig config,
      UpdatePath updates,
      StatusTransitions status,
      RandomGenerator random) {
    this.config = config;
    this.updates = updates;
    this.status = status;
    this.random = random;
  }

  /** What to do when a member waiting for checks after an ejection passes them. */
  void onRise(BiConsumer<Member, String> onRise) {
    this.onRise = onRise;
  }

  boolean enabled() {
    return config != null;
  }

  /** Starts checking {@code m}, unless it is checked already or checks are off. */
  void start(Member m) {
    HealthCheckConfig hc = config;
    if (hc == null || closed || m.checkTask != null) {
      return;
    }
    // First check at a random point of the first jittered slice, so clients don't probe in step.
    long delay = (long) (hc.intervalNanos() * hc.jitter() * random.nextDouble());
    m.checkTask = updates.timers().schedule(() -> runCheck(m), delay);
  }

  void close() {
    closed = true;
  }

  /** Runs on the scheduler: starts one probe, with the balancer's own timeout. */
  private void runCheck(Member m) {
    HealthCheckConfig hc = config;
    if (hc == null) {
      return;
    }
    AtomicBoolean done = new AtomicBoolean();
    CompletionStage<HealthCheckResult> stage;
    try {
      stage =
          checkNotNull(
              hc.checker().check(m.endpoint(), Duration.ofNanos(hc.timeoutNanos())),
              "stage returned by health checker");
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    CompletionStage<HealthCheckResult> probe = stage;
    Scheduler.Cancellable timeout =
        updates
            .timers()
            .schedule(
                () -> {
                  if (done.compareAndSet(false, true)) {
                    cancelQuietly(probe);
                    checkDone(
                        m,
                        HealthCheckResult.unhealthy(
                            "timed out after "
                                + Duration.ofNanos(hc.timeoutNanos()).toMillis()
                                + " ms"));
                  }
                },
                hc.timeoutNanos());
    probe.whenComplete(
        (result, error) -> {
          if (done.compareAndSet(false, true)) {
            timeout.cancel();
            HealthCheckResult outcome =
                result != null ? result : HealthCheckResult.unhealthy(describe(error));
            updates.onStatePath(() -> checkDone(m, outcome));
          }
        });
  }

  private void checkDone(Member m, HealthCheckResult result) {
    updates.run(
        () -> {
          apply(m, result);
          HealthCheckConfig hc = config;
          if (hc != null && !m.removed && !closed) {
            boolean down =
                (m.state.status() & (EndpointState.UNHEALTHY | EndpointState.EJECTED)) != 0;
            long base = down ? hc.unhealthyIntervalNanos() : hc.intervalNanos();
            double u = 2 * random.nextDouble() - 1;
            long delay = (long) (base * (1 + hc.jitter() * u));
            m.checkTask = updates.timers().schedule(() -> runCheck(m), delay);
          }
        });
  }

  /** The rise/fall state machine. */
  private void apply(Member m, HealthCheckResult result) {
    HealthCheckConfig hc = config;
    if (hc == null || m.removed || closed) {
      return;
    }
    m.lastCheck = result;
    if (result.isHealthy()) {
      m.checkFailures = 0;
      m.checkPasses++;
      if (m.checkPasses >= hc.healthyThreshold()) {
        String reason = m.checkPasses + " consecutive passed checks";
        status.clear(m, EndpointState.UNHEALTHY, HealthChangeCause.CHECKS_PASSED, reason);
        if (m.awaitingChecks) {
          m.awaitingChecks = false;
          onRise.accept(m, reason);
        }
      }
    } else {
      m.checkPasses = 0;
      m.checkFailures++;
      if (m.checkFailures >= hc.unhealthyThreshold()) {
        status.set(
            m,
            EndpointState.UNHEALTHY,
            HealthChangeCause.CHECKS_FAILED,
            m.checkFailures + " consecutive failed checks: " + result.reason());
      }
    }
  }

  private static void cancelQuietly(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().cancel(false);
    } catch (UnsupportedOperationException ignored) {
      // a stage that cannot be cancelled finishes on its own
    }
  }

  private static String describe(@Nullable Throwable error) {
    if (error == null) {
      return "check failed";
    }
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
