package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Connection;
import okhttp3.Handshake;
import okhttp3.Protocol;
import okhttp3.Route;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The network half's memory of connections: reuse is told apart, closed connections forgotten. */
class SeenConnectionsTest {
  /** A connection with a socket of its own, open until closed. */
  private static final class FakeConnection implements Connection {
    final Socket socket = new Socket();

    @Override
    public Route route() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket socket() {
      return socket;
    }

    @Override
    public @Nullable Handshake handshake() {
      return null;
    }

    @Override
    public Protocol protocol() {
      return Protocol.HTTP_1_1;
    }
  }

  @Test
  void firstExchangeOnAConnection_isNew_everyLaterOneReused() {
    SeenConnections seen = new SeenConnections();
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    assertThat(seen.firstUse(a)).isTrue();
    assertThat(seen.firstUse(a)).isFalse();
    assertThat(seen.firstUse(b)).isTrue();
    assertThat(seen.firstUse(a)).isFalse();
  }

  @Test
  void thousandsOfConnectionsOpenedAndClosed_theMapHoldsAboutTwiceTheOpenOnes() throws IOException {
    SeenConnections seen = new SeenConnections();
    List<FakeConnection> open = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      FakeConnection c = new FakeConnection();
      assertThat(seen.firstUse(c)).isTrue();
      open.add(c);
      if (open.size() > 10) {
        open.remove(0).socket.close(); // the pool evicted it
      }
      assertThat(seen.size()).isLessThanOrEqualTo(2 * SeenConnections.MIN_SWEEP);
    }
    for (FakeConnection c : open) {
      assertThat(seen.firstUse(c)).isFalse(); // open ones are never forgotten
    }
  }

  @Test
  void manyOpenConnections_areAllRemembered_theSweepOnlyDropsClosedOnes() {
    SeenConnections seen = new SeenConnections();
    List<FakeConnection> open = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      FakeConnection c = new FakeConnection();
      seen.firstUse(c);
      open.add(c);
    }
    assertThat(seen.size()).isEqualTo(1_000);
    assertThat(open).allSatisfy(c -> assertThat(seen.firstUse(c)).isFalse());
  }
}
