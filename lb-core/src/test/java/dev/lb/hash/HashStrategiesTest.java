package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashStrategiesTest {
  static final List<Strategy> ALL =
      List.of(
          HashStrategies.ringHash(),
          HashStrategies.maglev(),
          HashStrategies.rendezvousHash(),
          HashStrategies.jumpHash(),
          HashStrategies.boundedLoadHash(),
          HashStrategies.moduloHash());

  static Picker picker(Strategy strategy, List<LiveEndpoint> endpoints) {
    return strategy.newPicker(
        List.copyOf(endpoints), new StrategyContext(new SplittableRandom(1), new FakeTicker()));
  }

  static String pickId(Picker picker, PickContext context, int attempt) {
    LiveEndpoint e = picker.pick(context, attempt);
    assertThat(e).as("pick %s attempt %s", context, attempt).isNotNull();
    return e.endpoint().id();
  }

  @Test
  void pick_attempts_property_coverDistinctEndpointsAndAreStable_forEveryAlgorithm() {
    SplittableRandom random = new SplittableRandom(31);
    for (Strategy strategy : ALL) {
      for (int trial = 0; trial < 12; trial++) {
        int n = 1 + random.nextInt(trial < 6 ? 8 : 60);
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
          weights[i] = 1 + random.nextInt(3);
        }
        List<LiveEndpoint> endpoints = FakeEndpoint.weighted(weights);
        Picker picker = picker(strategy, endpoints);
        Picker rebuilt = picker(strategy, endpoints);
        for (int key = 0; key < 5; key++) {
          PickContext context = PickContext.ofKey("user-" + random.nextLong());
          Set<String> seen = new HashSet<>();
          for (int attempt = 0; attempt < n; attempt++) {
            String id = pickId(picker, context, attempt);
            String desc = strategy.name() + " n=" + n + " " + context + " attempt " + attempt;
            assertThat(seen.add(id)).as(desc + " repeats " + id).isTrue();
            assertThat(pickId(picker, context, attempt)).as(desc).isEqualTo(id);
            assertThat(pickId(rebuilt, context, attempt)).as(desc + " rebuilt").isEqualTo(id);
          }
          assertThat(pickId(picker, context, n)).isEqualTo(pickId(picker, context, 0));
          assertThat(picker.pick(context)).isSameAs(picker.pick(context, 0));
        }
      }
    }
  }

  @Test
  void pick_keyOwnerRemoved_goesToItsNextAlternative_ringAndRendezvous() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(30);
    for (Strategy strategy : List.of(HashStrategies.ringHash(), HashStrategies.rendezvousHash())) {
      Picker all = picker(strategy, endpoints);
      for (int key = 0; key < 60; key++) {
        PickContext context = PickContext.ofKey(key);
        String owner = pickId(all, context, 0);
        List<LiveEndpoint> without = new ArrayList<>(endpoints);
        without.removeIf(e -> e.endpoint().id().equals(owner));
        assertThat(pickId(picker(strategy, without), context, 0))
            .as("%s key %s", strategy.name(), key)
            .isEqualTo(pickId(all, context, 1));
      }
    }
  }

  @Test
  void pick_unavailableEndpoint_spreadsItsKeysOverManyOthers() {
    // Failover must not pile one endpoint's keys onto a single neighbour.
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(20);
    for (Strategy strategy : ALL) {
      Picker picker = picker(strategy, endpoints);
      Set<String> successors = new HashSet<>();
      for (long key = 0; key < 20_000; key++) {
        PickContext context = PickContext.ofKey(key);
        if (pickId(picker, context, 0).equals("e3")) {
          successors.add(pickId(picker, context, 1));
        }
      }
      if (strategy.name().equals("modulo_hash")) {
        assertThat(successors).containsExactly("e4");
      } else if (strategy.name().equals("jump_hash")) {
        // Strides coprime to 20: 1, 3, 7, 9, 11, 13, 17, 19, every one of them used.
        assertThat(successors).hasSize(8);
      } else {
        assertThat(successors).as(strategy.name()).hasSizeGreaterThan(10);
      }
    }
  }

  @Test
  void pick_sameKeyOfEveryKind_samePlacementAsItsBytes() {
    Picker picker = picker(HashStrategies.ringHash(), FakeEndpoint.endpoints(50));
    for (int i = 0; i < 100; i++) {
      String key = "session-" + i + "-\u00e9\ud83d\ude00";
      assertThat(pickId(picker, PickContext.ofKey(java.nio.CharBuffer.wrap(key)), 0))
          .isEqualTo(pickId(picker, PickContext.ofKey(key.getBytes(StandardCharsets.UTF_8)), 0));
      byte[] le =
          java.nio.ByteBuffer.allocate(8)
              .order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .putLong(i)
              .array();
      assertThat(pickId(picker, PickContext.ofKey((long) i), 0))
          .isEqualTo(pickId(picker, PickContext.ofKey(le), 0));
    }
  }

  @Test
  void pick_placementIsFixedAcrossRuns_goldenValues() {
    // Placement depends only on XXH64, ids and options: these must never change between releases.
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(10);
    PickContext key = PickContext.ofKey("user-42");
    List<String> got = new ArrayList<>();
    for (Strategy s : ALL) {
      got.add(s.name() + "=" + pickId(picker(s, endpoints), key, 0));
    }
    assertThat(got).containsExactlyElementsOf(GOLDEN);
  }

  /**
   * Cross-checked when written against an independent re-implementation of each algorithm (in
   * Python, over the reference C libxxhash), from the specifications in the class comments.
   */
  private static final List<String> GOLDEN =
      List.of(
          "ring_hash=e8",
          "maglev=e8",
          "rendezvous_hash=e0",
          "jump_hash=e4",
          "bounded_load_hash=e8",
          "modulo_hash=e9");

  @Test
  void pick_seed_changesPlacement() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(50);
    Picker seed0 = picker(HashStrategies.ringHash(), endpoints);
    Picker seed1 = picker(HashStrategies.builder().seed(1).ringHash(), endpoints);
    int same = 0;
    for (long key = 0; key < 1000; key++) {
      if (pickId(seed0, PickContext.ofKey(key), 0)
          .equals(pickId(seed1, PickContext.ofKey(key), 0))) {
        same++;
      }
    }
    assertThat(same).isBetween(5, 60); // independent: about 1 in 50
  }

  @Test
  void pick_noKey_usesFallbackStrategy_withItsAttempts() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(4);
    Strategy firstOnly =
        new Strategy() {
          @Override
          public String name() {
            return "first";
          }

          @Override
          public Picker newPicker(List<LiveEndpoint> list, StrategyContext context) {
            return new Picker() {
              @Override
              public LiveEndpoint pick(PickContext c) {
                return list.get(0);
              }

              @Override
              public LiveEndpoint pick(PickContext c, int attempt) {
                return list.get(attempt % list.size());
              }
            };
          }
        };
    for (Strategy s :
        List.of(
            HashStrategies.builder().fallback(firstOnly).ringHash(),
            HashStrategies.builder().fallback(firstOnly).maglev(),
            HashStrategies.builder().fallback(firstOnly).rendezvousHash(),
            HashStrategies.builder().fallback(firstOnly).jumpHash(),
            HashStrategies.builder().fallback(firstOnly).boundedLoadHash(),
            HashStrategies.builder().fallback(firstOnly).moduloHash())) {
      Picker picker = picker(s, endpoints);
      assertThat(pickId(picker, PickContext.none(), 0)).as(s.name()).isEqualTo("e0");
      assertThat(pickId(picker, PickContext.none(), 2)).as(s.name()).isEqualTo("e2");
      assertThat(s.toString()).contains(s.name(), "fallback=first");
    }
  }

  @Test
  void pick_noKey_defaultFallbackIsRoundRobin() {
    Picker picker = picker(HashStrategies.maglev(), FakeEndpoint.endpoints(4));
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      ids.add(pickId(picker, PickContext.none(), 0));
    }
    assertThat(ids).hasSize(4);
  }

  @Test
  void strategies_areStableMembership_andRegisteredByName() {
    for (Strategy s : ALL) {
      assertThat(s.stableMembership()).as(s.name()).isTrue();
      assertThat(StrategyRegistry.byName(s.name())).isSameAs(s);
      assertThat(StrategyRegistry.names()).contains(s.name());
    }
    assertThat(StrategyRegistry.byName("Ring-Hash")).isSameAs(HashStrategies.ringHash());
    assertThat(
            HashStrategies.sticky(StickTable.bounded(10, java.time.Duration.ofMinutes(1), () -> 0))
                .stableMembership())
        .isFalse();
  }

  @Test
  void builder_rejectsBadOptions_namingOptionAndValue() {
    HashStrategies.Builder b = HashStrategies.builder();
    assertThatThrownBy(() -> b.epsilon(-1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("epsilon must be positive and finite but was -1.0");
    assertThatThrownBy(() -> b.epsilon(Double.NaN)).hasMessageContaining("but was NaN");
    assertThatThrownBy(() -> b.epsilon(Double.POSITIVE_INFINITY)).hasMessageContaining("Infinity");
    assertThatThrownBy(() -> b.maglevTableSize(65_536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maglevTableSize must be a prime but was 65536");
    assertThatThrownBy(() -> b.maglevTableSize(2)).hasMessageContaining("but was 2");
    assertThatThrownBy(() -> b.virtualNodesPerWeight(0))
        .hasMessage("virtualNodesPerWeight must be in 1..65536 but was 0");
    assertThatThrownBy(() -> b.maxRingSize(0)).hasMessageContaining("maxRingSize must be in 1..");
    assertThatThrownBy(() -> b.fallback(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("fallback must not be null");
    assertThat(b.maglevTableSize(655_373).epsilon(0.1).maglev().toString()).contains("655373");
  }

  @Test
  void maglev_tableNotLargerThanMembership_failsToBuild() {
    Strategy tiny = HashStrategies.builder().maglevTableSize(7).maglev();
    assertThatThrownBy(() -> picker(tiny, FakeEndpoint.endpoints(7)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "maglevTableSize must exceed the number of endpoints but was 7 for 7 endpoints");
    assertThat(pickId(picker(tiny, FakeEndpoint.endpoints(6)), PickContext.ofKey(1L), 0))
        .startsWith("e");
  }

  @Test
  void ringHash_cappedRing_scalesEveryEndpointDown_keepingWeights() {
    Strategy capped =
        HashStrategies.builder().virtualNodesPerWeight(1000).maxRingSize(3000).ringHash();
    Picker picker = picker(capped, FakeEndpoint.weighted(1, 2, 3));
    int[] counts = new int[3];
    for (long key = 0; key < 60_000; key++) {
      counts[Integer.parseInt(pickId(picker, PickContext.ofKey(key), 0).substring(1))]++;
    }
    assertThat(counts[2] / (double) counts[0]).isBetween(2.5, 3.5);
  }

  @Test
  void balancer_endToEnd_sameKeySameEndpoint_andOwnerRemovedGoesToRingSuccessor() {
    List<Endpoint> endpoints = Fixtures.endpoints(10);
    LoadBalancer lb = Fixtures.balancer(HashStrategies.ringHash(), endpoints, 1);
    PickContext key = PickContext.ofKey("user-42");
    Lease first = lb.pick(key);
    String owner = first.endpoint().id();
    first.onSuccess(1);
    for (int i = 0; i < 20; i++) {
      Lease lease = lb.pick(key);
      assertThat(lease.endpoint().id()).isEqualTo(owner);
      lease.onSuccess(1);
    }
    Picker before = picker(HashStrategies.ringHash(), FakeEndpoint.endpoints(10));
    String successor = pickId(before, key, 1);
    lb.removeEndpoint(owner);
    Lease moved = lb.pick(key);
    assertThat(moved.endpoint().id()).isEqualTo(successor);
    moved.onSuccess(1);
    String other = successor.equals("e0") ? "e1" : "e0";
    lb.removeEndpoint(other);
    assertThat(lb.pick(key).endpoint().id()).isEqualTo(successor);
    // No key: round robin over the members.
    assertThat(Fixtures.spread(lb, 80).values()).allMatch(c -> c == 10);
  }
}
