package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Lease;
import dev.lb.LoadBalancer;
import dev.lb.PickContext;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import dev.lb.testing.FakeTicker;
import dev.lb.testing.Fixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StickyStrategyTest {
  private final FakeTicker ticker = new FakeTicker();
  private final StickTable table = StickTable.bounded(1000, Duration.ofMinutes(30), ticker);

  /** Places every call on the endpoint at {@code attempt} mod n: first e0, then e1, ... */
  private static final Strategy IN_ORDER =
      new Strategy() {
        @Override
        public String name() {
          return "in_order";
        }

        @Override
        public Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context) {
          return new Picker() {
            @Override
            public LiveEndpoint pick(PickContext c) {
              return endpoints.get(0);
            }

            @Override
            public LiveEndpoint pick(PickContext c, int attempt) {
              return endpoints.get(attempt % endpoints.size());
            }
          };
        }
      };

  private Picker picker(Strategy strategy, List<LiveEndpoint> endpoints) {
    return strategy.newPicker(
        List.copyOf(endpoints), new StrategyContext(new SplittableRandom(1), ticker));
  }

  private static String id(LiveEndpoint e) {
    assertThat(e).isNotNull();
    return e.endpoint().id();
  }

  @Test
  void firstCallPlacedByPlacement_thenSticks_evenWhenPlacementWouldChooseElsewhere() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(4);
    Strategy sticky = HashStrategies.sticky(IN_ORDER, table);
    PickContext session = PickContext.ofKey("session-1");
    assertThat(id(picker(sticky, endpoints).pick(session))).isEqualTo("e0");
    // A picker whose placement now prefers e2 (membership reordered): the session stays on e0.
    List<LiveEndpoint> reordered = new ArrayList<>(endpoints);
    java.util.Collections.swap(reordered, 0, 2);
    Picker later = picker(sticky, reordered);
    assertThat(id(later.pick(session))).isEqualTo("e0");
    assertThat(id(later.pick(PickContext.ofKey("session-2")))).isEqualTo("e2");
    assertThat(table.get(XxHash64.hash("session-2", 0))).isEqualTo("e2");
  }

  @Test
  void endpointGone_sessionReSticksElsewhere_andStaysThere() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(3);
    Strategy sticky = HashStrategies.sticky(IN_ORDER, table);
    PickContext session = PickContext.ofKey(99L);
    assertThat(id(picker(sticky, endpoints).pick(session))).isEqualTo("e0");
    Picker withoutE0 = picker(sticky, endpoints.subList(1, 3));
    assertThat(id(withoutE0.pick(session))).isEqualTo("e1");
    // e0 comes back: the session stays where it re-stuck.
    assertThat(id(picker(sticky, endpoints).pick(session))).isEqualTo("e1");
  }

  @Test
  void alternativeAttempt_placesAgainAvoidingTheStuckEndpoint_andRemembers() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(3);
    Picker picker = picker(HashStrategies.sticky(IN_ORDER, table), endpoints);
    PickContext session = PickContext.ofKey(new byte[] {1, 2, 3});
    assertThat(id(picker.pick(session, 0))).isEqualTo("e0");
    // e0 cannot take the call: attempt 1 of the placement is e1.
    assertThat(id(picker.pick(session, 1))).isEqualTo("e1");
    assertThat(id(picker.pick(session, 0))).isEqualTo("e1");
    // e1 cannot either; the placement's attempt 1 is e1 again, so the next one, e2, is taken.
    assertThat(id(picker.pick(session, 1))).isEqualTo("e2");
    assertThat(id(picker.pick(session))).isEqualTo("e2");
  }

  @Test
  void idleSession_expires_andIsPlacedAgain() {
    List<LiveEndpoint> endpoints = FakeEndpoint.endpoints(3);
    Strategy sticky = HashStrategies.sticky(IN_ORDER, table);
    PickContext session = PickContext.ofKey("s");
    picker(sticky, endpoints).pick(session);
    List<LiveEndpoint> reordered = List.of(endpoints.get(2), endpoints.get(0), endpoints.get(1));
    ticker.advance(Duration.ofMinutes(29));
    assertThat(id(picker(sticky, reordered).pick(session))).isEqualTo("e0");
    ticker.advance(Duration.ofMinutes(31));
    assertThat(id(picker(sticky, reordered).pick(session))).isEqualTo("e2");
  }

  @Test
  void noKey_placedByPlacement_rememberedNowhere() {
    Picker picker = picker(HashStrategies.sticky(IN_ORDER, table), FakeEndpoint.endpoints(3));
    assertThat(id(picker.pick(PickContext.none(), 0))).isEqualTo("e0");
    assertThat(id(picker.pick(PickContext.none(), 2))).isEqualTo("e2");
  }

  @Test
  void balancer_endToEnd_leastConnectionsPlacesNewSessions_sessionsStick() {
    StickTable sessions = StickTable.bounded(1000, Duration.ofMinutes(30), ticker);
    LoadBalancer lb =
        Fixtures.balancer(HashStrategies.sticky(sessions), Fixtures.endpoints(3), 7, ticker);
    // Three new sessions, each held open: least connections spreads them one per endpoint.
    List<String> placed = new ArrayList<>();
    for (String s : List.of("a", "b", "c")) {
      placed.add(lb.pick(PickContext.ofKey(s)).endpoint().id());
    }
    assertThat(placed).containsExactlyInAnyOrder("e0", "e1", "e2");
    // Session "a" sticks to its endpoint although that one is now no less loaded than the others.
    for (int i = 0; i < 5; i++) {
      Lease lease = lb.pick(PickContext.ofKey("a"));
      assertThat(lease.endpoint().id()).isEqualTo(placed.get(0));
    }
    lb.removeEndpoint(placed.get(0));
    String moved = lb.pick(PickContext.ofKey("a")).endpoint().id();
    assertThat(moved).isNotEqualTo(placed.get(0));
    assertThat(lb.pick(PickContext.ofKey("a")).endpoint().id()).isEqualTo(moved);
    assertThat(lb.strategy().toString()).contains("sticky", "least_connections");
  }

  @Test
  void sticky_rejectsNulls() {
    assertThatThrownBy(() -> HashStrategies.sticky(null, table))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("placement must not be null");
    assertThatThrownBy(() -> HashStrategies.sticky(Strategies.random(), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("table must not be null");
    assertThat(HashStrategies.sticky(table).name()).isEqualTo("sticky");
  }
}
