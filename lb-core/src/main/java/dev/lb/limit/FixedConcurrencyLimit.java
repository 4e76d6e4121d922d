package dev.lb.limit;

/** A limit that never changes. Immutable. */
final class FixedConcurrencyLimit implements ConcurrencyLimit {
  private final int limit;

  FixedConcurrencyLimit(int limit) {
    this.limit = limit;
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public void onSample(long latencyNanos, int inFlight, boolean dropped) {}

  @Override
  public ConcurrencyLimits.Algorithm algorithm() {
    return ConcurrencyLimits.Algorithm.FIXED;
  }

  @Override
  public String toString() {
    return "FixedConcurrencyLimit{" + limit + "}";
  }
}
