package dev.lb.benchmarks.sim;

import java.util.Arrays;

/**
 * What one policy did to one scenario, as the client saw it. Latencies count every call: a success
 * with its latency, an error with the time it took to come back, a timeout as the timeout.
 *
 * @param scenario the scenario's name
 * @param policy the policy's name
 * @param calls calls made
 * @param successRate fraction of calls that succeeded within the timeout, 0 to 1
 * @param meanMillis mean latency in milliseconds
 * @param p50Millis median latency
 * @param p99Millis 99th percentile latency
 * @param p999Millis 99.9th percentile latency
 * @param callsPerBackend calls dispatched to each backend, by index
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equality is not used
public record Result(
    String scenario,
    String policy,
    long calls,
    double successRate,
    double meanMillis,
    double p50Millis,
    double p99Millis,
    double p999Millis,
    long[] callsPerBackend) {

  /** Copies the array. */
  public Result {
    callsPerBackend = callsPerBackend.clone();
  }

  @Override
  public long[] callsPerBackend() {
    return callsPerBackend.clone();
  }

  /**
   * The busiest backend's calls over the mean per backend: 1.0 is perfectly even.
   *
   * @return max / average calls per backend
   */
  public double maxOverAvgLoad() {
    long max = 0;
    long sum = 0;
    for (long c : callsPerBackend) {
      max = Math.max(max, c);
      sum += c;
    }
    return sum == 0 ? 0 : max * (double) callsPerBackend.length / sum;
  }

  /**
   * The share of calls backend {@code i} received.
   *
   * @param i the backend's index
   * @return 0 to 1
   */
  public double share(int i) {
    long sum = 0;
    for (long c : callsPerBackend) {
      sum += c;
    }
    return sum == 0 ? 0 : callsPerBackend[i] / (double) sum;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Result r
        && scenario.equals(r.scenario)
        && policy.equals(r.policy)
        && calls == r.calls
        && Double.compare(successRate, r.successRate) == 0
        && Double.compare(meanMillis, r.meanMillis) == 0
        && Double.compare(p50Millis, r.p50Millis) == 0
        && Double.compare(p99Millis, r.p99Millis) == 0
        && Double.compare(p999Millis, r.p999Millis) == 0
        && Arrays.equals(callsPerBackend, r.callsPerBackend);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * scenario.hashCode() + policy.hashCode()) + Arrays.hashCode(callsPerBackend);
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "%s/%s: %d calls, success %.3f%%, mean %.1f ms, p50 %.1f, p99 %.1f, p99.9 %.1f, max/avg %.2f",
        scenario,
        policy,
        calls,
        successRate * 100,
        meanMillis,
        p50Millis,
        p99Millis,
        p999Millis,
        maxOverAvgLoad());
  }

  /** Collects one run's outcomes. Not thread-safe. */
  static final class Recorder {
    private final String scenario;
    private final String policy;
    private final long[] perBackend;
    private long[] latencies = new long[1 << 16];
    private int count;
    private long successes;

    Recorder(Scenario scenario, String policy) {
      this.scenario = scenario.name();
      this.policy = policy;
      this.perBackend = new long[scenario.backends().size()];
    }

    void dispatched(int backend) {
      perBackend[backend]++;
    }

    void record(int backend, long latencyNanos, boolean success) {
      if (count == latencies.length) {
        latencies = Arrays.copyOf(latencies, count * 2);
      }
      latencies[count++] = latencyNanos;
      if (success) {
        successes++;
      }
    }

    Result finish() {
      long[] sorted = Arrays.copyOf(latencies, count);
      Arrays.sort(sorted);
      double sum = 0;
      for (long l : sorted) {
        sum += l;
      }
      return new Result(
          scenario,
          policy,
          count,
          count == 0 ? 0 : successes / (double) count,
          count == 0 ? 0 : sum / count / 1e6,
          percentile(sorted, 0.50),
          percentile(sorted, 0.99),
          percentile(sorted, 0.999),
          perBackend);
    }

    private static double percentile(long[] sorted, double q) {
      if (sorted.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }
  }
}
