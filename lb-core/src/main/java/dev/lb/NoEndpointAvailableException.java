package dev.lb;

/**
 * Thrown by {@link LoadBalancer#pick} when no endpoint can take the call: the balancer has no
 * endpoints, or its strategy would choose none of them. The message names the balancer and says how
 * many endpoints it has and in which states, so that the log line alone explains the failure.
 *
 * <p>Use {@link LoadBalancer#tryPick} instead where "nothing to pick" is an expected, frequent
 * condition (a caller that queues until an endpoint appears, for example): it returns null without
 * building an exception.
 */
public final class NoEndpointAvailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The name of the balancer that had nothing to pick. */
  private final String balancerName;

  /** How many endpoints the balancer had, in any state, when the pick failed. */
  private final int endpointCount;

  NoEndpointAvailableException(String message, String balancerName, int endpointCount) {
    super(message);
    this.balancerName = balancerName;
    this.endpointCount = endpointCount;
  }

  /**
   * The name of the balancer that had nothing to pick.
   *
   * @return the {@link LoadBalancer#name() name} of the balancer whose pick failed
   */
  public String balancerName() {
    return balancerName;
  }

  /**
   * How many endpoints the balancer had, in any state, when the pick failed.
   *
   * @return the balancer's member count at the time of the pick; 0 if it had no endpoints at all
   */
  public int endpointCount() {
    return endpointCount;
  }
}
