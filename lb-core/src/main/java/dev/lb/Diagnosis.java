package dev.lb;

import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.HealthStatus;
import dev.lb.limit.ConcurrencyLimit;
import dev.lb.limit.ConcurrencyLimits;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Explains why a pick found no endpoint: the {@link NoEndpointAvailableException} with its reason
 * and a message that says how many endpoints exist and in which states. The reason comes from what
 * refused the call: the snapshot's pool (none available, all excluded, the strategy declined) or,
 * for each endpoint of the pool, the state that refused it now (its concurrency limit, its rate
 * limiter, a half-open breaker out of probes, or a status that changed after the snapshot).
 */
final class Diagnosis {
  private Diagnosis() {}

  static NoEndpointAvailableException noEndpoint(
      String name,
      String strategy,
      Snapshot s,
      PickContext context,
      int maxInFlight,
      int panicThreshold) {
    int count = s.states.size();
    if (count == 0) {
      return new NoEndpointAvailableException(
          "no endpoint available in balancer '" + name + "': it has 0 endpoints",
          name,
          0,
          NoEndpointAvailableException.Reason.NO_ENDPOINTS);
    }
    NoEndpointAvailableException.Reason reason;
    String why;
    int excluded = 0;
    int unavailable = 0;
    int full = 0;
    int limited = 0;
    int probing = 0;
    int lowestFull = Integer.MAX_VALUE;
    int highestFull = 0;
    boolean adaptive = false;
    for (EndpointState e : s.pool) {
      if (context.isExcluded(e.endpoint().id())) {
        excluded++;
        continue;
      }
      CircuitBreaker b = e.breaker();
      if ((e.status() & s.admitMask) != 0 || (b != null && !b.state().admitsCalls())) {
        unavailable++;
      } else if (e.inFlight() >= e.capacity(maxInFlight)) {
        full++;
        int capacity = e.capacity(maxInFlight);
        lowestFull = Math.min(lowestFull, capacity);
        highestFull = Math.max(highestFull, capacity);
        ConcurrencyLimit l = e.concurrencyLimit();
        adaptive |= l != null && l.algorithm() != ConcurrencyLimits.Algorithm.FIXED;
      } else if (b != null && b.state() == CircuitBreaker.State.HALF_OPEN) {
        probing++;
      } else if (e.limiter() != null) {
        limited++;
      } else {
        unavailable++; // refused a moment ago, free now: its state moved while the call was placed
      }
    }
    if (s.pool.length == 0) {
      reason = NoEndpointAvailableException.Reason.NONE_AVAILABLE;
      why =
          panicThreshold == 0
              ? "none is available and panic mode is off"
              : "none is available, even in panic mode";
    } else if (excluded == s.pool.length) {
      reason = NoEndpointAvailableException.Reason.ALL_EXCLUDED;
      why = "all " + excluded + " available endpoints are excluded by the call";
    } else if (s.picker.pick(context, 0) == null) {
      reason = NoEndpointAvailableException.Reason.DECLINED;
      why = "strategy " + strategy + " chose none of the " + s.pool.length + " available";
    } else if (full + limited > 0) {
      reason = NoEndpointAvailableException.Reason.AT_CAPACITY;
      why =
          "every available endpoint refused the call: "
              + (full > 0
                  ? full
                      + " at "
                      + (adaptive ? "their adaptive " : "the ")
                      + "concurrency limit of "
                      + (lowestFull == highestFull
                          ? String.valueOf(lowestFull)
                          : lowestFull + " to " + highestFull)
                      + " calls in flight"
                  : "")
              + (full > 0 && limited > 0 ? ", " : "")
              + (limited > 0 ? limited + " over their rate limit" : "");
    } else if (probing > 0) {
      reason = NoEndpointAvailableException.Reason.AWAITING_PROBES;
      why =
          "every available endpoint refused the call, and the half-open circuit breakers among"
              + " them have all their probes in flight";
    } else {
      reason = NoEndpointAvailableException.Reason.NONE_AVAILABLE;
      why =
          unavailable
              + " of the "
              + s.pool.length
              + " available endpoints went out of rotation while the call was placed";
    }
    return new NoEndpointAvailableException(
        "no endpoint available in balancer '"
            + name
            + "': "
            + count
            + (s.endpoints.size() > count
                ? " endpoints in this client's subset of " + s.endpoints.size() + " ("
                : " endpoints (")
            + states(s)
            + "); "
            + why,
        name,
        count,
        reason);
  }

  /** The balancer-wide cap refused the call before any endpoint was asked. */
  static NoEndpointAvailableException atBalancerLimit(
      String name, Snapshot s, ConcurrencyLimit limit, int inFlight) {
    int count = s.states.size();
    return new NoEndpointAvailableException(
        "no endpoint available in balancer '"
            + name
            + "': "
            + count
            + " endpoints; the balancer-wide "
            + (limit.algorithm() == ConcurrencyLimits.Algorithm.FIXED ? "" : "adaptive ")
            + "concurrency limit of "
            + limit.limit()
            + " calls in flight is reached ("
            + inFlight
            + " in flight)",
        name,
        count,
        NoEndpointAvailableException.Reason.AT_CAPACITY);
  }

  /** The balancer's traffic policy dropped the call before any endpoint was asked. */
  static NoEndpointAvailableException dropped(String name, Snapshot s, TrafficPolicy.Drop drop) {
    int count = s.states.size();
    return new NoEndpointAvailableException(
        "balancer '"
            + name
            + "' dropped the call: drop category '"
            + drop.category()
            + "' sheds "
            + drop.fraction() * 100
            + "% of calls ("
            + count
            + " endpoints)",
        name,
        count,
        NoEndpointAvailableException.Reason.DROPPED,
        drop.category());
  }

  private static String states(Snapshot s) {
    Map<HealthStatus, Integer> byHealth = new EnumMap<>(HealthStatus.class);
    for (EndpointState e : s.states) {
      byHealth.merge(Member.healthOf(e.status()), 1, Integer::sum);
    }
    StringBuilder states = new StringBuilder();
    byHealth.forEach(
        (h, n) -> {
          states.append(states.length() == 0 ? "" : ", ").append(n).append(' ');
          states.append(h.name().toLowerCase(Locale.ROOT));
        });
    return states.toString();
  }
}
