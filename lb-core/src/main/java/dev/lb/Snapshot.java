package dev.lb;

import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * One immutable routing state: what a pick reads, through one volatile read of the balancer's
 * current snapshot. Built by {@link Routing} on the serialized path.
 */
final class Snapshot {
  /**
   * What keeps an endpoint out even in panic: draining and disabled (administrative), an open
   * breaker, and a transport's mark-down (it cannot carry calls at all).
   */
  static final int PANIC_MASK =
      EndpointState.ADMINISTRATIVE | EndpointState.BREAKER_OPEN | EndpointState.MARKED_DOWN;

  static final Picker EMPTY_PICKER = context -> null;

  static final Snapshot EMPTY =
      new Snapshot(List.of(), List.of(), EMPTY_PICKER, 0, ~0, false, 100, false);

  /**
   * What a closed balancer reads: its last endpoints, nothing to pick, and picks fail as closed.
   */
  static Snapshot closed(Snapshot last) {
    return new Snapshot(
        last.states,
        last.endpoints,
        List.of(),
        EMPTY_PICKER,
        0,
        ~0,
        false,
        last.healthyPercent,
        true);
  }

  private static List<Endpoint> configs(List<EndpointState> states) {
    List<Endpoint> config = new ArrayList<>(states.size());
    for (EndpointState s : states) {
      config.add(s.endpoint());
    }
    return config;
  }

  /** The endpoints routing considers: the members, or under subsetting those in the subset. */
  final List<EndpointState> states;

  /** Every member's configuration, in membership order, subset or not. */
  final List<Endpoint> endpoints;

  final EndpointState[] pool;
  final Picker picker;
  final int attempts;
  final int admitMask;
  final boolean panic;
  final int healthyPercent;
  final boolean closed;

  Snapshot(
      List<EndpointState> states,
      List<EndpointState> pool,
      Picker picker,
      int attempts,
      int admitMask,
      boolean panic,
      int healthyPercent,
      boolean closed) {
    this(states, configs(states), pool, picker, attempts, admitMask, panic, healthyPercent, closed);
  }

  /**
   * A snapshot whose routed {@code states} may be fewer than its {@code members}: under subsetting,
   * the members outside this client's subset.
   */
  Snapshot(
      List<EndpointState> states,
      List<Endpoint> members,
      List<EndpointState> pool,
      Picker picker,
      int attempts,
      int admitMask,
      boolean panic,
      int healthyPercent,
      boolean closed) {
    this.states = List.copyOf(states);
    this.endpoints = List.copyOf(members);
    this.pool = pool.toArray(new EndpointState[0]);
    this.picker = picker;
    this.attempts = Math.max(1, attempts);
    this.admitMask = admitMask;
    this.panic = panic;
    this.healthyPercent = healthyPercent;
    this.closed = closed;
  }

  /**
   * Asks the picker for its choice, then its alternatives, then scans the pool: the first endpoint
   * that is available, not excluded and under its concurrency limit is returned, and counted in
   * flight (admitted) if {@code admit} is set.
   */
  @Nullable EndpointState choose(
      PickContext context, int maxInFlight, RandomGenerator random, boolean admit) {
    for (int attempt = 0; attempt < attempts; attempt++) {
      LiveEndpoint chosen = picker.pick(context, attempt);
      if (chosen == null) {
        if (attempt == 0) {
          return null; // the strategy declines the call
        }
        break;
      }
      if (!(chosen instanceof EndpointState state)) {
        throw new IllegalStateException(
            "picker returned " + chosen + ", which is not one of the endpoints it was given");
      }
      if (admits(state, context) && takes(state, maxInFlight, admit)) {
        return state;
      }
    }
    int n = pool.length;
    if (n == 0) {
      return null;
    }
    int start = n == 1 ? 0 : random.nextInt(n); // the balancer's source: seeded runs replay
    for (int i = 0; i < n; i++) {
      EndpointState state = pool[(start + i) % n];
      if (admits(state, context) && takes(state, maxInFlight, admit)) {
        return state;
      }
    }
    return null;
  }

  private static boolean takes(EndpointState state, int maxInFlight, boolean admit) {
    return admit ? state.tryAdmit(maxInFlight) : state.inFlight() < state.capacity(maxInFlight);
  }

  boolean admits(EndpointState state, PickContext context) {
    // Exclusions are rare (retries): skip the endpoint's id read when the context has none.
    return (state.status() & admitMask) == 0
        && (!context.excludesAny() || !context.isExcluded(state.endpoint().id()));
  }
}
