package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.strategy.LiveEndpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Maglev's table size from the endpoint count, the disruption it buys, and its fill order. */
class MaglevTest {
  private static final long[] KEYS = HashBalanceTest.keys(300_000, 4);

  /** Keys moved, times n, when endpoint {@code leave} of n equal ones leaves (default sizing). */
  private static double movedTimesN(int n, int leave) {
    List<LiveEndpoint> all = FakeEndpoint.endpoints(n);
    List<LiveEndpoint> fewer = new ArrayList<>(all);
    fewer.remove(leave);
    LiveEndpoint[] a = all.toArray(new LiveEndpoint[0]);
    LiveEndpoint[] b = fewer.toArray(new LiveEndpoint[0]);
    MaglevPlacement before = MaglevPlacement.build(a, 0, MaglevPlacement.tableSizeFor(n));
    MaglevPlacement after = MaglevPlacement.build(b, 0, MaglevPlacement.tableSizeFor(n - 1));
    int moved = 0;
    for (long key : KEYS) {
      String from = a[before.locate(key, 0)].endpoint().id();
      if (!from.equals(b[after.locate(key, 0)].endpoint().id())) {
        moved++;
      }
    }
    return (double) moved / KEYS.length * n;
  }

  @Test
  void tableSizeFor_atLeastAThousandTimesTheEndpoints_fromTheLadderOfPrimes() {
    assertThat(MaglevPlacement.tableSizeFor(1)).isEqualTo(65_537);
    assertThat(MaglevPlacement.tableSizeFor(65)).isEqualTo(65_537);
    assertThat(MaglevPlacement.tableSizeFor(66)).isEqualTo(131_071);
    assertThat(MaglevPlacement.tableSizeFor(100)).isEqualTo(131_071);
    assertThat(MaglevPlacement.tableSizeFor(1000)).isEqualTo(1_048_573);
    for (int n : new int[] {1, 10, 100, 1000, 10_000, 67_000, 1_000_000}) {
      int size = MaglevPlacement.tableSizeFor(n);
      assertThat(MaglevPlacement.isPrime(size)).as("n %s", n).isTrue();
      assertThat(size).isLessThanOrEqualTo(HashStrategies.MAX_MAGLEV_TABLE_SIZE);
      if (n <= 67_000) {
        assertThat((long) size).isGreaterThanOrEqualTo(1000L * n);
      }
    }
  }

  /** The figures in {@link HashStrategies.Builder#maglev()}'s Javadoc and the README. */
  @Test
  void oneLeaves_disruptionAsDocumented_for10_100_1000Endpoints() {
    double[] bounds = {1.1, 1.45, 3.4};
    int[] sizes = {10, 100, 1000};
    for (int s = 0; s < sizes.length; s++) {
      int n = sizes[s];
      for (int leave : new int[] {n / 3, n - 1}) {
        double moved = movedTimesN(n, leave);
        System.out.printf(
            "maglev: n %d, M %d, endpoint %d leaves: %.2f/n moved%n",
            n, MaglevPlacement.tableSizeFor(n), leave, moved);
        assertThat(moved).as("n %s leave %s", n, leave).isBetween(1.0, bounds[s]);
      }
    }
  }

  @Test
  void table_pureFunctionOfIdsAndWeights_membershipOrderDoesNotMatter() {
    List<LiveEndpoint> members = FakeEndpoint.weighted(1, 2, 3, 1, 1, 5, 2, 1);
    List<LiveEndpoint> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, new Random(9));
    LiveEndpoint[] a = members.toArray(new LiveEndpoint[0]);
    LiveEndpoint[] b = shuffled.toArray(new LiveEndpoint[0]);
    MaglevPlacement pa = MaglevPlacement.build(a, 0, 65_537);
    MaglevPlacement pb = MaglevPlacement.build(b, 0, 65_537);
    MaglevPlacement reused = MaglevPlacement.build(b, 0, 65_537, pa);
    for (long key : HashBalanceTest.keys(20_000, 1)) {
      for (int attempt = 0; attempt < 3; attempt++) {
        assertThat(b[pb.locate(key, attempt)]).isSameAs(a[pa.locate(key, attempt)]);
        assertThat(b[reused.locate(key, attempt)]).isSameAs(b[pb.locate(key, attempt)]);
      }
    }
  }
}
