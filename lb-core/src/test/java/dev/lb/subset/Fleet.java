package dev.lb.subset;

import dev.lb.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** A fleet of clients over a set of backends, for subsetting's fleet-scale properties. */
final class Fleet {
  private Fleet() {}

  /** {@code n} backends with random ids (seeded), so that ring positions differ per seed. */
  static List<Endpoint> backends(int n, SplittableRandom random) {
    List<Endpoint> list = new ArrayList<>(n);
    Set<String> ids = new HashSet<>();
    while (list.size() < n) {
      String id = "b-" + Long.toHexString(random.nextLong());
      if (ids.add(id)) {
        list.add(Endpoint.builder("10.0.0.1", 8080).id(id).build());
      }
    }
    return list;
  }

  static Endpoint backend(SplittableRandom random) {
    return Endpoint.builder("10.0.0.1", 8080)
        .id("b-" + Long.toHexString(random.nextLong()))
        .build();
  }

  /** One client's shares by endpoint id, the endpoints outside its subset left out. */
  static Map<String, Double> subset(
      Subsetting s, List<Endpoint> endpoints, ClientCoordinate client) {
    double[] shares = new double[endpoints.size()];
    s.shares(endpoints, client, shares);
    Map<String, Double> out = new HashMap<>();
    for (int i = 0; i < shares.length; i++) {
      if (shares[i] > 0) {
        out.put(endpoints.get(i).id(), shares[i]);
      }
    }
    return out;
  }

  /** Every client's subset: {@code clients} aperture coordinates, or random seeds 0.. */
  static List<Map<String, Double>> subsets(
      int clients, List<Endpoint> endpoints, java.util.function.IntFunction<Subsetting> algo) {
    List<Map<String, Double>> out = new ArrayList<>(clients);
    for (int i = 0; i < clients; i++) {
      out.add(subset(algo.apply(i), endpoints, ClientCoordinate.of(i, clients)));
    }
    return out;
  }

  /**
   * Every client's aperture, the ring placed once ({@link Subsetting#shares} places it per call,
   * the same way).
   */
  static List<Map<String, Double>> apertures(int clients, List<Endpoint> endpoints, int size) {
    DeterministicAperture aperture = (DeterministicAperture) Subsetting.deterministicAperture(size);
    if (endpoints.size() <= size) {
      return subsets(clients, endpoints, i -> aperture);
    }
    DeterministicAperture.Ring ring = DeterministicAperture.ring(endpoints);
    List<Map<String, Double>> out = new ArrayList<>(clients);
    for (int c = 0; c < clients; c++) {
      double[] shares = new double[endpoints.size()];
      aperture.shares(ring, ClientCoordinate.of(c, clients), shares);
      Map<String, Double> subset = new HashMap<>();
      for (int i = 0; i < shares.length; i++) {
        if (shares[i] > 0) {
          subset.put(endpoints.get(i).id(), shares[i]);
        }
      }
      out.add(subset);
    }
    return out;
  }

  /**
   * Each backend's load when every client sends one unit of load, spread over its subset in
   * proportion to the shares (what a weighted strategy does on average).
   */
  static Map<String, Double> load(List<Map<String, Double>> subsets, List<Endpoint> endpoints) {
    Map<String, Double> load = new HashMap<>();
    for (Endpoint e : endpoints) {
      load.put(e.id(), 0.0);
    }
    for (Map<String, Double> s : subsets) {
      double total = 0;
      for (double v : s.values()) {
        total += v;
      }
      for (Map.Entry<String, Double> e : s.entrySet()) {
        load.merge(e.getKey(), e.getValue() / total, Double::sum);
      }
    }
    return load;
  }

  static double maxOverMean(Map<String, Double> load) {
    double max = 0;
    double sum = 0;
    for (double v : load.values()) {
      max = Math.max(max, v);
      sum += v;
    }
    return max / (sum / load.size());
  }

  /** Members that left and members that entered: {@code [left, entered]}. */
  static int[] churn(Map<String, Double> before, Map<String, Double> after) {
    int left = 0;
    for (String id : before.keySet()) {
      left += after.containsKey(id) ? 0 : 1;
    }
    int entered = 0;
    for (String id : after.keySet()) {
      entered += before.containsKey(id) ? 0 : 1;
    }
    return new int[] {left, entered};
  }
}
