package dev.lb.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.grpc.LbChannels;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Proves that {@link GrpcPolicyBenchmark} runs for every policy (no JMH, no timing). */
class GrpcPolicyBenchmarkTest {
  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "lb_round_robin", "lb_peak_ewma"})
  @Timeout(30)
  void everyPolicy_answersOverLoopback(String policy) throws Exception {
    GrpcPolicyBenchmark bench = new GrpcPolicyBenchmark();
    bench.policy = policy;
    bench.setUp();
    try {
      for (int i = 0; i < 50; i++) {
        assertThat(bench.call()).containsExactly('o', 'k');
      }
      if (policy.startsWith("lb_")) {
        // The lb policy really carried the calls: its balancer counted them.
        assertThat(LbChannels.targets()).isNotEmpty();
      }
    } finally {
      bench.tearDown();
    }
  }
}
