package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A checker whose answer per endpoint id the test sets: healthy by default, {@link #fail}, or
 * {@link #hang} (never answers). Counts probes per id. Thread-safe.
 */
public final class FakeHealthChecker implements HealthChecker {
  private enum Hang {
    HANG
  }

  private final Map<String, Object> answers = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> probes = new ConcurrentHashMap<>();

  public FakeHealthChecker pass(String id) {
    answers.remove(id);
    return this;
  }

  public FakeHealthChecker fail(String id) {
    answers.put(id, HealthCheckResult.unhealthy("HTTP 503"));
    return this;
  }

  public FakeHealthChecker hang(String id) {
    answers.put(id, Hang.HANG);
    return this;
  }

  public FakeHealthChecker throwOn(String id) {
    answers.put(id, new IllegalStateException("checker bug"));
    return this;
  }

  public int probes(String id) {
    AtomicInteger n = probes.get(id);
    return n == null ? 0 : n.get();
  }

  @Override
  public CompletionStage<HealthCheckResult> check(Endpoint endpoint, Duration timeout) {
    probes.computeIfAbsent(endpoint.id(), k -> new AtomicInteger()).incrementAndGet();
    Object answer = answers.get(endpoint.id());
    if (answer == null) {
      return CompletableFuture.completedFuture(HealthCheckResult.healthy());
    }
    if (answer instanceof Hang) {
      return new CompletableFuture<>();
    }
    if (answer instanceof RuntimeException e) {
      throw e;
    }
    return CompletableFuture.completedFuture((HealthCheckResult) answer);
  }
}
