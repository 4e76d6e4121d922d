package dev.lb;

import dev.lb.strategy.LiveEndpoint;
import java.util.ArrayList;
import java.util.List;

/** The balancer's own live endpoints, built without a balancer for strategy-level tests. */
final class States {
  private States() {}

  static final EndpointState.Observer IGNORE =
      new EndpointState.Observer() {
        @Override
        public void onFailureStreak(EndpointState state) {}

        @Override
        public void onDrained(EndpointState state) {}
      };

  /** Endpoints {@code e0 .. e(n-1)}, weight 1, sharing {@code clock}. */
  static List<EndpointState> of(int n, MetricsClock clock) {
    List<EndpointState> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(
          new EndpointState(
              Endpoint.builder("10.0.3." + i, 8080).id("e" + i).build(), clock, IGNORE));
    }
    return list;
  }

  static List<LiveEndpoint> live(List<EndpointState> states) {
    return List.copyOf(states);
  }

  static int index(List<EndpointState> states, LiveEndpoint chosen) {
    int i = states.indexOf(chosen);
    if (i < 0) {
      throw new AssertionError(chosen + " is not one of the picker's endpoints");
    }
    return i;
  }
}
