package dev.lb.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StickTableTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void getAfterPut_returnsEndpoint_untilIdleTimeout() {
    StickTable table = StickTable.bounded(100, Duration.ofMinutes(10), ticker);
    assertThat(table.get(42)).isNull();
    table.put(42, "e1");
    assertThat(table.get(42)).isEqualTo("e1");
    ticker.advance(Duration.ofMinutes(10));
    assertThat(table.get(42)).isEqualTo("e1"); // exactly the timeout: still kept
    ticker.advance(Duration.ofMinutes(10).plusNanos(1));
    assertThat(table.get(42)).isNull();
    assertThat(table.get(42)).isNull();
  }

  @Test
  void get_restartsTheIdleTimeout() {
    StickTable table = StickTable.bounded(100, Duration.ofMinutes(10), ticker);
    table.put(7, "e3");
    for (int i = 0; i < 10; i++) {
      ticker.advance(Duration.ofMinutes(9));
      assertThat(table.get(7)).as("after %s x 9 minutes", i + 1).isEqualTo("e3");
    }
    ticker.advance(Duration.ofMinutes(11));
    assertThat(table.get(7)).isNull();
  }

  @Test
  void put_replaces_andRemoveForgets() {
    StickTable table = StickTable.bounded(100, Duration.ofMinutes(10), ticker);
    table.put(7, "e3");
    table.put(7, "e4");
    assertThat(table.get(7)).isEqualTo("e4");
    table.remove(7);
    assertThat(table.get(7)).isNull();
    table.remove(8); // absent: nothing happens
  }

  @Test
  void put_property_neverHoldsMoreThanMaximumSize() {
    SplittableRandom random = new SplittableRandom(11);
    for (int maximumSize : new int[] {1, 5, 8, 64, 1000}) {
      StickTable table = StickTable.bounded(maximumSize, Duration.ofHours(1), ticker);
      long[] sessions = new long[maximumSize * 5];
      for (int i = 0; i < sessions.length; i++) {
        sessions[i] = random.nextLong();
        table.put(sessions[i], "e" + i);
        ticker.advanceMillis(1);
      }
      int held = 0;
      for (int i = 0; i < sessions.length; i++) {
        String id = table.get(sessions[i]);
        if (id != null) {
          assertThat(id).isEqualTo("e" + i);
          held++;
        }
      }
      assertThat(held).as("maximumSize %s", maximumSize).isBetween(1, maximumSize);
    }
  }

  @Test
  void put_fullNeighbourhood_evictsLeastRecentlyUsed() {
    // Uses are recorded to within 1/64 of the timeout (here 156 ms); the steps are coarser.
    StickTable table = StickTable.bounded(8, Duration.ofSeconds(10), ticker);
    for (long s = 1; s <= 8; s++) {
      table.put(s << 40, "e" + s);
      ticker.advanceMillis(100);
    }
    table.get(1L << 40); // session 1 is now the most recently used; session 2 the least
    ticker.advanceMillis(100);
    table.put(9L << 40, "e9");
    assertThat(table.get(2L << 40)).isNull();
    assertThat(table.get(1L << 40)).isEqualTo("e1");
    assertThat(table.get(9L << 40)).isEqualTo("e9");
  }

  @Test
  void put_expiredEntriesMakeRoomFirst() {
    StickTable table = StickTable.bounded(8, Duration.ofSeconds(10), ticker);
    for (long s = 1; s <= 7; s++) {
      table.put(s << 40, "e" + s);
    }
    ticker.advance(Duration.ofSeconds(20));
    table.put(8L << 40, "e8");
    table.put(9L << 40, "e9"); // takes an expired slot, not the live session 8
    assertThat(table.get(8L << 40)).isEqualTo("e8");
    assertThat(table.get(9L << 40)).isEqualTo("e9");
  }

  @Test
  void sparseTable_keepsEverySession() {
    StickTable table = StickTable.bounded(8192, Duration.ofHours(1), ticker);
    SplittableRandom random = new SplittableRandom(3);
    long[] sessions = new long[1000];
    for (int i = 0; i < sessions.length; i++) {
      sessions[i] = XxHash64.hash(random.nextLong(), 0);
      table.put(sessions[i], "e" + i);
    }
    for (int i = 0; i < sessions.length; i++) {
      assertThat(table.get(sessions[i])).isEqualTo("e" + i);
    }
  }

  @Test
  void concurrentPutsAndGets_stayConsistent() throws Exception {
    StickTable table = StickTable.bounded(256, Duration.ofHours(1), ticker);
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                  SplittableRandom random = new SplittableRandom(id);
                  for (int i = 0; i < 50_000; i++) {
                    long session = random.nextInt(1000);
                    // Every thread maps a session to the same id, so any hit must be that id.
                    if (random.nextBoolean()) {
                      table.put(session, "e" + session);
                    } else {
                      String got = table.get(session);
                      if (got != null && !got.equals("e" + session)) {
                        throw new AssertionError(session + " -> " + got);
                      }
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      worker.start();
      workers.add(worker);
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    assertThat(failure.get()).isNull();
  }

  @Test
  void bounded_rejectsBadOptions() {
    assertThatThrownBy(() -> StickTable.bounded(0, Duration.ofMinutes(1), ticker))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximumSize must be positive but was 0");
    assertThatThrownBy(() -> StickTable.bounded(10, Duration.ZERO, ticker))
        .hasMessage("idleTimeout must be positive but was PT0S");
    assertThatThrownBy(() -> StickTable.bounded(10, null, ticker))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("idleTimeout must not be null");
    assertThatThrownBy(() -> StickTable.bounded(10, Duration.ofMinutes(1), null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("ticker must not be null");
    assertThat(StickTable.bounded(10, Duration.ofSeconds(Long.MAX_VALUE / 2), ticker)).isNotNull();
  }
}
