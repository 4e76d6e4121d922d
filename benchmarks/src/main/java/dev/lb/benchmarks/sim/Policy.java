package dev.lb.benchmarks.sim;

import org.jspecify.annotations.Nullable;

/**
 * A load-balancing policy as the simulator drives it: choose a backend for each call, then hear how
 * the call ended. The simulator's counterpart of Caffeine's simulator {@code Policy}.
 *
 * <p>Policies run on the simulation's single thread and read time from its {@link SimClock}.
 */
public interface Policy {
  /**
   * Chooses a backend for a call that arrives now.
   *
   * @return the choice, or null if the policy has no backend to offer
   */
  @Nullable Pick pick();

  /** One call's choice, told how the call ended exactly once. */
  interface Pick {
    /**
     * The chosen backend.
     *
     * @return its index in the scenario's backend list
     */
    int backend();

    /**
     * Reports the call's outcome as the client saw it.
     *
     * @param latencyNanos how long the client waited
     * @param success false for an error or a timeout
     */
    void complete(long latencyNanos, boolean success);
  }

  /** Builds a policy for one simulation run. */
  @FunctionalInterface
  interface Factory {
    /**
     * Creates the policy over the scenario's backends.
     *
     * @param cluster the backends' live state (only an oracle may look)
     * @param clock the simulation's clock and scheduler
     * @param seed the run's seed for the policy's own randomness
     * @return a fresh policy
     */
    Policy create(Cluster cluster, SimClock clock, long seed);
  }
}
