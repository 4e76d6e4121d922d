package dev.lb.retry;

import static dev.lb.internal.Checks.checkNotNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * When and how often a client retries a failed call: at most {@code maxAttempts} attempts in all,
 * each retry on an endpoint not yet tried, after a {@link Backoff}, and only while the shared
 * {@link RetryBudget} allows.
 *
 * <p>What is retryable, in the manner of nginx's {@code proxy_next_upstream} and HAProxy's {@code
 * redispatch}: a failure that proves the request was not processed ({@link
 * FailureKind#CONNECT_FAILED}, {@link FailureKind#REFUSED_UNPROCESSED}) always; a {@link
 * FailureKind#TIMEOUT} or {@link FailureKind#UNAVAILABLE} only for an idempotent request, or when
 * the client opted in with {@link Builder#retryNonIdempotent(boolean)}; anything else never. A
 * non-idempotent request whose body may have been processed is thus never sent twice unless the
 * client asked for it.
 *
 * <table class="striped">
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@code maxAttempts}</td><td>3 (the first attempt and two retries)</td></tr>
 *   <tr><td>{@code backoff}</td><td>full jitter, 25 ms base, 250 ms cap (Envoy's retry
 *       defaults)</td></tr>
 *   <tr><td>{@code budget}</td><td>a new {@link RetryBudget} with Finagle's defaults (20 % + 10/s
 *       over 10 s) on the system ticker</td></tr>
 *   <tr><td>{@code retryNonIdempotent}</td><td>false</td></tr>
 * </table>
 *
 * <pre>{@code
 * RetryCall call = policy.newCall(request.isIdempotent());
 * while (true) {
 *   Lease lease = balancer.pick(contextExcluding(call.triedEndpointIds()));
 *   call.onAttempt(lease.endpoint().id());
 *   try {
 *     return send(lease, request);
 *   } catch (IOException e) {
 *     RetryDecision d = call.onFailure(kindOf(e));
 *     if (!d.shouldRetry()) throw e;
 *     sleep(d.delay());
 *   }
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe; the budget is shared by every call of the policy.
 */
public final class RetryPolicy {
  /** The most attempts a policy may allow. */
  public static final int MAX_ATTEMPTS = 100;

  private final int maxAttempts;
  private final Backoff backoff;
  private final RetryBudget budget;
  private final boolean retryNonIdempotent;

  private RetryPolicy(Builder b, RetryBudget budget) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
    this.budget = budget;
    this.retryNonIdempotent = b.retryNonIdempotent;
  }

  /**
   * Returns a builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the bookkeeping of one call and deposits the call in the budget.
   *
   * @param idempotent whether sending the request twice is harmless (GET, PUT, DELETE; a request
   *     the application knows to be safe)
   * @return a new per-call tracker, for the thread or chain of callbacks that drives the call
   */
  public RetryCall newCall(boolean idempotent) {
    budget.deposit();
    return new RetryCall(this, idempotent);
  }

  /**
   * Whether a failure of this kind may be retried for a request of this idempotency, attempts and
   * budget aside.
   *
   * @param kind the failure
   * @param idempotent whether the request is idempotent
   * @return true if the kind is retryable for the request
   * @throws NullPointerException if {@code kind} is null
   */
  public boolean isRetryable(FailureKind kind, boolean idempotent) {
    checkNotNull(kind, "kind");
    if (kind.provesNothingProcessed()) {
      return true;
    }
    boolean retryableIfSafe = kind == FailureKind.TIMEOUT || kind == FailureKind.UNAVAILABLE;
    return retryableIfSafe && (idempotent || retryNonIdempotent);
  }

  /**
   * The most attempts a call makes, the first included.
   *
   * @return at least 1
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The wait before each retry.
   *
   * @return the backoff
   */
  public Backoff backoff() {
    return backoff;
  }

  /**
   * The budget shared by every call of this policy.
   *
   * @return the budget
   */
  public RetryBudget budget() {
    return budget;
  }

  /**
   * Whether timeouts and unavailable answers are retried for non-idempotent requests too.
   *
   * @return true if the client opted in
   */
  public boolean retryNonIdempotent() {
    return retryNonIdempotent;
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts="
        + maxAttempts
        + ", backoff="
        + backoff
        + ", budget="
        + budget
        + ", retryNonIdempotent="
        + retryNonIdempotent
        + '}';
  }

  /**
   * Builds a {@link RetryPolicy}. Not thread-safe; every setter validates its argument at once and
   * names the option in its message.
   */
  public static final class Builder {
    private int maxAttempts = 3;
    private Backoff backoff = Backoff.fullJitter(Duration.ofMillis(25), Duration.ofMillis(250));
    private @Nullable RetryBudget budget;
    private boolean retryNonIdempotent;

    private Builder() {}

    /**
     * Sets the most attempts per call, the first included; 1 turns retries off. Default 3.
     *
     * @param attempts 1..{@link #MAX_ATTEMPTS}
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is out of range
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > MAX_ATTEMPTS) {
        throw new IllegalArgumentException(
            "maxAttempts must be in 1.." + MAX_ATTEMPTS + " but was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Sets the wait before each retry. Default full jitter, 25 ms base, 250 ms cap.
     *
     * @param backoff the backoff
     * @return this builder
     * @throws NullPointerException if {@code backoff} is null
     */
    public Builder backoff(@Nullable Backoff backoff) {
      this.backoff = checkNotNull(backoff, "backoff");
      return this;
    }

    /**
     * Sets the budget every call of the policy draws retries from; share it with the other policies
     * of the same client. Default: a new budget with Finagle's defaults on the system ticker.
     *
     * @param budget the budget; {@link RetryBudget#unlimited()} to rely on {@code maxAttempts}
     *     alone
     * @return this builder
     * @throws NullPointerException if {@code budget} is null
     */
    public Builder budget(@Nullable RetryBudget budget) {
      this.budget = checkNotNull(budget, "budget");
      return this;
    }

    /**
     * Opts in to retrying timeouts and unavailable answers of non-idempotent requests, accepting
     * that such a request may be processed twice. Default false.
     *
     * @param retry true to opt in
     * @return this builder
     */
    public Builder retryNonIdempotent(boolean retry) {
      this.retryNonIdempotent = retry;
      return this;
    }

    /**
     * Returns the policy.
     *
     * @return a new immutable policy
     */
    public RetryPolicy build() {
      RetryBudget b = budget;
      return new RetryPolicy(this, b != null ? b : RetryBudget.builder().build());
    }
  }
}
