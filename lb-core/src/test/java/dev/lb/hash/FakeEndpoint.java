package dev.lb.hash;

import dev.lb.Endpoint;
import dev.lb.strategy.LiveEndpoint;
import java.util.ArrayList;
import java.util.List;

/** A {@link LiveEndpoint} whose in-flight count a test sets; other statistics are unknown. */
final class FakeEndpoint implements LiveEndpoint {
  private final Endpoint endpoint;
  private int inFlight;

  FakeEndpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  /** Endpoints {@code e0 .. e(n-1)}, weight 1. */
  static List<LiveEndpoint> endpoints(int n) {
    int[] weights = new int[n];
    java.util.Arrays.fill(weights, 1);
    return weighted(weights);
  }

  /** Endpoints {@code e0 ..} with the given weights. */
  static List<LiveEndpoint> weighted(int... weights) {
    List<LiveEndpoint> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(
          new FakeEndpoint(
              Endpoint.builder("10.0." + (i >> 8) + "." + (i & 255), 8080)
                  .id("e" + i)
                  .weight(weights[i])
                  .build()));
    }
    return list;
  }

  void inFlight(int inFlight) {
    this.inFlight = inFlight;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public int weight() {
    return endpoint.weight();
  }

  @Override
  public int inFlight() {
    return inFlight;
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
