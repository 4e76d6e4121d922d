package dev.lb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.health.HealthCheckResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FakeHealthCheckerTest {
  private static final Endpoint E1 = Endpoint.builder("10.0.0.1", 80).id("e1").build();
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  private final FakeHealthChecker checker = new FakeHealthChecker();

  private HealthCheckResult result() {
    return checker.check(E1, TIMEOUT).toCompletableFuture().getNow(null);
  }

  @Test
  void answers_healthyByDefault_andAsSetAfterwards() {
    assertThat(result()).isEqualTo(HealthCheckResult.healthy());

    assertThat(checker.fail("e1")).isSameAs(checker);
    assertThat(result()).isEqualTo(HealthCheckResult.unhealthy("HTTP 503"));

    checker.fail("e1", "connect timed out");
    assertThat(result()).isEqualTo(HealthCheckResult.unhealthy("connect timed out"));

    checker.pass("e1");
    assertThat(result()).isEqualTo(HealthCheckResult.healthy());
  }

  @Test
  void hang_neverCompletes() {
    checker.hang("e1");
    CompletableFuture<HealthCheckResult> stage = checker.check(E1, TIMEOUT).toCompletableFuture();
    assertThat(stage).isNotDone();
  }

  @Test
  void throwOn_throwsFromCheck_likeABuggyChecker() {
    checker.throwOn("e1");
    assertThatThrownBy(() -> checker.check(E1, TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("checker bug");
  }

  @Test
  void probes_areCountedPerId_whateverTheAnswer() {
    assertThat(checker.probes("e1")).isZero();
    result();
    checker.hang("e1");
    checker.check(E1, TIMEOUT);
    checker.throwOn("e1");
    assertThatThrownBy(() -> checker.check(E1, TIMEOUT)).isInstanceOf(IllegalStateException.class);
    assertThat(checker.probes("e1")).isEqualTo(3);
    assertThat(checker.probes("e2")).isZero();
    assertThat(checker).hasToString("FakeHealthChecker{answers=[e1]}");
  }

  @Test
  void badArguments_areRejected() {
    assertThatThrownBy(() -> checker.pass(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id");
    assertThatThrownBy(() -> checker.fail(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id");
    assertThatThrownBy(() -> checker.fail("e1", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("reason");
    assertThatThrownBy(() -> checker.fail("e1", " ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> checker.hang(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id");
    assertThatThrownBy(() -> checker.throwOn(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id");
    assertThatThrownBy(() -> checker.probes(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("id");
    assertThatThrownBy(() -> checker.check(null, TIMEOUT))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("endpoint");
  }
}
