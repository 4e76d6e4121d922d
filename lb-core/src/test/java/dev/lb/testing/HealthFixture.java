package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.health.OutlierDetection;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Fake time, a fake scheduler and a recording listener around balancers under test. */
public final class HealthFixture {
  public final FakeTicker ticker = new FakeTicker();
  public final FakeScheduler scheduler = new FakeScheduler(ticker);
  public final RecordingListener events = new RecordingListener();

  /** A builder on fake time with outlier detection off; tests turn on what they examine. */
  public LoadBalancer.Builder builder(List<Endpoint> endpoints) {
    return LoadBalancer.builder()
        .name("t")
        .endpoints(endpoints)
        .ticker(ticker)
        .scheduler(scheduler)
        .random(new SplittableRandom(7))
        .outlierDetection(OutlierDetection.disabled())
        .listener(events);
  }

  /** A lease on the endpoint with this id: every other member is excluded from the pick. */
  public static Lease leaseOn(LoadBalancer lb, String id) {
    PickContext.Builder ctx = PickContext.builder();
    for (Endpoint e : lb.endpoints()) {
      if (!e.id().equals(id)) {
        ctx.exclude(e.id());
      }
    }
    Lease lease = lb.pick(ctx.build());
    if (!lease.endpoint().id().equals(id)) {
      throw new AssertionError("picked " + lease.endpoint().id() + ", not " + id);
    }
    return lease;
  }

  /** Reports {@code n} failures on the endpoint with this id. */
  public static void fail(LoadBalancer lb, String id, int n) {
    for (int i = 0; i < n; i++) {
      leaseOn(lb, id).onFailure(1_000_000L, null);
    }
  }

  /** Reports {@code n} successes on the endpoint with this id. */
  public static void succeed(LoadBalancer lb, String id, int n) {
    for (int i = 0; i < n; i++) {
      leaseOn(lb, id).onSuccess(1_000_000L);
    }
  }

  /** Picks {@code n} times, reporting success at once; counts per id. */
  public static Map<String, Integer> spread(LoadBalancer lb, int n) {
    return Fixtures.spread(lb, n);
  }
}
