package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's gRPC quick start runs and shows what it claims: weights 1:3 give 1:3 traffic. */
class GrpcQuickStartTest {
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void quickStart_weights1to3_give1to3Traffic() throws Exception {
    String report = GrpcQuickStart.run(400);

    assertThat(report).startsWith("400 calls: {users-1=100, users-2=300}");
    assertThat(report).contains("strategy weighted_round_robin", "0 in flight");
  }
}
