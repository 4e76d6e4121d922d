package dev.lb.strategy;

import dev.lb.Endpoint;
import dev.lb.Ticker;
import dev.lb.internal.LoadSignal;
import dev.lb.internal.LoadWatcher;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LiveEndpoint} that announces its load changes, as the balancer's endpoint states do,
 * with every input of a score under the test's control: calls in flight (atomic, so threads can
 * share it), the latency and throughput keys, and a failure penalty that decays over {@code tau} on
 * the test's clock and is dropped below 0.01. Each setter tells the watcher after the change.
 */
final class SignallingEndpoint implements LiveEndpoint, LoadSignal {
  static final double TAU_NANOS = 1e9;

  private final Endpoint endpoint;
  private final int weight;
  private final double rampFactor;
  private final Ticker ticker;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<@Nullable LoadWatcher> watcher = new AtomicReference<>();
  private volatile double responseTimeKey = Double.NaN;
  private volatile double throughputKey = Double.NEGATIVE_INFINITY;
  private volatile double penalty; // at penaltyStamp
  private volatile long penaltyStamp;

  SignallingEndpoint(String id, int weight, double rampFactor, Ticker ticker) {
    this.endpoint = Endpoint.builder("10.0.0.1", 8080).id(id).weight(weight).build();
    this.weight = weight;
    this.rampFactor = rampFactor;
    this.ticker = ticker;
  }

  void acquire() {
    inFlight.incrementAndGet();
    changed();
  }

  void release() {
    inFlight.decrementAndGet();
    changed();
  }

  void responseTimeKey(double key) {
    responseTimeKey = key;
    changed();
  }

  void throughputKey(double key) {
    throughputKey = key;
    changed();
  }

  /** Adds one failure's penalty, as a failure report does. */
  void fail() {
    long now = ticker.read();
    penalty = failurePenalty(now) + 1.0;
    penaltyStamp = now;
    changed();
  }

  private void changed() {
    LoadWatcher w = watcher.get();
    if (w != null) {
      w.loadChanged();
    }
  }

  @Override
  public @Nullable LoadWatcher watchLoad(LoadWatcher w) {
    return watcher.getAndSet(w);
  }

  @Override
  public void unwatchLoad(LoadWatcher w) {
    watcher.compareAndSet(w, null);
  }

  boolean watched() {
    return watcher.get() != null;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public int weight() {
    return weight;
  }

  @Override
  public double rampFactor() {
    return rampFactor;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public boolean hasFailurePenalty() {
    return penalty > 0;
  }

  @Override
  public double failurePenalty(long nowNanos) {
    double p = penalty;
    if (p == 0) {
      return 0;
    }
    double decayed = p * Math.exp(-(nowNanos - penaltyStamp) / TAU_NANOS);
    if (decayed < 0.01) {
      penalty = 0;
      return 0;
    }
    return decayed;
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
  public double responseTimeKey() {
    return responseTimeKey;
  }

  @Override
  public double throughputBytesPerSecond(long nowNanos) {
    return Double.NaN;
  }

  @Override
  public double throughputKey() {
    return throughputKey;
  }

  @Override
  public String toString() {
    return endpoint.id();
  }
}
