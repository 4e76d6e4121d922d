package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link HealthChecker} whose answer for each endpoint the test sets, by endpoint id, and which
 * counts the probes of each. Its answers:
 *
 * <ul>
 *   <li>{@link #pass}: the default for every endpoint; a stage already completed with {@link
 *       HealthCheckResult#healthy()}.
 *   <li>{@link #fail(String)}: a stage already completed with {@code
 *       HealthCheckResult.unhealthy("HTTP 503")}; {@link #fail(String, String)} chooses the reason.
 *   <li>{@link #hang}: a stage that never completes, so the balancer's check timeout decides.
 *   <li>{@link #throwOn}: {@code check} itself throws {@code IllegalStateException("checker bug")},
 *       the way a buggy checker would.
 * </ul>
 *
 * <p>An answer holds until another replaces it; it applies to probes started afterwards. Probes are
 * counted whatever the answer, including those that throw.
 *
 * <p>Thread-safe: the balancer may probe concurrently while the test changes answers.
 *
 * <pre>{@code
 * FakeHealthChecker checker = new FakeHealthChecker().fail("e1");
 * LoadBalancer lb = builder.healthCheck(HealthCheckConfig.builder(checker).build()).build();
 * scheduler.advance(Duration.ofSeconds(30)); // e1 fails its checks and goes UNHEALTHY
 * checker.pass("e1");
 * }</pre>
 */
public final class FakeHealthChecker implements HealthChecker {
  /** The reason {@link #fail(String)} gives. */
  public static final String DEFAULT_FAILURE_REASON = "HTTP 503";

  /** What {@link #check} does for one endpoint id. */
  @FunctionalInterface
  private interface Answer {
    CompletionStage<HealthCheckResult> answer();
  }

  private static final Answer HANG = CompletableFuture::new;
  private static final Answer THROW =
      () -> {
        throw new IllegalStateException("checker bug");
      };

  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> probes = new ConcurrentHashMap<>();

  /** Creates a checker that answers healthy for every endpoint until told otherwise. */
  public FakeHealthChecker() {}

  /**
   * Makes probes of endpoint {@code id} pass (the default).
   *
   * @param id the endpoint's id
   * @return this checker
   * @throws NullPointerException if {@code id} is null
   */
  public FakeHealthChecker pass(String id) {
    answers.remove(Objects.requireNonNull(id, "id"));
    return this;
  }

  /**
   * Makes probes of endpoint {@code id} fail with reason {@value #DEFAULT_FAILURE_REASON}.
   *
   * @param id the endpoint's id
   * @return this checker
   * @throws NullPointerException if {@code id} is null
   */
  public FakeHealthChecker fail(String id) {
    return fail(id, DEFAULT_FAILURE_REASON);
  }

  /**
   * Makes probes of endpoint {@code id} fail with {@code reason}.
   *
   * @param id the endpoint's id
   * @param reason the failure reason, as {@link HealthCheckResult#unhealthy} takes it
   * @return this checker
   * @throws NullPointerException if {@code id} or {@code reason} is null
   * @throws IllegalArgumentException if {@code reason} is blank
   */
  public FakeHealthChecker fail(String id, String reason) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reason, "reason");
    CompletableFuture<HealthCheckResult> result =
        CompletableFuture.completedFuture(HealthCheckResult.unhealthy(reason));
    answers.put(id, () -> result);
    return this;
  }

  /**
   * Makes probes of endpoint {@code id} never complete.
   *
   * @param id the endpoint's id
   * @return this checker
   * @throws NullPointerException if {@code id} is null
   */
  public FakeHealthChecker hang(String id) {
    answers.put(Objects.requireNonNull(id, "id"), HANG);
    return this;
  }

  /**
   * Makes {@link #check} throw {@code IllegalStateException("checker bug")} for endpoint {@code
   * id}, to test that a checker's bug cannot hurt the balancer.
   *
   * @param id the endpoint's id
   * @return this checker
   * @throws NullPointerException if {@code id} is null
   */
  public FakeHealthChecker throwOn(String id) {
    answers.put(Objects.requireNonNull(id, "id"), THROW);
    return this;
  }

  /**
   * Returns how many probes of endpoint {@code id} have started.
   *
   * @param id the endpoint's id
   * @return the number of {@link #check} calls for it, 0 if none
   * @throws NullPointerException if {@code id} is null
   */
  public int probes(String id) {
    AtomicInteger n = probes.get(Objects.requireNonNull(id, "id"));
    return n == null ? 0 : n.get();
  }

  /**
   * Counts a probe of {@code endpoint} and answers as set for its id.
   *
   * @param endpoint the endpoint to probe
   * @param timeout ignored: {@link #hang} leaves the timeout to the balancer
   * @return the answer's stage
   * @throws NullPointerException if {@code endpoint} is null
   * @throws IllegalStateException if the endpoint's answer is {@link #throwOn}
   */
  @Override
  public CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout) {
    Objects.requireNonNull(endpoint, "endpoint");
    probes.computeIfAbsent(endpoint.id(), k -> new AtomicInteger()).incrementAndGet();
    Answer answer = answers.get(endpoint.id());
    return answer == null
        ? CompletableFuture.completedFuture(HealthCheckResult.healthy())
        : answer.answer();
  }

  @Override
  public String toString() {
    return "FakeHealthChecker{answers=" + answers.keySet() + "}";
  }
}
