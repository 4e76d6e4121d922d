package dev.lb.subset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Deterministic aperture at fleet scale: connections, evenness, churn; then the small cases. */
class DeterministicApertureTest {
  private static final Subsetting APERTURE = Subsetting.deterministicAperture(20);

  private static List<Map<String, Double>> fleet(int clients, List<Endpoint> backends) {
    return Fleet.apertures(clients, backends, 20);
  }

  @Test
  void thousandClientsThousandBackends_atMostSizeConnections_evenLoad() {
    for (long seed = 0; seed < 3; seed++) {
      List<Endpoint> backends = Fleet.backends(1000, new SplittableRandom(seed));
      List<Map<String, Double>> subsets = fleet(1000, backends);
      for (Map<String, Double> s : subsets) {
        assertThat(s.size()).isBetween(19, 20);
        assertThat(s.values().stream().mapToDouble(Double::doubleValue).sum())
            .isCloseTo(19.0, within(1e-9));
      }
      // 1,000 x 19 / 1,000 is an integer: every backend is covered by exactly 19 windows.
      assertThat(Fleet.maxOverMean(Fleet.load(subsets, backends))).isLessThan(1.0 + 1e-9);
    }
  }

  @Test
  void fleetShapes_atMostSizeConnections_maxOverMeanWithinBound() {
    int[][] shapes = {{1000, 600}, {1000, 1500}, {2000, 1000}, {300, 1000}, {1000, 50}};
    for (int[] shape : shapes) {
      int clients = shape[0];
      int n = shape[1];
      List<Endpoint> backends = Fleet.backends(n, new SplittableRandom(n + clients));
      List<Map<String, Double>> subsets = fleet(clients, backends);
      for (Map<String, Double> s : subsets) {
        assertThat(s.size()).as("%s clients x %s backends", clients, n).isLessThanOrEqualTo(20);
      }
      double coverage = clients * 19.0 / n;
      double bound = 1 + 1 / Math.floor(coverage);
      assertThat(Fleet.maxOverMean(Fleet.load(subsets, backends)))
          .as("%s clients x %s backends", clients, n)
          .isLessThanOrEqualTo(bound);
    }
  }

  @Test
  void backendAdded_atMostOneLeavesAndOneEntersEveryClient() {
    int[][] shapes = {{1000, 1000}, {1000, 1000}, {1000, 1000}, {1000, 50}, {300, 1000}};
    for (int k = 0; k < shapes.length; k++) {
      SplittableRandom random = new SplittableRandom(100 + k);
      int clients = shapes[k][0];
      List<Endpoint> backends = Fleet.backends(shapes[k][1], random);
      List<Endpoint> more = new ArrayList<>(backends);
      more.add(random.nextInt(more.size() + 1), Fleet.backend(random));
      assertChurnAtMostOne(clients, backends, more);
    }
  }

  @Test
  void backendRemoved_atMostOneLeavesAndOneEntersEveryClient() {
    int[][] shapes = {{1000, 1000}, {1000, 1000}, {1000, 1000}, {1000, 50}, {300, 1000}};
    for (int k = 0; k < shapes.length; k++) {
      SplittableRandom random = new SplittableRandom(200 + k);
      int clients = shapes[k][0];
      List<Endpoint> backends = Fleet.backends(shapes[k][1], random);
      List<Endpoint> fewer = new ArrayList<>(backends);
      fewer.remove(random.nextInt(fewer.size()));
      assertChurnAtMostOne(clients, backends, fewer);
    }
  }

  private static void assertChurnAtMostOne(
      int clients, List<Endpoint> before, List<Endpoint> after) {
    List<Map<String, Double>> a = fleet(clients, before);
    List<Map<String, Double>> b = fleet(clients, after);
    int changed = 0;
    for (int i = 0; i < clients; i++) {
      int[] churn = Fleet.churn(a.get(i), b.get(i));
      assertThat(churn[0]).as("members that left client %s", i).isLessThanOrEqualTo(1);
      assertThat(churn[1]).as("members that entered client %s", i).isLessThanOrEqualTo(1);
      changed += churn[0] + churn[1] > 0 ? 1 : 0;
    }
    // Only the clients near the change, or at a window's edge, see anything.
    assertThat(changed).isLessThan(clients);
  }

  @Test
  void clientJoins_everyClientMovesByAtMostOneMemberEachWay() {
    SplittableRandom random = new SplittableRandom(5);
    List<Endpoint> backends = Fleet.backends(1000, random);
    int clients = 1000;
    int joiner = random.nextInt(clients + 1);
    List<Map<String, Double>> before = fleet(clients, backends);
    for (int i = 0; i < clients; i++) {
      int moved = i < joiner ? i : i + 1;
      Map<String, Double> after =
          Fleet.subset(APERTURE, backends, ClientCoordinate.of(moved, clients + 1));
      int[] churn = Fleet.churn(before.get(i), after);
      assertThat(churn[0]).as("left client %s", i).isLessThanOrEqualTo(1);
      assertThat(churn[1]).as("entered client %s", i).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void fewerClientsThanCoverage_windowWidensSoEveryBackendIsCalled() {
    // 10 clients x 19 slices would leave 810 of 1,000 backends without a client.
    List<Endpoint> backends = Fleet.backends(1000, new SplittableRandom(9));
    List<Map<String, Double>> subsets = fleet(10, backends);
    for (Map<String, Double> s : subsets) {
      assertThat(s.values().stream().mapToDouble(Double::doubleValue).sum())
          .isCloseTo(100.0, within(1e-9));
      assertThat(s.size()).isBetween(100, 101);
    }
    Map<String, Double> load = Fleet.load(subsets, backends);
    assertThat(load.values()).allSatisfy(v -> assertThat(v).isGreaterThan(0));
    assertThat(Fleet.maxOverMean(load)).isLessThan(1.0 + 1e-9);
  }

  @Test
  void moreClientsThanBackends_stillAtMostSizeAndEven() {
    List<Endpoint> backends = Fleet.backends(100, new SplittableRandom(3));
    List<Map<String, Double>> subsets = fleet(3000, backends);
    assertThat(subsets).allSatisfy(s -> assertThat(s.size()).isLessThanOrEqualTo(20));
    assertThat(Fleet.maxOverMean(Fleet.load(subsets, backends))).isLessThan(1.001);
  }

  @Test
  void noMoreBackendsThanSize_everyBackendAtFullShare() {
    List<Endpoint> backends = Fleet.backends(20, new SplittableRandom(1));
    Map<String, Double> s = Fleet.subset(APERTURE, backends, ClientCoordinate.of(3, 1000));
    assertThat(s).hasSize(20);
    assertThat(s.values()).containsOnly(1.0);
    assertThat(Fleet.subset(APERTURE, List.of(), ClientCoordinate.of(0, 1))).isEmpty();
  }

  @Test
  void edgesAreFractional_andTheInteriorIsFull() {
    List<Endpoint> backends = Fleet.backends(1000, new SplittableRandom(11));
    Map<String, Double> s = Fleet.subset(APERTURE, backends, ClientCoordinate.of(17, 333));
    long partial = s.values().stream().filter(v -> v < 1.0).count();
    assertThat(partial).isEqualTo(2);
    assertThat(s.values().stream().filter(v -> v == 1.0).count()).isEqualTo(s.size() - 2);
  }

  @Test
  void sharesDependOnTheSetNotItsOrder_norOnWeights() {
    SplittableRandom random = new SplittableRandom(4);
    List<Endpoint> backends = Fleet.backends(500, random);
    List<Endpoint> shuffled = new ArrayList<>(backends);
    Collections.shuffle(shuffled, new java.util.Random(4));
    List<Endpoint> weighted = new ArrayList<>();
    for (Endpoint e : shuffled) {
      weighted.add(e.toBuilder().weight(1 + random.nextInt(9)).build());
    }
    ClientCoordinate c = ClientCoordinate.of(41, 200);
    Map<String, Double> expected = Fleet.subset(APERTURE, backends, c);
    assertThat(Fleet.subset(APERTURE, shuffled, c)).isEqualTo(expected);
    assertThat(Fleet.subset(APERTURE, weighted, c)).isEqualTo(expected);
  }

  @Test
  void publicShares_matchTheRingPlacedOnce() {
    List<Endpoint> backends = Fleet.backends(400, new SplittableRandom(8));
    List<Map<String, Double>> once = fleet(50, backends);
    for (int i = 0; i < 50; i++) {
      assertThat(Fleet.subset(APERTURE, backends, ClientCoordinate.of(i, 50)))
          .isEqualTo(once.get(i));
    }
  }

  @Test
  void sizeBelowTwo_isRejectedNamingTheOption() {
    assertThatThrownBy(() -> Subsetting.deterministicAperture(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("subsetting.size")
        .hasMessageContaining("was 1");
  }

  @Test
  void forLoad_sizesTheWindowForTheTargetLoadPerConnection() {
    assertThat(Subsetting.deterministicApertureForLoad(1000, 50, 5).size()).isEqualTo(21);
    assertThat(Subsetting.deterministicApertureForLoad(10, 50, 5).size()).isEqualTo(5);
    assertThatThrownBy(() -> Subsetting.deterministicApertureForLoad(0, 50, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("clientLoad");
    assertThatThrownBy(() -> Subsetting.deterministicApertureForLoad(1, Double.NaN, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loadPerConnection");
  }
}
