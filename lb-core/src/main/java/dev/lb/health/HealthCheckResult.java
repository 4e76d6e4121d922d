package dev.lb.health;

import static dev.lb.internal.Checks.checkNotBlank;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one active health probe: passed, or failed with a short reason shown in stats and
 * events (such as {@code "HTTP 503"} or {@code "connect timed out"}).
 *
 * <p>Immutable and thread-safe.
 */
public final class HealthCheckResult {
  private static final HealthCheckResult HEALTHY = new HealthCheckResult(true, "ok");

  private final boolean healthy;
  private final String reason;

  private HealthCheckResult(boolean healthy, String reason) {
    this.healthy = healthy;
    this.reason = reason;
  }

  /**
   * A passed probe.
   *
   * @return the shared result of a passed probe, with reason {@code ok}
   */
  public static HealthCheckResult healthy() {
    return HEALTHY;
  }

  /**
   * A failed probe.
   *
   * @param reason why it failed, short and human-readable; must not be null or blank
   * @return a new failed result
   * @throws NullPointerException if {@code reason} is null
   * @throws IllegalArgumentException if {@code reason} is blank
   */
  public static HealthCheckResult unhealthy(@Nullable String reason) {
    return new HealthCheckResult(false, checkNotBlank(reason, "reason"));
  }

  /**
   * Whether the probe passed.
   *
   * @return true if the endpoint answered as healthy
   */
  public boolean isHealthy() {
    return healthy;
  }

  /**
   * Why the probe failed, or {@code ok}.
   *
   * @return the reason given when the result was made
   */
  public String reason() {
    return reason;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HealthCheckResult that
        && healthy == that.healthy
        && reason.equals(that.reason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(healthy, reason);
  }

  @Override
  public String toString() {
    return healthy ? "healthy" : "unhealthy(" + reason + ")";
  }
}
