package dev.lb.strategy;

import dev.lb.Endpoint;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LiveEndpoint} that is not the balancer's: what a simulator or a user's test would write.
 * Implements only the abstract methods, so every default of the SPI is exercised. Not thread-safe.
 */
final class CustomLiveEndpoint implements LiveEndpoint {
  private final Endpoint endpoint;
  int inFlight;
  double latencyNanos = Double.NaN;

  CustomLiveEndpoint(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  static List<LiveEndpoint> endpoints(int n) {
    List<LiveEndpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          new CustomLiveEndpoint(
              Endpoint.builder("10.0.1." + i, 8080).id("e" + i).weight(1 + i % 3).build()));
    }
    return list;
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
    return latencyNanos;
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
