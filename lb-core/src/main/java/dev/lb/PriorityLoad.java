package dev.lb;

/**
 * How calls split across priority levels, and which levels are in panic: Envoy's priority load and
 * panic rules (Envoy docs, "Priority levels" and "Panic threshold"), as a pure function.
 *
 * <ul>
 *   <li>A level's availability is {@code min(1, overprovisioning x healthy / total)}: with the
 *       default factor 1.4 a level keeps all its traffic until fewer than about 72% of its
 *       endpoints are healthy.
 *   <li>Levels take traffic in priority order, each up to its availability, until 100% is given
 *       out. If the availabilities add up to less than 100% (the normalized total availability),
 *       each level's share is scaled up by the same factor so the shares add up to 100%.
 *   <li>Panic is decided per level, and only when the normalized total availability is below 100%:
 *       a level whose healthy share is below the panic threshold then sends its share to all of its
 *       endpoints, healthy or not. While the levels together have enough healthy endpoints, no
 *       level is in panic, however many of its own endpoints are down.
 *   <li>If no level has any healthy endpoint, all traffic goes to the first level, in panic (unless
 *       panic mode is off, when there is nowhere to send it).
 * </ul>
 *
 * <p>Levels are given in priority order (lowest number, most preferred, first); each has at least
 * one endpoint. Immutable result; the computation allocates only the result.
 */
final class PriorityLoad {
  private final double[] shares;
  private final boolean[] panic;

  private PriorityLoad(double[] shares, boolean[] panic) {
    this.shares = shares;
    this.panic = panic;
  }

  /**
   * Computes the split.
   *
   * @param healthy healthy endpoints of each level, in priority order
   * @param total endpoints of each level that count towards its size (not draining or disabled),
   *     each at least 1 and at least {@code healthy} of that level
   * @param overprovisioning the overprovisioning factor, 1 or more
   * @param panicThreshold percent, 0 to 100; 0 turns panic off
   */
  static PriorityLoad compute(
      int[] healthy, int[] total, double overprovisioning, int panicThreshold) {
    int n = healthy.length;
    double[] availability = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      availability[i] = Math.min(1.0, overprovisioning * healthy[i] / total[i]);
      sum += availability[i];
    }
    double normalized = Math.min(1.0, sum);
    double[] shares = new double[n];
    boolean[] panic = new boolean[n];
    if (normalized == 0) {
      shares[0] = 1.0;
      panic[0] = panicThreshold > 0;
      return new PriorityLoad(shares, panic);
    }
    double remaining = 1.0;
    for (int i = 0; i < n; i++) {
      double share = Math.min(availability[i], remaining);
      remaining -= share;
      shares[i] = share / normalized;
    }
    if (normalized < 1.0) {
      for (int i = 0; i < n; i++) {
        // healthy / total < threshold / 100, in integers
        panic[i] = (long) healthy[i] * 100 < (long) panicThreshold * total[i];
      }
    }
    return new PriorityLoad(shares, panic);
  }

  /** The share of calls level {@code i} takes, 0 to 1; the shares add up to 1. */
  double share(int i) {
    return shares[i];
  }

  /** Whether level {@code i} is in panic: its share goes to all its endpoints, healthy or not. */
  boolean panic(int i) {
    return panic[i];
  }

  /** Whether any level taking traffic is in panic. */
  boolean anyPanic() {
    for (int i = 0; i < panic.length; i++) {
      if (panic[i] && shares[i] > 0) {
        return true;
      }
    }
    return false;
  }
}
