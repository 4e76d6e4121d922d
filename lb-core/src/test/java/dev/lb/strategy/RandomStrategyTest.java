package dev.lb.strategy;

import static dev.lb.testing.Fixtures.balancer;
import static dev.lb.testing.Fixtures.endpoints;
import static dev.lb.testing.Fixtures.spread;
import static dev.lb.testing.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomStrategyTest {
  @Test
  void uniform_sharesWithinTwoPercent() {
    Map<String, Integer> counts = spread(balancer(Strategies.random(), endpoints(4), 42), 100_000);
    for (int c : counts.values()) {
      assertThat(c / 100_000.0).isCloseTo(0.25, within(0.02 * 0.25));
    }
  }

  @Test
  void uniform_ignoresWeights() {
    Map<String, Integer> counts = spread(balancer(Strategies.random(), weighted(1, 9), 42), 50_000);
    assertThat(counts.get("e0") / 50_000.0).isCloseTo(0.5, within(0.01));
  }

  @Test
  void weighted_sharesFollowWeightsWithinThreePercent() {
    Map<String, Integer> counts =
        spread(balancer(Strategies.weightedRandom(), weighted(1, 2, 7), 42), 100_000);
    assertThat(counts.get("e0") / 100_000.0).isCloseTo(0.1, within(0.003));
    assertThat(counts.get("e1") / 100_000.0).isCloseTo(0.2, within(0.006));
    assertThat(counts.get("e2") / 100_000.0).isCloseTo(0.7, within(0.021));
  }

  @Test
  void aliasTable_property_frequenciesMatchWeights_overManySeeds() {
    SplittableRandom seeds = new SplittableRandom(99);
    for (int trial = 0; trial < 50; trial++) {
      long seed = seeds.nextLong();
      SplittableRandom random = new SplittableRandom(seed);
      int n = 2 + random.nextInt(30);
      int[] w = new int[n];
      long total = 0;
      for (int i = 0; i < n; i++) {
        w[i] = 1 + random.nextInt(100);
        total += w[i];
      }
      AliasTable table = new AliasTable(w);
      int draws = 200_000;
      int[] counts = new int[n];
      for (int d = 0; d < draws; d++) {
        counts[table.sample(random)]++;
      }
      for (int i = 0; i < n; i++) {
        double p = (double) w[i] / total;
        double sigma = Math.sqrt(draws * p * (1 - p));
        // Five standard deviations: a correct table fails this about once in 3.5 million checks.
        assertThat((double) counts[i])
            .as("seed %s endpoint %s weight %s of %s", seed, i, w[i], total)
            .isCloseTo(draws * p, within(5 * sigma));
      }
    }
  }

  @Test
  void aliasTable_extremeDraws_stayInRange_andEqualWeightsNeverUseTheAlias() {
    AliasTable equal = new AliasTable(new int[] {2, 2, 2});
    assertThat(equal.sample(0)).isZero();
    assertThat(equal.sample(-1)).isEqualTo(2); // every bit set: the last column, kept
    AliasTable skewed = new AliasTable(new int[] {1, 1000});
    for (int u : new int[] {0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 12345}) {
      assertThat(skewed.sample(u)).isBetween(0, 1);
    }
    // Column 0 is the first half of the draws; it keeps itself with probability 2/1001 of that
    // half, so draws just under 2/1001 of the half keep it and draws past that go to the alias.
    long half = 1L << 31;
    long keepUpTo = (long) Math.floor(2.0 / 1001 * half) - 1;
    assertThat(skewed.sample((int) keepUpTo)).isZero();
    assertThat(skewed.sample((int) (keepUpTo + 4))).isEqualTo(1);
    assertThat(skewed.sample((int) (half - 1))).isEqualTo(1);
  }
}
