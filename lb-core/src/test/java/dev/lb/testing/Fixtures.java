package dev.lb.testing;

import dev.lb.Endpoint;
import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.strategy.Strategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Shared builders and counters for balancer tests. */
public final class Fixtures {
  private Fixtures() {}

  /** Endpoints {@code e0 .. e(n-1)} at 10.0.0.i:8080, weight 1. */
  public static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.builder("10.0.0." + i, 8080).id("e" + i).build());
    }
    return list;
  }

  /** Endpoints {@code e0 ..} with the given weights. */
  public static List<Endpoint> weighted(int... weights) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(Endpoint.builder("10.0.0." + i, 8080).id("e" + i).weight(weights[i]).build());
    }
    return list;
  }

  /** A single-threaded, seeded balancer on a fake ticker. */
  public static LoadBalancer balancer(
      Strategy strategy, List<Endpoint> endpoints, long seed, FakeTicker ticker) {
    return LoadBalancer.builder()
        .name("test")
        .strategy(strategy)
        .endpoints(endpoints)
        .random(new SplittableRandom(seed))
        .ticker(ticker)
        .scheduler(new FakeScheduler(ticker))
        .build();
  }

  public static LoadBalancer balancer(Strategy strategy, List<Endpoint> endpoints, long seed) {
    return balancer(strategy, endpoints, seed, new FakeTicker());
  }

  /** Picks {@code n} times, reporting each call as an immediate 1 ms success; counts per id. */
  public static Map<String, Integer> spread(LoadBalancer lb, int n) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Endpoint e : lb.endpoints()) {
      counts.put(e.id(), 0);
    }
    for (int i = 0; i < n; i++) {
      Lease lease = lb.pick();
      counts.merge(lease.endpoint().id(), 1, Integer::sum);
      lease.onSuccess(1_000_000L);
    }
    return counts;
  }

  /** The ids of {@code n} consecutive picks, each reported at once. */
  public static List<String> sequence(LoadBalancer lb, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Lease lease = lb.pick();
      ids.add(lease.endpoint().id());
      lease.onSuccess(1_000_000L);
    }
    return ids;
  }
}
