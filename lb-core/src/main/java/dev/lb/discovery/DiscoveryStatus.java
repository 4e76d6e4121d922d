package dev.lb.discovery;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of how a {@link DiscoveryBinding}'s source is doing: when it last delivered a good
 * set, how many attempts have failed since, and why the last one failed.
 *
 * <p>Times are readings of the binding's {@link dev.lb.Ticker} (the balancer's), so compare them
 * with that ticker's {@link dev.lb.Ticker#read()}, not with the wall clock.
 *
 * <p>Immutable and thread-safe.
 */
public final class DiscoveryStatus {
  private final String source;
  private final long updates;
  private final long failures;
  private final int consecutiveFailures;
  private final int endpointCount;
  private final boolean hasSucceeded;
  private final long lastSuccessNanos;
  private final boolean hasFailed;
  private final long lastFailureNanos;
  private final @Nullable Throwable lastError;

  DiscoveryStatus(
      String source,
      long updates,
      long failures,
      int consecutiveFailures,
      int endpointCount,
      boolean hasSucceeded,
      long lastSuccessNanos,
      boolean hasFailed,
      long lastFailureNanos,
      @Nullable Throwable lastError) {
    this.source = source;
    this.updates = updates;
    this.failures = failures;
    this.consecutiveFailures = consecutiveFailures;
    this.endpointCount = endpointCount;
    this.hasSucceeded = hasSucceeded;
    this.lastSuccessNanos = lastSuccessNanos;
    this.hasFailed = hasFailed;
    this.lastFailureNanos = lastFailureNanos;
    this.lastError = lastError;
  }

  static DiscoveryStatus initial(String source) {
    return new DiscoveryStatus(source, 0, 0, 0, 0, false, 0, false, 0, null);
  }

  DiscoveryStatus succeeded(long now, int count) {
    return new DiscoveryStatus(
        source, updates + 1, failures, 0, count, true, now, hasFailed, lastFailureNanos, lastError);
  }

  DiscoveryStatus failed(long now, Throwable error) {
    return new DiscoveryStatus(
        source,
        updates,
        failures + 1,
        consecutiveFailures + 1,
        endpointCount,
        hasSucceeded,
        lastSuccessNanos,
        true,
        now,
        error);
  }

  /**
   * The source's {@link EndpointSource#name() name}.
   *
   * @return the name of the source this status describes
   */
  public String source() {
    return source;
  }

  /**
   * Whether the source is up to date: it has delivered a good set and its latest attempt did not
   * fail.
   *
   * @return true if the last attempt succeeded
   */
  public boolean isHealthy() {
    return hasSucceeded && consecutiveFailures == 0;
  }

  /**
   * How many good sets were applied (including those that changed nothing).
   *
   * @return the number of successful updates since the binding started
   */
  public long updates() {
    return updates;
  }

  /**
   * How many attempts failed or delivered a set that was rejected.
   *
   * @return the number of failures since the binding started
   */
  public long failures() {
    return failures;
  }

  /**
   * How many attempts in a row have failed since the last good set; 0 while healthy.
   *
   * @return the current failure streak
   */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * The size of the last good set, the one in use.
   *
   * @return the number of endpoints last applied; 0 before the first success
   */
  public int endpointCount() {
    return endpointCount;
  }

  /**
   * When the last good set was applied.
   *
   * @return the ticker reading of the last success, or empty if the source has never succeeded
   */
  public OptionalLong lastSuccessNanos() {
    return hasSucceeded ? OptionalLong.of(lastSuccessNanos) : OptionalLong.empty();
  }

  /**
   * When the last failure happened.
   *
   * @return the ticker reading of the last failure, or empty if the source has never failed
   */
  public OptionalLong lastFailureNanos() {
    return hasFailed ? OptionalLong.of(lastFailureNanos) : OptionalLong.empty();
  }

  /**
   * The last failure's cause, kept after recovery for diagnosis.
   *
   * @return the error of the most recent failure, or null if the source has never failed
   */
  public @Nullable Throwable lastError() {
    return lastError;
  }

  @Override
  public String toString() {
    StringBuilder sb =
        new StringBuilder("DiscoveryStatus{")
            .append(source)
            .append(isHealthy() ? ", healthy" : hasSucceeded ? ", failing" : ", no data")
            .append(", endpoints=")
            .append(endpointCount)
            .append(", updates=")
            .append(updates)
            .append(", failures=")
            .append(failures);
    if (consecutiveFailures > 0) {
      sb.append(", consecutiveFailures=").append(consecutiveFailures);
    }
    if (lastError != null) {
      sb.append(", lastError=").append(lastError);
    }
    return sb.append('}').toString();
  }
}
