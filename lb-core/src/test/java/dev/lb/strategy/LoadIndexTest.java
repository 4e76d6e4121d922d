package dev.lb.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb.PickContext;
import dev.lb.testing.FakeTicker;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The least-loaded strategies' index against a brute-force oracle: on one thread every pick must
 * have the lowest score of all endpoints, whatever the workload; ties are drawn by weight; after
 * concurrent changes stop, every node is exact again.
 */
class LoadIndexTest {
  private static final Strategy[] STRATEGIES = {
    Strategies.leastConnections(),
    Strategies.weightedLeastConnections(),
    Strategies.leastResponseTime(),
    Strategies.leastBandwidth()
  };

  @Test
  void pick_1000WeightedEndpoints_seededWorkloads_alwaysHasTheLowestScore() {
    for (Strategy strategy : STRATEGIES) {
      for (long seed = 1; seed <= 3; seed++) {
        runOracle(strategy, 1000, seed, 4_000);
      }
    }
  }

  @Test
  void pick_smallAndOddSizes_matchOracle() {
    for (Strategy strategy : STRATEGIES) {
      for (int n : new int[] {16, 17, 31, 64, 65, 100}) {
        runOracle(strategy, n, n, 2_000);
      }
    }
  }

  /** Random picks (each acquired), releases, key changes, failures and clock steps. */
  private static void runOracle(Strategy strategy, int n, long seed, int steps) {
    SplittableRandom random = new SplittableRandom(seed);
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = endpoints(n, random, ticker, true);
    Picker picker = picker(strategy, endpoints, ticker, seed);
    assertThat(picker).isInstanceOf(LeastLoadedStrategy.Indexed.class);
    LoadIndex index = ((LeastLoadedStrategy.Indexed) picker).index();
    List<SignallingEndpoint> held = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      int op = random.nextInt(100);
      if (op < 45) {
        SignallingEndpoint chosen = (SignallingEndpoint) picker.pick(PickContext.none());
        assertLowest(strategy, endpoints, chosen, ticker, "seed " + seed + " step " + step);
        chosen.acquire();
        held.add(chosen);
      } else if (op < 80 && !held.isEmpty()) {
        held.remove(random.nextInt(held.size())).release();
      } else if (op < 90) {
        // Few distinct key values, so that measured endpoints tie too.
        SignallingEndpoint e = endpoints.get(random.nextInt(n));
        double key = random.nextInt(4);
        if (strategy.name().equals(Strategies.leastResponseTime().name())) {
          e.responseTimeKey(key);
        } else if (strategy.name().equals(Strategies.leastBandwidth().name())) {
          e.throughputKey(key);
        }
      } else if (op < 93) {
        // Failures on a few endpoints: their penalties decay between events.
        endpoints.get(random.nextInt(Math.min(n, 10))).fail();
      } else {
        ticker.advanceMillis(random.nextInt(700));
      }
    }
    // Quiescent: the stored scores and every node agree with the endpoints.
    picker.pick(PickContext.none());
    assertThat(index.consistent()).as("tree consistent").isTrue();
  }

  @Test
  void pick_idle1000Endpoints_sharesByWeight() {
    SplittableRandom random = new SplittableRandom(7);
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = endpoints(1000, random, ticker, false);
    Picker picker = picker(Strategies.weightedLeastConnections(), endpoints, ticker, 7);
    long[] byWeight = new long[8];
    long total = 0;
    for (SignallingEndpoint e : endpoints) {
      total += e.weight();
    }
    int picks = 200_000;
    for (int i = 0; i < picks; i++) {
      byWeight[picker.pick(PickContext.none()).weight()]++;
    }
    for (int w = 1; w <= 7; w++) {
      long weightOfClass = 0;
      for (SignallingEndpoint e : endpoints) {
        weightOfClass += e.weight() == w ? w : 0;
      }
      assertThat(byWeight[w] / (double) picks)
          .as("share of weight-%d endpoints", w)
          .isCloseTo(weightOfClass / (double) total, within(0.01));
    }
  }

  @Test
  void pick_partialTies_drawsAmongTheTiedByWeight_only() {
    // Half of the endpoints busy: the tied idle half, weights 1 and 3, shares 1:3 by weight.
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      endpoints.add(new SignallingEndpoint("e" + i, i % 4 == 0 ? 3 : 1, 1.0, ticker));
    }
    Picker picker = picker(Strategies.weightedLeastConnections(), endpoints, ticker, 11);
    for (int i = 0; i < 1000; i += 2) {
      endpoints.get(i + 1).acquire(); // odd indexes busy
    }
    long heavy = 0;
    long light = 0;
    int picks = 100_000;
    for (int i = 0; i < picks; i++) {
      LiveEndpoint e = picker.pick(PickContext.none());
      assertThat(e.inFlight()).isZero();
      if (e.weight() == 3) {
        heavy++;
      } else {
        light++;
      }
    }
    // Idle: 250 of weight 3 (i % 4 == 0) and 250 of weight 1 (i % 4 == 2): 750 against 250.
    assertThat(heavy / (double) picks).isCloseTo(0.75, within(0.01));
    assertThat(heavy + light).isEqualTo(picks);
  }

  @Test
  void pick_penaltyDecays_endpointWinsAgainWithoutAnyEvent() {
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      endpoints.add(new SignallingEndpoint("e" + i, 1, 1.0, ticker));
    }
    Picker picker = picker(Strategies.leastConnections(), endpoints, ticker, 3);
    for (SignallingEndpoint e : endpoints) {
      e.acquire(); // every endpoint one call in flight
    }
    SignallingEndpoint failed = endpoints.get(5);
    failed.release();
    failed.fail(); // 0 in flight + penalty 1: as loaded as the others
    ticker.advanceMillis(100); // penalty 0.9: now the least loaded, with no event since
    assertThat(picker.pick(PickContext.none())).isSameAs(failed);
  }

  @Test
  void pick_manyPenalties_scansAndStaysExact() {
    SplittableRandom random = new SplittableRandom(5);
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = endpoints(200, random, ticker, false);
    Picker picker = picker(Strategies.weightedLeastConnections(), endpoints, ticker, 5);
    for (int i = 0; i < 200; i += 2) {
      endpoints.get(i).fail();
    }
    LoadIndex index = ((LeastLoadedStrategy.Indexed) picker).index();
    assertThat(index.usable()).isFalse();
    for (int i = 0; i < 300; i++) {
      SignallingEndpoint e = (SignallingEndpoint) picker.pick(PickContext.none());
      assertLowest(Strategies.weightedLeastConnections(), endpoints, e, ticker, "pick " + i);
      e.acquire();
      ticker.advanceMillis(20);
    }
    ticker.advanceMillis(10_000); // every penalty below the floor
    picker.pick(PickContext.none());
    picker.pick(PickContext.none());
    assertThat(index.usable()).isTrue();
  }

  @Test
  void newPicker_overTheSameEndpoints_supersedesTheOld_whichScans() {
    SplittableRandom random = new SplittableRandom(9);
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = endpoints(50, random, ticker, false);
    Picker old = picker(Strategies.weightedLeastConnections(), endpoints, ticker, 1);
    // Membership change: a newer picker over most of the same endpoints.
    List<SignallingEndpoint> rest = endpoints.subList(0, 40);
    Picker newer = picker(Strategies.weightedLeastConnections(), rest, ticker, 2);
    assertThat(((LeastLoadedStrategy.Indexed) old).index().superseded()).isTrue();
    assertThat(endpoints.get(45).watched()).as("the old index let go of the rest").isFalse();
    for (int i = 0; i < 500; i++) {
      SignallingEndpoint a = (SignallingEndpoint) old.pick(PickContext.none());
      assertLowest(Strategies.weightedLeastConnections(), endpoints, a, ticker, "old " + i);
      SignallingEndpoint b = (SignallingEndpoint) newer.pick(PickContext.none());
      assertLowest(Strategies.weightedLeastConnections(), rest, b, ticker, "new " + i);
      (i % 2 == 0 ? a : b).acquire();
    }
  }

  @Test
  void secondAttempt_isTheRunnerUp() {
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      endpoints.add(new SignallingEndpoint("e" + i, 1, 1.0, ticker));
    }
    Picker picker = picker(Strategies.leastConnections(), endpoints, ticker, 3);
    for (int i = 0; i < 100; i++) {
      for (int k = 0; k < 2 + i % 7; k++) {
        endpoints.get(i).acquire();
      }
    }
    // e63 has 0 in flight after releases, e17 1: first e63, then e17.
    for (int k = 0; k < 2 + 63 % 7; k++) {
      endpoints.get(63).release();
    }
    for (int k = 0; k < 1 + 17 % 7; k++) {
      endpoints.get(17).release();
    }
    assertThat(picker.pick(PickContext.none(), 0)).isSameAs(endpoints.get(63));
    assertThat(picker.pick(PickContext.none(), 1)).isSameAs(endpoints.get(17));
    assertThat(picker.pick(PickContext.none(), 2)).isNotNull();
  }

  @Test
  void concurrentChanges_thenQuiescence_everyNodeExact() throws InterruptedException {
    SplittableRandom seeds = new SplittableRandom(13);
    FakeTicker ticker = new FakeTicker();
    List<SignallingEndpoint> endpoints = endpoints(1000, seeds, ticker, false);
    for (Strategy strategy :
        new Strategy[] {Strategies.weightedLeastConnections(), Strategies.leastResponseTime()}) {
      Picker picker = picker(strategy, endpoints, ticker, 13);
      LoadIndex index = ((LeastLoadedStrategy.Indexed) picker).index();
      int threads = 4;
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        SplittableRandom random = seeds.split();
        Thread worker =
            new Thread(
                () -> {
                  awaitQuietly(start);
                  List<SignallingEndpoint> held = new ArrayList<>();
                  for (int i = 0; i < 20_000; i++) {
                    SignallingEndpoint e = (SignallingEndpoint) picker.pick(PickContext.none());
                    e.acquire();
                    held.add(e);
                    if (held.size() > 8) {
                      held.remove(random.nextInt(held.size())).release();
                    }
                    if (random.nextInt(10) == 0) {
                      endpoints.get(random.nextInt(1000)).responseTimeKey(random.nextInt(3));
                    }
                  }
                  held.forEach(SignallingEndpoint::release);
                });
        worker.start();
        workers.add(worker);
      }
      start.countDown();
      for (Thread w : workers) {
        w.join(TimeUnit.SECONDS.toMillis(30));
      }
      for (int i = 0; i < 1000; i++) {
        assertThat(endpoints.get(i).inFlight()).isZero();
      }
      assertThat(index.consistent()).as("every node exact after the races").isTrue();
      for (int i = 0; i < 1000; i++) {
        SignallingEndpoint e = (SignallingEndpoint) picker.pick(PickContext.none());
        assertLowest(strategy, endpoints, e, ticker, "after races " + i);
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<SignallingEndpoint> endpoints(
      int n, SplittableRandom random, FakeTicker ticker, boolean ramps) {
    List<SignallingEndpoint> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double ramp = ramps && random.nextInt(10) == 0 ? 0.1 + 0.9 * random.nextDouble() : 1.0;
      list.add(new SignallingEndpoint("e" + i, 1 + random.nextInt(7), ramp, ticker));
    }
    return list;
  }

  private static Picker picker(
      Strategy strategy, List<SignallingEndpoint> endpoints, FakeTicker ticker, long seed) {
    return strategy.newPicker(
        List.copyOf(endpoints), new StrategyContext(new java.util.SplittableRandom(seed), ticker));
  }

  /** The oracle: the chosen endpoint's score is the lowest of all, computed independently. */
  private static void assertLowest(
      Strategy strategy,
      List<SignallingEndpoint> endpoints,
      LiveEndpoint chosen,
      FakeTicker ticker,
      String when) {
    double min = Double.POSITIVE_INFINITY;
    for (SignallingEndpoint e : endpoints) {
      min = Math.min(min, score(strategy, endpoints, e, ticker));
    }
    assertThat(score(strategy, endpoints, chosen, ticker)).as(when).isEqualTo(min);
  }

  private static double score(
      Strategy strategy, List<SignallingEndpoint> all, LiveEndpoint e, FakeTicker ticker) {
    if (strategy.name().equals(Strategies.leastConnections().name())) {
      boolean anyRamp = all.stream().anyMatch(x -> x.rampFactor() < 1.0);
      double share = anyRamp ? Math.max(1L, Math.round(e.rampFactor() * Weights.RAMP_SCALE)) : 1.0;
      return Load.IN_FLIGHT.score(e, share, ticker);
    }
    if (strategy.name().equals(Strategies.weightedLeastConnections().name())) {
      return Load.IN_FLIGHT.score(e, e.weight(), ticker);
    }
    Load load =
        strategy.name().equals(Strategies.leastResponseTime().name())
            ? Load.RESPONSE_TIME
            : Load.BANDWIDTH;
    return load.score(e, Math.log(e.weight()), ticker);
  }
}
