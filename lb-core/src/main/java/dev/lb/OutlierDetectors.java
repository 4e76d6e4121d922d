package dev.lb;

import dev.lb.health.OutlierDetection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rate-based outlier detectors, as pure functions over one interval's counts (the shape of
 * grpc-java's {@code OutlierEjectionAlgorithm}): given each candidate's successes and failures in
 * the interval, they say which candidates to eject and why. The consecutive-failure detector runs
 * on the lease path instead (see {@link OutlierEjection}).
 */
final class OutlierDetectors {
  private OutlierDetectors() {}

  /** A candidate to eject: its index in the input, and the reason to report. */
  record Outlier(int index, String reason) {}

  /**
   * Envoy's success-rate detector: among candidates with at least the request volume, and only if
   * there are at least the minimum hosts of them, those whose success rate is below {@code mean -
   * stdevFactor x stdev} of the qualified group.
   */
  static List<Outlier> successRate(OutlierDetection config, long[] successes, long[] failures) {
    List<Outlier> out = new ArrayList<>();
    if (!config.successRate()) {
      return out;
    }
    List<Integer> qualified = qualified(successes, failures, config.successRateRequestVolume());
    if (qualified.isEmpty() || qualified.size() < config.successRateMinimumHosts()) {
      return out;
    }
    double sum = 0;
    for (int i : qualified) {
      sum += rate(successes[i], failures[i]);
    }
    double mean = sum / qualified.size();
    double squares = 0;
    for (int i : qualified) {
      double d = rate(successes[i], failures[i]) - mean;
      squares += d * d;
    }
    double stdev = Math.sqrt(squares / qualified.size());
    double threshold = mean - config.successRateStdevFactor() * stdev;
    for (int i : qualified) {
      double r = rate(successes[i], failures[i]);
      if (r < threshold) {
        out.add(
            new Outlier(
                i,
                String.format(
                    Locale.ROOT,
                    "success rate %.1f%% below the group's threshold %.1f%%",
                    r,
                    threshold)));
      }
    }
    return out;
  }

  /**
   * Envoy's failure-percentage detector: among candidates with at least the request volume, and
   * only if there are at least the minimum hosts of them, those whose failure percentage is at
   * least the threshold.
   */
  static List<Outlier> failurePercentage(
      OutlierDetection config, long[] successes, long[] failures) {
    List<Outlier> out = new ArrayList<>();
    if (!config.failurePercentage()) {
      return out;
    }
    List<Integer> qualified =
        qualified(successes, failures, config.failurePercentageRequestVolume());
    if (qualified.isEmpty() || qualified.size() < config.failurePercentageMinimumHosts()) {
      return out;
    }
    for (int i : qualified) {
      double failed = 100.0 - rate(successes[i], failures[i]);
      if (failed >= config.failurePercentageThreshold()) {
        out.add(new Outlier(i, String.format(Locale.ROOT, "failure percentage %.1f%%", failed)));
      }
    }
    return out;
  }

  private static List<Integer> qualified(long[] successes, long[] failures, int volume) {
    List<Integer> qualified = new ArrayList<>();
    for (int i = 0; i < successes.length; i++) {
      if (successes[i] + failures[i] >= volume) {
        qualified.add(i);
      }
    }
    return qualified;
  }

  private static double rate(long successes, long failures) {
    return 100.0 * successes / (successes + failures);
  }
}
