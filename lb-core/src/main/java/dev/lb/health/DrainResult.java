package dev.lb.health;

/** How a drain ended; see {@link dev.lb.LoadBalancer#drain}. */
public enum DrainResult {
  /** Every call in flight finished. */
  DRAINED,
  /** The drain timeout passed with calls still in flight; the balancer stopped waiting for them. */
  TIMED_OUT,
  /** The endpoint was enabled or added back before it drained. */
  CANCELLED
}
