package dev.lb.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.health.OutlierDetection;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Prequal's rules with fake time and scripted probe answers. */
class PrequalTest {
  private static final long MS = 1_000_000L;

  private final FakeScheduler scheduler = new FakeScheduler();
  private final FakeTicker ticker = scheduler.ticker();
  private final StrategyContext context = new StrategyContext(new SplittableRandom(7), ticker);

  /** A backend the test steers: in rotation or not, and a scripted failure penalty. */
  static final class Backend implements LiveEndpoint {
    final Endpoint endpoint;
    boolean available = true;
    double penalty;

    Backend(String id) {
      this.endpoint = Endpoint.builder("10.0.0.1", 8080).id(id).build();
    }

    @Override
    public Endpoint endpoint() {
      return endpoint;
    }

    @Override
    public int weight() {
      return 1;
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public boolean available() {
      return available;
    }

    @Override
    public boolean hasFailurePenalty() {
      return penalty > 0;
    }

    @Override
    public double failurePenalty(long nowNanos) {
      return penalty;
    }

    @Override
    public double latencyEwmaNanos() {
      return Double.NaN;
    }

    @Override
    public double peakEwmaNanos(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public double throughputBytesPerSecond(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public String toString() {
      return endpoint.id();
    }
  }

  /**
   * A prober whose probes the test answers: every probe waits in {@link #pending} until the test
   * completes it, or is answered at once from {@link #script} if the script has the endpoint.
   */
  static final class ScriptedProber implements Prober {
    final List<String> probed = new ArrayList<>();
    final List<CompletableFuture<ProbeResult>> pending = new ArrayList<>();
    final Map<String, ProbeResult> script = new HashMap<>();
    @Nullable Function<Endpoint, CompletionStage<ProbeResult>> behaviour;

    @Override
    public synchronized CompletionStage<ProbeResult> probe(Endpoint endpoint) {
      probed.add(endpoint.id());
      if (behaviour != null) {
        return behaviour.apply(endpoint);
      }
      ProbeResult scripted = script.get(endpoint.id());
      if (scripted != null) {
        return CompletableFuture.completedFuture(scripted);
      }
      CompletableFuture<ProbeResult> f = new CompletableFuture<>();
      pending.add(f);
      return f;
    }
  }

  /** The fallback the tests can tell apart: always the first endpoint of the group. */
  static final Strategy FIRST =
      new Strategy() {
        @Override
        public String name() {
          return "first";
        }

        @Override
        public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
          LiveEndpoint first = endpoints.get(0);
          return ctx -> first;
        }
      };

  private static List<Backend> backends(int n) {
    List<Backend> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new Backend("e" + i));
    }
    return list;
  }

  private static List<LiveEndpoint> live(List<Backend> backends) {
    return List.copyOf(backends);
  }

  private static ProbeResult answer(int rif, long latencyMs) {
    return ProbeResult.of(rif, latencyMs * MS);
  }

  private ProbePool.Answer pooled(Backend b, int rif, long latencyMs) {
    return new ProbePool.Answer(b, answer(rif, latencyMs).receivedAt(ticker.read()));
  }

  private static PrequalPicker prequal(Picker p) {
    return (PrequalPicker) p;
  }

  // ---------------------------------------------------------------------------------------------
  // The hot/cold rule

  @Test
  void pick_coldAnswersUsedUp_allHot_takesLowestRif() {
    List<Backend> b = backends(4);
    Prequal strategy =
        Prequal.builder()
            .prober(new ScriptedProber())
            .minEndpoints(1)
            .reuseBudget(1)
            .hotQuantile(0.5)
            .fallback(FIRST)
            .build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    ProbePool pool = picker.pool;
    pool.insert(pooled(b.get(0), 1, 9)); // cold, slow
    pool.insert(pooled(b.get(1), 8, 1)); // cold (at the median), fastest
    pool.insert(pooled(b.get(2), 9, 2)); // hot
    pool.insert(pooled(b.get(3), 10, 3)); // hot
    assertThat(pool.hotThreshold()).isEqualTo(8);

    // Cold first, fastest first, however low another cold answer's RIF is.
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(1));
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
    // The cold answers are used up: every answer left is hot, so the lowest RIF wins.
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(2));
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(3));
    // The pool is empty: the fallback picks.
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
    assertThat(pool.size()).isZero();
  }

  @Test
  void pick_allAnswersEqualRif_noneHot_lowestLatencyWins() {
    List<Backend> b = backends(3);
    Prequal strategy =
        Prequal.builder().prober(new ScriptedProber()).minEndpoints(1).reuseBudget(100).build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    picker.pool.insert(pooled(b.get(0), 4, 5));
    picker.pool.insert(pooled(b.get(1), 4, 2));
    picker.pool.insert(pooled(b.get(2), 4, 7));
    // Each pick adds one to the taken answer's RIF (this client's own call), so after a few picks
    // e1 turns hot relative to the threshold (4) and the next fastest cold one takes over.
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(1));
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(2));
  }

  @Test
  void pick_failingBackendReportsIdle_itsFailuresMakeItHot() {
    List<Backend> b = backends(3);
    Prequal strategy =
        Prequal.builder()
            .prober(new ScriptedProber())
            .minEndpoints(1)
            .reuseBudget(1)
            .fallback(FIRST)
            .build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    int toFailing = 0;
    for (int round = 0; round < 50; round++) {
      // Fresh answers every round: e0 fails every call fast, so it reports no queue and 1 ms.
      picker.pool.insert(pooled(b.get(0), 0, 1));
      picker.pool.insert(pooled(b.get(1), 3, 10));
      picker.pool.insert(pooled(b.get(2), 3, 12));
      if (picker.pick(PickContext.none()) == b.get(0)) {
        toFailing++;
        b.get(0).penalty += 1; // the call failed: this client's penalty grows
      }
      picker.refresh(ticker.read());
    }
    // The threshold is 3 (the 0.8 quantile of 0, 3, 3): once its penalty passes 3, e0 is hot.
    assertThat(toFailing).isEqualTo(4);
  }

  @Test
  void pick_answersOfEndpointsOutOfRotation_skipped_thenFallback() {
    List<Backend> b = backends(3);
    Prequal strategy =
        Prequal.builder().prober(new ScriptedProber()).minEndpoints(1).fallback(FIRST).build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    picker.pool.insert(pooled(b.get(2), 0, 1));
    b.get(2).available = false; // ejected while its answer is pooled
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0)); // the fallback's
  }

  // ---------------------------------------------------------------------------------------------
  // Aging and reuse

  @Test
  void refresh_answersOlderThanMaxAge_dropped() {
    List<Backend> b = backends(2);
    Prequal strategy =
        Prequal.builder()
            .prober(new ScriptedProber())
            .minEndpoints(1)
            .maxProbeAge(Duration.ofMillis(100))
            .reuseBudget(1000)
            .fallback(FIRST)
            .build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    picker.pool.insert(pooled(b.get(1), 0, 1));
    ticker.advance(Duration.ofMillis(99));
    picker.refresh(ticker.read());
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(1));
    ticker.advance(Duration.ofMillis(1));
    picker.refresh(ticker.read());
    assertThat(picker.pool.size()).isZero();
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
  }

  @Test
  void pick_reuseBudgetExhausted_answerLeavesPool() {
    List<Backend> b = backends(2);
    Prequal strategy =
        Prequal.builder()
            .prober(new ScriptedProber())
            .minEndpoints(1)
            .reuseBudget(3)
            .fallback(FIRST)
            .build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    picker.pool.insert(pooled(b.get(1), 0, 1));
    for (int i = 0; i < 3; i++) {
      assertThat(picker.pick(PickContext.none())).isSameAs(b.get(1));
    }
    assertThat(picker.pool.size()).isZero();
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
  }

  @Test
  void insert_poolFull_newAnswerReplacesOldest() {
    List<Backend> b = backends(3);
    Prequal strategy =
        Prequal.builder().prober(new ScriptedProber()).minEndpoints(1).poolSize(2).build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    picker.pool.insert(pooled(b.get(0), 0, 1));
    ticker.advance(Duration.ofMillis(1));
    picker.pool.insert(pooled(b.get(1), 0, 5));
    ticker.advance(Duration.ofMillis(1));
    picker.pool.insert(pooled(b.get(2), 0, 9));
    List<ProbePool.Answer> held = new ArrayList<>();
    picker.pool.collect(held);
    assertThat(held).extracting(a -> a.endpoint).containsExactlyInAnyOrder(b.get(1), b.get(2));
  }

  // ---------------------------------------------------------------------------------------------
  // Probing: rate, failures, timeouts, close

  @Test
  void refresh_fractionalRate_sendsThatShareOfPicksAsProbes() {
    ScriptedProber prober = new ScriptedProber();
    List<Backend> b = backends(10);
    Prequal strategy =
        Prequal.builder().prober(prober).probesPerPick(0.25).maxOutstandingProbes(1000).build();
    PrequalPicker picker = prequal(strategy.bind(context).newPicker(live(b), context));
    for (int i = 0; i < 10; i++) {
      picker.pick(PickContext.none());
    }
    picker.refresh(ticker.read()); // 2.5 owed: 2 now, 0.5 carried
    assertThat(prober.probed).hasSize(2);
    for (int i = 0; i < 2; i++) {
      picker.pick(PickContext.none());
    }
    picker.refresh(ticker.read()); // 0.5 + 0.5
    assertThat(prober.probed).hasSize(3);
    picker.refresh(ticker.read()); // no picks, nothing owed
    assertThat(prober.probed).hasSize(3);
  }

  @Test
  void probes_failedThrownNullOrRefused_noAnswerPooled_andNothingBreaks() {
    ScriptedProber prober = new ScriptedProber();
    List<Backend> b = backends(8);
    Prequal strategy = Prequal.builder().prober(prober).probesPerPick(4).fallback(FIRST).build();
    PrequalSession session = (PrequalSession) strategy.bind(context);
    PrequalPicker picker = prequal(session.newPicker(live(b), context));
    int[] call = new int[1];
    prober.behaviour =
        e -> {
          return switch (call[0]++ % 3) {
            case 0 -> CompletableFuture.failedFuture(new IllegalStateException("refused"));
            case 1 -> throw new IllegalStateException("prober bug");
            default -> null;
          };
        };
    for (int round = 0; round < 5; round++) {
      picker.pick(PickContext.none());
      picker.refresh(ticker.read());
    }
    assertThat(session.started.get()).isEqualTo(20);
    assertThat(session.failed.get()).isEqualTo(20);
    assertThat(session.outstandingProbes()).isZero();
    assertThat(picker.pool.size()).isZero();
    assertThat(picker.pick(PickContext.none())).isSameAs(b.get(0));
  }

  @Test
  void probes_unansweredPastTimeout_cancelled_lateAnswerIgnored() {
    ScriptedProber prober = new ScriptedProber();
    List<Backend> b = backends(8);
    Prequal strategy =
        Prequal.builder()
            .prober(prober)
            .probeTimeout(Duration.ofMillis(50))
            .maxOutstandingProbes(2)
            .fallback(FIRST)
            .build();
    PrequalSession session = (PrequalSession) strategy.bind(context);
    PrequalPicker picker = prequal(session.newPicker(live(b), context));
    for (int i = 0; i < 5; i++) {
      picker.pick(PickContext.none());
    }
    picker.refresh(ticker.read());
    assertThat(prober.pending).hasSize(2); // capped at maxOutstandingProbes
    ticker.advance(Duration.ofMillis(50));
    picker.refresh(ticker.read());
    assertThat(prober.pending).allMatch(CompletableFuture::isCancelled);
    assertThat(session.timedOut.get()).isEqualTo(2);
    prober.pending.get(0).obtrudeValue(answer(0, 1)); // arrives too late
    assertThat(picker.pool.size()).isZero();
  }

  @Test
  void close_probesOutstanding_cancelledAndLaterAnswersIgnored_noNewProbes() {
    ScriptedProber prober = new ScriptedProber();
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      endpoints.add(Endpoint.of("10.0.0." + (i + 1), 8080));
    }
    LoadBalancer lb =
        LoadBalancer.builder()
            .strategy(Prequal.builder().prober(prober).build())
            .endpoints(endpoints)
            .ticker(ticker)
            .scheduler(scheduler)
            .random(new SplittableRandom(3))
            .build();
    for (int i = 0; i < 20; i++) {
      lb.pick().onSuccess(MS);
    }
    scheduler.advance(Duration.ofMillis(1));
    assertThat(prober.pending).hasSize(20);
    lb.close();
    assertThat(prober.pending).allMatch(CompletableFuture::isCancelled);
    int sent = prober.probed.size();
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(prober.probed).hasSize(sent);
  }

  // ---------------------------------------------------------------------------------------------
  // Through a balancer: probes on the scheduler, membership changes, small groups

  private LoadBalancer balancer(Prequal strategy, List<Endpoint> endpoints) {
    return LoadBalancer.builder()
        .strategy(strategy)
        .endpoints(endpoints)
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(11))
        .outlierDetection(OutlierDetection.disabled())
        .build();
  }

  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          Endpoint.builder("10.0." + (i / 250) + "." + (i % 250 + 1), 8080).id("e" + i).build());
    }
    return list;
  }

  @Test
  void balancer_endpointRemovedWhileItsAnswerIsPooled_neverPickedAgain() {
    ScriptedProber prober = new ScriptedProber();
    for (int i = 0; i < 10; i++) {
      prober.script.put("e" + i, i == 3 ? answer(0, 1) : answer(5, 50));
    }
    LoadBalancer lb =
        balancer(Prequal.builder().prober(prober).probesPerPick(4).build(), endpoints(10));
    Map<String, Integer> counts = new HashMap<>();
    for (int round = 0; round < 20; round++) {
      Lease lease = lb.pick();
      counts.merge(lease.endpoint().id(), 1, Integer::sum);
      lease.onSuccess(MS);
      scheduler.advance(Duration.ofMillis(1));
    }
    assertThat(counts.getOrDefault("e3", 0)).isGreaterThan(5); // the pool found the idle one
    assertThat(lb.removeEndpoint("e3")).isTrue();
    for (int round = 0; round < 200; round++) {
      Lease lease = lb.pick();
      assertThat(lease.endpoint().id()).isNotEqualTo("e3");
      lease.onSuccess(MS);
      scheduler.advance(Duration.ofMillis(1));
    }
    lb.close();
  }

  @Test
  void balancer_membershipChange_poolCarriedOver_noFallbackGap() {
    ScriptedProber prober = new ScriptedProber();
    for (int i = 0; i < 11; i++) {
      prober.script.put("e" + i, i == 3 ? answer(0, 1) : answer(5, 50));
    }
    LoadBalancer lb =
        balancer(
            Prequal.builder().prober(prober).probesPerPick(16).reuseBudget(1000).build(),
            endpoints(10));
    boolean found = false;
    for (int round = 0; round < 50 && !found; round++) {
      found = lb.pick().endpoint().id().equals("e3");
      scheduler.advance(Duration.ofMillis(1));
    }
    assertThat(found).isTrue(); // e3's answer is in the pool
    lb.addEndpoint(endpoints(11).get(10)); // a new picker, before any new probe is answered
    assertThat(lb.pick().endpoint().id()).isEqualTo("e3");
    lb.close();
  }

  @Test
  void balancer_smallGroup_neverProbes_picksByFallback() {
    ScriptedProber prober = new ScriptedProber();
    LoadBalancer lb = balancer(Prequal.builder().prober(prober).build(), endpoints(7));
    for (int i = 0; i < 100; i++) {
      lb.pick().onSuccess(MS);
      scheduler.advance(Duration.ofMillis(1));
    }
    assertThat(prober.probed).isEmpty();
    lb.close();
  }

  @Test
  void balancer_thousandEndpoints_picksFollowTheLeastLoadedAnswers() {
    ScriptedProber prober = new ScriptedProber();
    for (int i = 0; i < 1000; i++) {
      // A tenth of the fleet idle and fast; the rest loaded.
      prober.script.put("e" + i, i % 10 == 0 ? answer(0, 2) : answer(20, 40));
    }
    LoadBalancer lb =
        balancer(Prequal.builder().prober(prober).probesPerPick(3).build(), endpoints(1000));
    int idle = 0;
    int picks = 0;
    for (int round = 0; round < 2000; round++) {
      Lease lease = lb.pick();
      if (round >= 100) {
        picks++;
        if (Integer.parseInt(lease.endpoint().id().substring(1)) % 10 == 0) {
          idle++;
        }
      }
      lease.onSuccess(MS);
      scheduler.advance(Duration.ofMillis(1));
    }
    // Random picks would hit the idle tenth 10% of the time. The pool cannot do better than its
    // supply of idle answers: 3 probes per pick x 10% idle x 2 uses each = 0.6 per pick, less the
    // idle answers pushed out of the full pool (8) by newer ones before their second use.
    assertThat(idle).isGreaterThan(picks * 4 / 10);
    assertThat(prober.probed.size()).isBetween(5_000, 6_100);
    lb.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Options

  @Test
  void registry_prequalByName_noProber_picksAsFallback() {
    Strategy s = StrategyRegistry.byName("prequal");
    assertThat(s).isSameAs(Strategies.prequal());
    assertThat(((Prequal) s).prober()).isNull();
    assertThat(s.usesPeakEwma()).isTrue();
    assertThat(s.refreshPeriodNanos()).isZero();
  }

  @Test
  void options_defaults() {
    Prequal p = Strategies.prequal();
    assertThat(p.probesPerPick()).isEqualTo(1.0);
    assertThat(p.poolSize()).isEqualTo(8);
    assertThat(p.reuseBudget()).isEqualTo(2);
    assertThat(p.maxProbeAge()).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.hotQuantile()).isEqualTo(0.8);
    assertThat(p.minEndpoints()).isEqualTo(8);
    assertThat(p.fallback()).isSameAs(Strategies.peakEwma());
    assertThat(p.probeTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.probeDispatchPeriod()).isEqualTo(Duration.ofMillis(1));
    assertThat(p.maxOutstandingProbes()).isEqualTo(64);
    assertThat(p.probeExecutor()).isNull();
    assertThat(p.toBuilder().build()).isEqualTo(p).hasSameHashCodeAs(p);
  }

  @Test
  void options_badValues_rejectedNamingOptionAndValue() {
    Prequal.Builder b = Prequal.builder();
    assertThatThrownBy(() -> b.probesPerPick(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("probesPerPick")
        .hasMessageContaining("0.0");
    assertThatThrownBy(() -> b.probesPerPick(Double.NaN)).hasMessageContaining("NaN");
    assertThatThrownBy(() -> b.poolSize(65))
        .hasMessageContaining("poolSize")
        .hasMessageContaining("65");
    assertThatThrownBy(() -> b.reuseBudget(0))
        .hasMessageContaining("reuseBudget")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> b.maxProbeAge(Duration.ZERO))
        .hasMessageContaining("maxProbeAge")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> b.hotQuantile(1.5))
        .hasMessageContaining("hotQuantile")
        .hasMessageContaining("1.5");
    assertThatThrownBy(() -> b.minEndpoints(0)).hasMessageContaining("minEndpoints");
    assertThatThrownBy(() -> b.fallback(dev.lb.hash.HashStrategies.ringHash()))
        .hasMessageContaining("fallback")
        .hasMessageContaining("ring_hash");
    assertThatThrownBy(() -> b.fallback(Strategies.orcaWeightedRoundRobin()))
        .hasMessageContaining("orca_weighted_round_robin");
    assertThatThrownBy(() -> b.probeTimeout(Duration.ofMillis(-1)))
        .hasMessageContaining("probeTimeout");
    assertThatThrownBy(() -> b.probeDispatchPeriod(Duration.ofNanos(99_999)))
        .hasMessageContaining("probeDispatchPeriod")
        .hasMessageContaining("PT0.000099999S");
    assertThatThrownBy(() -> b.maxOutstandingProbes(0))
        .hasMessageContaining("maxOutstandingProbes");
    assertThatThrownBy(() -> b.prober(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("prober");
    assertThatThrownBy(() -> b.probeExecutor(null)).hasMessageContaining("probeExecutor");
  }
}
