package dev.lb.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules both adaptive limits must keep, on a model backend in fake time: {@code capacity}
 * workers of service time {@code S} (seeded, ±20%), processor-sharing (latency {@code S × max(1,
 * inFlight / capacity)}), and a closed loop of {@code demand} callers whose calls in flight are
 * {@code min(demand, limit)}. Each step completes one call and advances the clock by the time
 * between completions at that throughput.
 */
class AdaptiveConcurrencyLimitTest {
  private static final long S = 10_000_000L; // 10 ms

  static Stream<Function<FakeTicker, ConcurrencyLimit>> algorithms() {
    return Stream.of(
        t -> ConcurrencyLimits.vegas().initialLimit(100).build().create(t),
        t -> ConcurrencyLimits.gradient().initialLimit(100).build().create(t));
  }

  /** The model backend and its callers. */
  static final class Model {
    final FakeTicker ticker = new FakeTicker();
    final ConcurrencyLimit limit;
    final SplittableRandom random = new SplittableRandom(42);
    int capacity = 20;
    int demand = 200;
    long service = S;
    double lastLatency;
    int maxInFlightSeen;

    Model(Function<FakeTicker, ConcurrencyLimit> maker) {
      this.limit = maker.apply(ticker);
    }

    void runPastProbe() {
      while (((AdaptiveConcurrencyLimit) limit).probing()) {
        run(1);
      }
    }

    /** Runs {@code samples} completions; returns the mean latency over them, in units of S. */
    double run(int samples) {
      double sum = 0;
      for (int i = 0; i < samples; i++) {
        int inFlight = Math.max(1, Math.min(demand, limit.limit()));
        maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
        double jitter = 0.8 + 0.4 * random.nextDouble();
        long latency = (long) (service * jitter * Math.max(1.0, inFlight / (double) capacity));
        ticker.advanceNanos(Math.max(1, latency / inFlight));
        limit.onSample(latency, inFlight, false);
        lastLatency = latency / (double) S;
        sum += lastLatency;
      }
      return sum / samples;
    }
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void loadBeyondCapacity_limitComesDownToNearCapacity(Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    m.run(20_000);
    // Started at 100 with 200 callers on a backend that serves 20 at once.
    assertThat(m.limit.limit()).isBetween(20, 40);
    assertThat(m.run(5_000)).isLessThan(2.0); // latency within 2x of no-load
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void capacityHalvesThenReturns_limitFollowsDownAndRecovers(
      Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    m.capacity = 40;
    m.run(20_000);
    int full = m.limit.limit();
    // Vegas settles a little under the capacity: with latency noise of ±20%, its minimum-based
    // baseline reads part of the noise as a queue.
    assertThat(full).isBetween(32, 80);

    m.capacity = 20;
    m.run(20_000);
    int half = m.limit.limit();
    assertThat(half).isBetween(16, 40).isLessThan(full);
    assertThat(m.run(2_000)).isLessThan(2.0);

    m.capacity = 40;
    m.run(20_000);
    assertThat(m.limit.limit()).isBetween(32, 80);
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void longIdlePeriod_limitDoesNotCollapse(Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    m.capacity = 40;
    m.run(20_000);
    int before = m.limit.limit();

    m.ticker.advance(Duration.ofHours(6)); // no samples at all
    assertThat(m.limit.limit()).isEqualTo(before);

    // The first calls after the idle period are slow (cold connections, cold caches).
    for (int i = 0; i < 5; i++) {
      m.limit.onSample(20 * S, 40, false);
      m.ticker.advanceNanos(S);
    }
    m.run(5_000);
    assertThat(m.limit.limit()).isGreaterThanOrEqualTo((int) (0.8 * before));
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void sustainedOverload_limitDoesNotDriftUp(Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    // 200 callers forever on a backend serving 20: about 10 minutes of fake time, many probes.
    m.run(100_000);
    int mid = m.limit.limit();
    double midLatency = m.run(5_000);
    assertThat(mid).isLessThanOrEqualTo(40);
    assertThat(midLatency).isLessThan(2.0);
    m.run(1_000_000);
    assertThat(m.limit.limit()).isLessThanOrEqualTo(Math.min(40, mid + 5));
    assertThat(m.run(5_000)).isLessThan(Math.min(2.0, midLatency * 1.1));
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void backendConstantlySlower_limitFollowsAfterAProbe(Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    m.capacity = 40;
    m.run(20_000);
    int before = m.limit.limit();
    // The backend becomes three times slower for good (a slower dependency, not load): the
    // capacity in calls is unchanged, and a baseline that never refreshes would read the new
    // latency as a queue and shrink the limit for ever.
    m.service = 3 * S;
    m.run(200_000); // several probe intervals
    assertThat(m.limit.limit()).isGreaterThanOrEqualTo((int) (0.8 * before));
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void bursts_appLimitedQuietPhases_doNotMoveTheLimit(Function<FakeTicker, ConcurrencyLimit> a) {
    Model m = new Model(a);
    m.capacity = 40;
    for (int burst = 0; burst < 20; burst++) {
      m.demand = 200;
      m.run(2_000);
      m.demand = 3; // far under half the limit: the caller, not the backend, limits the load
      m.run(200); // the update window that straddles the burst's end closes
      m.runPastProbe(); // a probe pins the limit for a moment; compare outside probes
      int settled = m.limit.limit();
      m.run(1_800);
      m.runPastProbe();
      assertThat(m.limit.limit()).isEqualTo(settled);
    }
    assertThat(m.limit.limit()).isBetween(32, 80);
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void anySequence_limitStaysWithinMinAndMax(Function<FakeTicker, ConcurrencyLimit> unused) {
    for (long seed = 0; seed < 50; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      FakeTicker t = new FakeTicker();
      int min = 1 + r.nextInt(10);
      int max = min + r.nextInt(50);
      ConcurrencyLimit limit =
          seed % 2 == 0
              ? ConcurrencyLimits.vegas()
                  .minLimit(min)
                  .maxLimit(max)
                  .initialLimit(1 + r.nextInt(100))
                  .build()
                  .create(t)
              : ConcurrencyLimits.gradient()
                  .minLimit(min)
                  .maxLimit(max)
                  .initialLimit(1 + r.nextInt(100))
                  .build()
                  .create(t);
      for (int i = 0; i < 5_000; i++) {
        long latency = r.nextInt(10) == 0 ? -1 : (long) (S * Math.exp(r.nextGaussian() * 2));
        limit.onSample(latency, r.nextInt(2 * max + 1), r.nextInt(5) == 0);
        t.advanceNanos(r.nextLong(1, 2 * S));
        if (r.nextInt(1000) == 0) {
          t.advance(Duration.ofMinutes(5));
        }
        assertThat(limit.limit()).as("seed %s sample %s", seed, i).isBetween(min, max);
      }
    }
  }
}
