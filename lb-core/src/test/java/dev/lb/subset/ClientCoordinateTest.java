package dev.lb.subset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClientCoordinateTest {
  @Test
  void indexAtOrAboveCount_isRejectedQuotingBoth() {
    assertThatThrownBy(() -> ClientCoordinate.of(5, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clientIndex must be in 0..4 (clientCount 5) but was 5");
    assertThatThrownBy(() -> ClientCoordinate.of(-1, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("clientIndex");
    assertThatThrownBy(() -> ClientCoordinate.of(0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clientCount must be at least 1 but was 0");
  }

  @Test
  void offset_isTheMiddleOfTheClientsSlice() {
    assertThat(ClientCoordinate.of(0, 4).offset()).isEqualTo(0.125);
    assertThat(ClientCoordinate.of(3, 4).offset()).isEqualTo(0.875);
    assertThat(ClientCoordinate.of(2, 4))
        .isEqualTo(ClientCoordinate.of(2, 4))
        .hasToString("client 2 of 4");
  }

  @Test
  void fromPeers_ranksTheDistinctIds() {
    ClientCoordinate c =
        ClientCoordinate.fromPeers("pod-c", List.of("pod-d", "pod-a", "pod-c", "pod-a"));
    assertThat(c).isEqualTo(ClientCoordinate.of(1, 3));
    assertThatThrownBy(() -> ClientCoordinate.fromPeers("pod-x", List.of("pod-a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'pod-x'");
  }
}
