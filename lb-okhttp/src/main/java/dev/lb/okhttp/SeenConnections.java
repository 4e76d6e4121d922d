package dev.lb.okhttp;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Connection;

/**
 * The connections exchanges have run on, so that the network half can tell a reused pooled
 * connection from a new one. Keyed by the connection object itself (OkHttp's connections have
 * identity equality): the common case, a connection seen before, is one hash lookup that neither
 * allocates nor locks. (A weak-keyed Caffeine cache did the same at several times the cost: a
 * lookup key allocated and a read recorded per exchange.)
 *
 * <p>Forgetting. The map holds its connections strongly, so closed ones are swept out: whenever a
 * new connection would make the map twice as large as after the last sweep (and at least {@value
 * #MIN_SWEEP} entries), every connection whose socket is closed is removed. OkHttp closes the
 * socket of every connection it evicts from its pool or gives up on, so the map holds at most about
 * twice the open connections, and a closed connection stays referenced only until the next sweep.
 *
 * <p>Thread-safe and lock-free; a sweep runs on the thread of the exchange that triggered it.
 */
final class SeenConnections {
  static final int MIN_SWEEP = 64;

  private final ConcurrentHashMap<Connection, Boolean> seen = new ConcurrentHashMap<>();
  private final AtomicInteger sweepAt = new AtomicInteger(MIN_SWEEP);

  /**
   * Records {@code connection}; returns whether this is the first exchange seen on it.
   *
   * @param connection the exchange's connection
   * @return true the first time a connection is passed, false after
   */
  boolean firstUse(Connection connection) {
    if (seen.get(connection) != null) {
      return false;
    }
    if (seen.putIfAbsent(connection, Boolean.TRUE) != null) {
      return false;
    }
    int at = sweepAt.get();
    if (seen.size() >= at && sweepAt.compareAndSet(at, Integer.MAX_VALUE)) {
      sweep(); // one sweeper at a time: the others see MAX_VALUE until it is done
    }
    return true;
  }

  private void sweep() {
    for (Iterator<Connection> it = seen.keySet().iterator(); it.hasNext(); ) {
      if (it.next().socket().isClosed()) {
        it.remove();
      }
    }
    sweepAt.set(Math.max(MIN_SWEEP, 2 * seen.size()));
  }

  /** How many connections are remembered now. */
  int size() {
    return seen.size();
  }
}
