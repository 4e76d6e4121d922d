package dev.lb.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.benchmarks.peers.BalancerType;
import dev.lb.benchmarks.peers.HashType;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that every JMH benchmark runs, by calling each {@code @Benchmark} method directly a few
 * times per parameter (no JMH fork, no timing). Speed is measured by JMH runs, never here.
 */
class BenchmarkSmokeTest {
  private static final int CALLS = 200;

  @ParameterizedTest
  @EnumSource(BalancerType.class)
  void pickBenchmark_everyBalancer_picksEveryEndpointOfTen(BalancerType type) {
    PickBenchmark bench = new PickBenchmark();
    bench.type = type;
    bench.endpoints = 10;
    bench.weights = "mixed";
    bench.setUp();
    PickBenchmark.Calls calls = new PickBenchmark.Calls();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < CALLS; i++) {
      seen.add(String.valueOf(bench.pickAndRelease(calls)));
      assertThat(bench.pickAndRelease2Threads(calls)).isNotNull();
      assertThat(bench.pick()).isNotNull();
      assertThat(bench.pick2Threads()).isNotNull();
    }
    if (type == BalancerType.LB_PREQUAL) {
      // The benchmark's prober reports the same load whatever the traffic (so that picks measure
      // the hot/cold scan, not the fallback), and fresh answers arrive every millisecond: the
      // endpoint that always reports the fastest idle answer stays cold, and Prequal may send it
      // every call, as its rule says. What matters here is that it picks at all.
      assertThat(seen).isNotEmpty().doesNotContain("null");
    } else if (type == BalancerType.VERTX_LEAST_REQUESTS) {
      // Vert.x breaks ties by list order: with every call finished before the next, all go to the
      // first server. A real behaviour of the peer, reported in benchmarks/README.md.
      assertThat(seen).hasSize(1);
    } else {
      // 200 sequential calls over 10 idle endpoints reach more than one of them.
      assertThat(seen).as("distinct picks of %s", type).hasSizeGreaterThan(1);
    }
  }

  @ParameterizedTest
  @EnumSource(BalancerType.class)
  void pickBenchmark_thousandEndpoints_builds(BalancerType type) {
    PickBenchmark bench = new PickBenchmark();
    bench.type = type;
    bench.endpoints = 1000;
    bench.weights = "mixed";
    bench.setUp();
    PickBenchmark.Calls calls = new PickBenchmark.Calls();
    assertThat(bench.pickAndRelease(calls)).isNotNull();
  }

  @ParameterizedTest
  @EnumSource(BalancerType.class)
  void pickBenchmark_equalWeights_picks(BalancerType type) {
    PickBenchmark bench = new PickBenchmark();
    bench.type = type;
    bench.endpoints = 10;
    bench.weights = "equal";
    bench.setUp();
    PickBenchmark.Calls calls = new PickBenchmark.Calls();
    assertThat(bench.pick()).isNotNull();
    assertThat(bench.pickAndRelease(calls)).isNotNull();
  }

  @Test
  void pickBenchmark_unknownWeights_isRejectedByName() {
    PickBenchmark bench = new PickBenchmark();
    bench.type = BalancerType.LB_ROUND_ROBIN;
    bench.endpoints = 10;
    bench.weights = "heavy";
    assertThatThrownBy(bench::setUp)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weights must be mixed or equal but was 'heavy'");
  }

  @ParameterizedTest
  @EnumSource(HashType.class)
  void hashBenchmark_sameKey_sameOwner(HashType type) {
    HashBenchmark bench = new HashBenchmark();
    bench.type = type;
    bench.endpoints = 100;
    bench.keys = Backends.KEY_COUNT;
    bench.setUp();
    HashBenchmark.KeyCursor cursor = new HashBenchmark.KeyCursor();
    Object[] first = new Object[Backends.KEY_COUNT];
    for (int i = 0; i < Backends.KEY_COUNT; i++) {
      first[i] = owner(bench.lookup(cursor));
    }
    Set<Object> owners = new HashSet<>();
    for (int i = 0; i < Backends.KEY_COUNT; i++) {
      Object again = owner(bench.lookup(cursor));
      assertThat(again).as("owner of key %s", i).isEqualTo(first[i]);
      owners.add(again);
    }
    assertThat(owners).as("owners of %s", type).hasSizeGreaterThan(50);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev", "rendezvous_hash", "jump_hash"})
  void hashBuildBenchmark_buildsAPickerAndHashes(String strategy) {
    HashBuildBenchmark bench = new HashBuildBenchmark();
    bench.strategy = strategy;
    bench.endpoints = 100;
    bench.setUp();
    assertThat(bench.build().pick(dev.lb.PickContext.ofKey(42L))).isNotNull();
    assertThat(bench.hashOnly()).isNotEqualTo(bench.hashOnly());
  }

  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "weighted_round_robin", "p2c", "peak_ewma"})
  void membershipBenchmark_changesApply(String strategy) {
    MembershipBenchmark bench = new MembershipBenchmark();
    bench.strategy = strategy;
    bench.endpoints = 1000;
    bench.setUp();
    try {
      assertThat(bench.replaceOne()).isTrue();
      assertThat(bench.replaceOne()).isTrue();
      assertThat(bench.reweightOne()).isTrue();
      LoadBalancer built = bench.build();
      assertThat(built.endpoints()).hasSize(1000);
      built.close();
    } finally {
      bench.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void breakerBenchmark_closedBreaker_permits(int threads) {
    BreakerBenchmark bench = new BreakerBenchmark();
    bench.setUp();
    try {
      for (int i = 0; i < CALLS; i++) {
        assertThat(threads == 1 ? bench.resilience4jSuccess() : bench.resilience4jSuccess2Threads())
            .isTrue();
        assertThat(threads == 1 ? bench.lbBreakerSuccess() : bench.lbBreakerSuccess2Threads())
            .isTrue();
        assertThat(bench.tokenBucket()).isTrue();
        assertThat(bench.leakyBucket()).isTrue();
        assertThat(bench.fixedWindow()).isTrue();
        assertThat(bench.slidingWindow()).isTrue();
        assertThat(bench.guardedPickAndRelease().isReported()).isTrue();
      }
    } finally {
      bench.tearDown();
    }
  }

  /** Peers return their own types; a pick result or lease maps to a comparable owner. */
  private static Object owner(Object picked) {
    if (picked instanceof io.grpc.LoadBalancer.PickResult result) {
      return result.getSubchannel();
    }
    if (picked instanceof Endpoint endpoint) {
      return endpoint.id();
    }
    return picked;
  }
}
