package dev.lb.strategy;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.sequence;
import static dev.lb.testing.Fixtures.spread;
import static dev.lb.testing.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinStrategyTest {
  private static final List<String> NGINX_5_1_1 = List.of("e0", "e0", "e1", "e0", "e2", "e0", "e0");

  @Test
  void schedule_weights511_isNginxSequence() {
    assertThat(SmoothWeightedRoundRobinStrategy.schedule(new int[] {5, 1, 1}))
        .containsExactly(0, 0, 1, 0, 2, 0, 0);
  }

  @Test
  void balancer_weights511_interleavesLikeNginx_neverABurstOfFive() {
    LoadBalancer lb = balancer(Strategies.weightedRoundRobin(), weighted(5, 1, 1), 11);
    List<String> picks = sequence(lb, 70);
    // The thread's position starts at random; the cyclic sequence is nginx's.
    int offset = -1;
    for (int r = 0; r < 7 && offset < 0; r++) {
      List<String> rotated = new ArrayList<>(NGINX_5_1_1);
      Collections.rotate(rotated, -r);
      if (picks.subList(0, 7).equals(rotated)) {
        offset = r;
      }
    }
    assertThat(offset).as("first 7 picks %s are a rotation of nginx's", picks).isNotNegative();
    for (int i = 0; i < picks.size(); i++) {
      assertThat(picks.get(i)).isEqualTo(NGINX_5_1_1.get((i + offset) % 7));
    }
  }

  @Test
  void weights_gcdReduced_periodIsShort() {
    assertThat(SmoothWeightedRoundRobinStrategy.schedule(new int[] {10, 20, 30})).hasSize(6);
  }

  @Test
  void property_everyPrefixWithinOneCallOfIdealShare_overManySeeds() {
    SplittableRandom random = new SplittableRandom(20261121);
    for (int trial = 0; trial < 300; trial++) {
      int n = 1 + random.nextInt(20);
      int[] w = new int[n];
      for (int i = 0; i < n; i++) {
        w[i] = 1 + random.nextInt(50);
      }
      assertSmooth(w, SmoothWeightedRoundRobinStrategy.schedule(w), 1.0);
    }
  }

  @Test
  void largeGroup_usesDeadlineSchedule_exactProportionsAndSmooth() {
    // 2,000 endpoints with weights up to 100: nginx's loop would take ~2e8 steps.
    SplittableRandom random = new SplittableRandom(5);
    int[] w = new int[2_000];
    for (int i = 0; i < w.length; i++) {
      w[i] = 1 + random.nextInt(100);
    }
    int[] schedule = SmoothWeightedRoundRobinStrategy.schedule(w);
    long total = 0;
    for (int x : w) {
      total += x;
    }
    assertThat(total * w.length).isGreaterThan(SmoothWeightedRoundRobinStrategy.NGINX_WORK_LIMIT);
    assertThat(schedule).hasSize((int) total);
    assertSmooth(w, schedule, 1.0);
  }

  @Test
  void hugeWeights_scaledDownButProportionalAndNoEndpointStarved() {
    int[] w = {1_000_000, 500_000, 1};
    int[] schedule = SmoothWeightedRoundRobinStrategy.schedule(w);
    assertThat(schedule.length)
        .isLessThanOrEqualTo(SmoothWeightedRoundRobinStrategy.MAX_PERIOD + 3);
    int[] counts = new int[3];
    for (int i : schedule) {
      counts[i]++;
    }
    assertThat((double) counts[0] / counts[1])
        .isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.001));
    assertThat(counts[2]).isEqualTo(1);
  }

  @Test
  void balancer_weights3to1_giveExactly3to1() {
    LoadBalancer lb = balancer(Strategies.weightedRoundRobin(), weighted(3, 1), 2);
    assertThat(spread(lb, 4_000)).containsEntry("e0", 3_000).containsEntry("e1", 1_000);
  }

  /** Every prefix of the schedule gives each endpoint its ideal share to within {@code bound}. */
  private static void assertSmooth(int[] w, int[] schedule, double bound) {
    long total = 0;
    for (int x : w) {
      total += x;
    }
    int[] counts = new int[w.length];
    for (int t = 0; t < schedule.length; t++) {
      counts[schedule[t]]++;
      for (int i = 0; i < w.length; i++) {
        double ideal = (t + 1) * (double) w[i] / total;
        if (Math.abs(counts[i] - ideal) > bound) {
          throw new AssertionError(
              String.format(
                  "endpoint %d (weight %d) after %d picks: %d picks, ideal %.3f",
                  i, w[i], t + 1, counts[i], ideal));
        }
      }
    }
    for (int i = 0; i < w.length; i++) {
      assertThat((long) counts[i] * total).isEqualTo((long) w[i] * schedule.length);
    }
  }
}
