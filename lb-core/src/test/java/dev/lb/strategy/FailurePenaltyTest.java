package dev.lb.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * With outlier detection off, an endpoint that fails fast must get well under an equal healthy
 * endpoint's share under every load-aware strategy: its failures count against it, and failing fast
 * never makes it look idle, fast or light.
 */
class FailurePenaltyTest {
  private static final long MS = 1_000_000L;
  private static final int CALLS = 3_000;

  private static final List<Strategy> LOAD_AWARE =
      List.of(
          Strategies.leastConnections(),
          Strategies.weightedLeastConnections(),
          Strategies.leastResponseTime(),
          Strategies.leastBandwidth(),
          Strategies.powerOfTwoChoices(),
          Strategies.peakEwma());

  @Test
  void sequentialCalls_fastFailingEndpoint_getsWellUnderAHealthyShare() {
    for (Strategy strategy : LOAD_AWARE) {
      for (long seed = 0; seed < 3; seed++) {
        assertFailingShareLow(strategy, seed, 0);
      }
    }
  }

  @Test
  void concurrentCalls_fastFailingEndpoint_getsWellUnderAHealthyShare() {
    for (Strategy strategy : LOAD_AWARE) {
      for (long seed = 0; seed < 3; seed++) {
        assertFailingShareLow(strategy, seed, 16);
      }
    }
  }

  @Test
  void penaltyDecays_soARecoveredEndpointGetsCallsAgain() {
    for (Strategy strategy : LOAD_AWARE) {
      FakeTicker ticker = new FakeTicker();
      LoadBalancer lb = balancer(strategy, 1, ticker);
      int[] counts = new int[3];
      for (int i = 0; i < CALLS; i++) {
        Lease lease = lb.pick();
        int e = index(lease);
        counts[e]++;
        ticker.advanceMillis(1);
        if (e == 0 && i < CALLS / 2) {
          lease.onFailure(MS, new IOException("refused"));
        } else {
          lease.onSuccess(10 * MS, 10_000);
        }
      }
      // Then 100 s of quiet (ten decay windows) and the same traffic, all healthy.
      ticker.advanceMillis(100_000);
      int[] after = new int[3];
      for (int i = 0; i < CALLS; i++) {
        Lease lease = lb.pick();
        after[index(lease)]++;
        ticker.advanceMillis(1);
        lease.onSuccess(10 * MS, 10_000);
      }
      assertThat(after[0])
          .as("%s: %s", strategy.name(), java.util.Arrays.toString(after))
          .isGreaterThan(CALLS / 10);
    }
  }

  /**
   * Three equal endpoints; e0 fails every call in 1 ms, e1 and e2 answer in 10 ms with 10 kB.
   * {@code concurrency} calls are held open (completed oldest first) when positive; e0's failures
   * are reported at once, as a refused connection is.
   */
  private static void assertFailingShareLow(Strategy strategy, long seed, int concurrency) {
    FakeTicker ticker = new FakeTicker();
    LoadBalancer lb = balancer(strategy, seed, ticker);
    int[] counts = new int[3];
    ArrayDeque<Lease> held = new ArrayDeque<>();
    for (int i = 0; i < CALLS; i++) {
      Lease lease = lb.pick();
      int e = index(lease);
      counts[e]++;
      ticker.advanceMillis(1);
      if (e == 0) {
        lease.onFailure(MS, new IOException("refused"));
        continue;
      }
      held.add(lease);
      while (held.size() > concurrency) {
        held.remove().onSuccess(10 * MS, 10_000);
      }
    }
    double healthyShare = (counts[1] + counts[2]) / 2.0;
    assertThat(counts[0])
        .as(
            "%s, seed %s, %s held: counts %s",
            strategy.name(), seed, concurrency, java.util.Arrays.toString(counts))
        .isLessThan((int) (0.2 * healthyShare));
  }

  private static LoadBalancer balancer(Strategy strategy, long seed, FakeTicker ticker) {
    return LoadBalancer.builder()
        .strategy(strategy)
        .endpoints(Fixtures.endpoints(3))
        .outlierDetection(OutlierDetection.disabled())
        .random(new SplittableRandom(seed))
        .ticker(ticker)
        .scheduler(new FakeScheduler(ticker))
        .build();
  }

  private static int index(Lease lease) {
    return Integer.parseInt(lease.endpoint().id().substring(1));
  }
}
