package dev.lb.subset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** gRFC A68 random subsetting: exact size, churn of one, order independence. */
class RandomSubsettingTest {
  private static final ClientCoordinate ANY = ClientCoordinate.of(0, 1);

  private static List<Map<String, Double>> fleet(int clients, List<Endpoint> backends) {
    return Fleet.subsets(clients, backends, i -> Subsetting.random(20, i));
  }

  @Test
  void thousandClientsThousandBackends_exactlySizeMembersEach() {
    List<Endpoint> backends = Fleet.backends(1000, new SplittableRandom(1));
    List<Map<String, Double>> subsets = fleet(1000, backends);
    for (Map<String, Double> s : subsets) {
      assertThat(s).hasSize(20);
      assertThat(s.values()).containsOnly(1.0);
    }
    // Load is even only on average: every backend has some clients, the busiest well above 1.1.
    double maxOverMean = Fleet.maxOverMean(Fleet.load(subsets, backends));
    assertThat(maxOverMean).isGreaterThan(1.1).isLessThan(3.0);
  }

  @Test
  void backendAddedOrRemoved_atMostOneLeavesAndOneEnters_andNothingMovesOutsideIt() {
    for (long seed = 0; seed < 4; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      List<Endpoint> backends = Fleet.backends(1000, random);
      List<Endpoint> more = new ArrayList<>(backends);
      Endpoint added = Fleet.backend(random);
      more.add(random.nextInt(more.size() + 1), added);
      List<Endpoint> fewer = new ArrayList<>(backends);
      Endpoint removed = fewer.remove(random.nextInt(fewer.size()));
      List<Map<String, Double>> base = fleet(1000, backends);
      List<Map<String, Double>> grown = fleet(1000, more);
      List<Map<String, Double>> shrunk = fleet(1000, fewer);
      for (int i = 0; i < 1000; i++) {
        int[] up = Fleet.churn(base.get(i), grown.get(i));
        boolean took = grown.get(i).containsKey(added.id());
        assertThat(up).containsExactly(took ? 1 : 0, took ? 1 : 0);
        int[] down = Fleet.churn(base.get(i), shrunk.get(i));
        boolean had = base.get(i).containsKey(removed.id());
        assertThat(down).containsExactly(had ? 1 : 0, had ? 1 : 0);
      }
    }
  }

  @Test
  void sameSeed_sameSubsetWhateverTheOrder_otherSeed_otherSubset() {
    List<Endpoint> backends = Fleet.backends(300, new SplittableRandom(2));
    List<Endpoint> shuffled = new ArrayList<>(backends);
    Collections.shuffle(shuffled, new java.util.Random(2));
    Map<String, Double> a = Fleet.subset(Subsetting.random(20, 42), backends, ANY);
    assertThat(Fleet.subset(Subsetting.random(20, 42), shuffled, ANY)).isEqualTo(a);
    assertThat(Fleet.subset(Subsetting.random(20, 43), backends, ANY)).isNotEqualTo(a);
  }

  @Test
  void fewerBackendsThanSize_allOfThem() {
    List<Endpoint> backends = Fleet.backends(7, new SplittableRandom(3));
    assertThat(Fleet.subset(Subsetting.random(20, 1), backends, ANY)).hasSize(7);
  }

  @Test
  void sizeBelowOne_isRejectedNamingTheOption() {
    assertThatThrownBy(() -> Subsetting.random(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("subsetting.size must be at least 1 but was 0");
  }
}
