package dev.lb;

import static dev.lb.testing.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb.health.OutlierDetection;
import dev.lb.limit.ConcurrencyLimits;
import dev.lb.strategy.Strategies;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** {@link TrafficPolicy}: drops decided once per call, and a factor changed at run time. */
class TrafficPolicyTest {
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);

  private LoadBalancer.Builder builder(List<Endpoint> list, TrafficPolicy policy) {
    return LoadBalancer.builder()
        .name("t")
        .endpoints(list)
        .ticker(ticker)
        .scheduler(scheduler)
        .outlierDetection(OutlierDetection.disabled())
        .strategy(Strategies.roundRobin())
        .trafficPolicy(policy);
  }

  /** Answers nextDouble from a script (then 0.99), counting the draws; round robin draws none. */
  private static final class ScriptedRandom implements RandomGenerator {
    private final double[] script;
    private int next;
    int draws;

    ScriptedRandom(double... script) {
      this.script = script;
    }

    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public double nextDouble() {
      draws++;
      return next < script.length ? script[next++] : 0.99;
    }
  }

  @Test
  void aCallIsDrawnOnce_evenWhenThePickGoesThroughTheFallbackAndFails() {
    TrafficPolicy policy = TrafficPolicy.create();
    policy.setDrops(List.of(TrafficPolicy.Drop.of("lb", 0.5)));
    ScriptedRandom random = new ScriptedRandom(0.7, 0.7);
    LoadBalancer lb = builder(endpoints(2), policy).random(random).build();
    // Not dropped (0.7 >= 0.5), then every endpoint excluded: the fallback retries and diagnoses,
    // and the exception is about the exclusion, not a drop: one draw, no second chance to drop.
    PickContext none = PickContext.builder().exclude("e0").exclude("e1").build();
    assertThatThrownBy(() -> lb.pick(none))
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e ->
                assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.ALL_EXCLUDED));
    assertThat(random.draws).isEqualTo(1);
    lb.pick().onSuccess(1_000);
    assertThat(random.draws).isEqualTo(2);
  }

  @Test
  void categoriesAreDrawnInOrder_theFirstHitNamesTheDrop() {
    TrafficPolicy policy = TrafficPolicy.create();
    policy.setDrops(
        List.of(TrafficPolicy.Drop.of("throttle", 0.2), TrafficPolicy.Drop.of("lb", 0.5)));
    // 0.3 misses throttle's 0.2, 0.4 hits lb's 0.5.
    LoadBalancer lb = builder(endpoints(2), policy).random(new ScriptedRandom(0.3, 0.4)).build();
    assertThatThrownBy(lb::pick)
        .isInstanceOfSatisfying(
            NoEndpointAvailableException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(NoEndpointAvailableException.Reason.DROPPED);
              assertThat(e.dropCategory()).isEqualTo("lb");
              assertThat(e.getMessage())
                  .contains("balancer 't' dropped the call", "'lb'", "50.0% of calls");
            });
  }

  @Test
  void seededRun_twentyAndFiftyPercent_dropTwentyAndFortyPercentOfAllCalls() {
    TrafficPolicy policy = TrafficPolicy.create();
    policy.setDrops(
        List.of(TrafficPolicy.Drop.of("throttle", 0.2), TrafficPolicy.Drop.of("lb", 0.5)));
    LoadBalancer lb = builder(endpoints(5), policy).random(new SplittableRandom(42)).build();
    Map<String, Integer> dropped = new HashMap<>();
    int served = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      try {
        lb.pick().onSuccess(1_000);
        served++;
      } catch (NoEndpointAvailableException e) {
        dropped.merge(String.valueOf(e.dropCategory()), 1, Integer::sum);
      }
    }
    assertThat(dropped.get("throttle") / (double) n).isCloseTo(0.2, within(0.01));
    assertThat(dropped.get("lb") / (double) n).isCloseTo(0.4, within(0.01));
    assertThat(served / (double) n).isCloseTo(0.4, within(0.01));
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void aDroppedCallTakesNoBalancerSlot_andPickAsyncFailsAtOnceWithoutWaiting() throws Exception {
    TrafficPolicy policy = TrafficPolicy.create();
    policy.setDrops(List.of(TrafficPolicy.Drop.of("all", 1.0)));
    List<NoEndpointAvailableException.Reason> heard = new CopyOnWriteArrayList<>();
    LoadBalancer lb =
        builder(endpoints(2), policy)
            .concurrencyLimit(ConcurrencyLimits.fixed(1))
            .listener(
                new LoadBalancerListener() {
                  @Override
                  public void onNoEndpointAvailable(
                      LoadBalancer balancer, NoEndpointAvailableException.Reason reason) {
                    heard.add(reason);
                  }
                })
            .build();
    for (int i = 0; i < 100; i++) {
      assertThat(lb.tryPick(PickContext.none())).isNull();
    }
    CompletableFuture<Lease> waiting = lb.pickAsync(PickContext.none(), Duration.ofSeconds(10));
    assertThat(waiting).isCompletedExceptionally();
    assertThat(lb.stats().waiting()).isZero();
    assertThat(heard).hasSize(101).containsOnly(NoEndpointAvailableException.Reason.DROPPED);
    // choose() is not a call: never dropped.
    assertThat(lb.choose(PickContext.none()).id()).startsWith("e");

    policy.setDrops(List.of());
    Lease lease = lb.pick(); // the one balancer-wide slot was never taken by a drop
    assertThat(lb.tryPick(PickContext.none())).isNull(); // now it is taken: AT_CAPACITY
    assertThat(heard).last().isEqualTo(NoEndpointAvailableException.Reason.AT_CAPACITY);
    lease.onSuccess(1_000);
    assertThat(lb.stats().inFlight()).isZero();
  }

  @Test
  void aClosedBalancerThrowsClosed_notDropped() {
    TrafficPolicy policy = TrafficPolicy.create();
    policy.setDrops(List.of(TrafficPolicy.Drop.of("all", 1.0)));
    LoadBalancer lb = builder(endpoints(2), policy).build();
    lb.close();
    assertThatThrownBy(lb::pick)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(policy.attached()).isZero();
  }

  @Test
  void overprovisioningChangedAtRunTime_movesThePrioritySplitOfEveryAttachedBalancer() {
    // P0: 6 of 10 healthy. With 1.4, its availability is 0.84: 84% stay, 16% spill to P1.
    // With 2.0 it is 1.2, capped at 1: everything stays on P0.
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      list.add(Endpoint.builder("10.0.0." + i, 80).id("p0-" + i).priority(0).build());
    }
    for (int i = 0; i < 5; i++) {
      list.add(Endpoint.builder("10.0.1." + i, 80).id("p1-" + i).priority(1).build());
    }
    TrafficPolicy policy = TrafficPolicy.create();
    LoadBalancer a = builder(list, policy).random(new SplittableRandom(1)).build();
    LoadBalancer b = builder(list, policy).random(new SplittableRandom(2)).build();
    for (LoadBalancer lb : List.of(a, b)) {
      for (int i = 0; i < 4; i++) {
        lb.markDown("p0-" + i, "test");
      }
    }
    assertThat(policy.attached()).isEqualTo(2);
    assertThat(priorityOneShare(a)).isCloseTo(0.16, within(0.02));
    assertThat(priorityOneShare(b)).isCloseTo(0.16, within(0.02));

    assertThat(policy.setOverprovisioningFactor(2.0)).isTrue();
    assertThat(policy.setOverprovisioningFactor(2.0)).isFalse();
    assertThat(priorityOneShare(a)).isZero();
    assertThat(priorityOneShare(b)).isZero();

    // 1.0: availability 0.6; 40% spill.
    b.close();
    assertThat(policy.attached()).isEqualTo(1);
    policy.setOverprovisioningFactor(1.0);
    assertThat(priorityOneShare(a)).isCloseTo(0.40, within(0.02));
  }

  private static double priorityOneShare(LoadBalancer lb) {
    int n = 10_000;
    int p1 = 0;
    for (int i = 0; i < n; i++) {
      Lease lease = lb.pick();
      if (lease.endpoint().priority() == 1) {
        p1++;
      }
      lease.onSuccess(1_000);
    }
    return p1 / (double) n;
  }

  @Test
  void badInput_isRefusedEarly_namingTheOption() {
    assertThatThrownBy(() -> TrafficPolicy.Drop.of("x", 1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fraction of drop category 'x' must be in [0, 1] but was 1.5");
    assertThatThrownBy(() -> TrafficPolicy.Drop.of("x", Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> TrafficPolicy.Drop.of(" ", 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("category must not be blank but was ' '");
    assertThatThrownBy(() -> TrafficPolicy.Drop.of(null, 0.1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("category must not be null");
    TrafficPolicy policy = TrafficPolicy.create();
    assertThatThrownBy(() -> policy.setDrops(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("drops must not be null");
    assertThatThrownBy(
            () -> policy.setDrops(java.util.Arrays.asList(TrafficPolicy.Drop.of("a", 1), null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("drop must not be null");
    assertThatThrownBy(() -> LoadBalancer.builder().trafficPolicy(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("trafficPolicy must not be null");
    assertThatThrownBy(
            () ->
                policy.setDrops(
                    List.of(TrafficPolicy.Drop.of("a", 0.1), TrafficPolicy.Drop.of("a", 0.2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("drops must name each category once but named 'a' twice");
    assertThatThrownBy(() -> policy.setOverprovisioningFactor(0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("overprovisioningFactor must be 1 or more but was 0.5");
    assertThatThrownBy(() -> policy.setOverprovisioningFactor(Double.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .overprovisioningFactor(2)
                    .trafficPolicy(policy)
                    .endpoints(endpoints(1))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overprovisioningFactor (2.0) cannot be set with a trafficPolicy");
    // Zero-fraction categories drop nothing and are not kept.
    policy.setDrops(List.of(TrafficPolicy.Drop.of("none", 0), TrafficPolicy.Drop.of("some", 0.1)));
    assertThat(policy.drops()).containsExactly(TrafficPolicy.Drop.of("some", 0.1));
  }
}
