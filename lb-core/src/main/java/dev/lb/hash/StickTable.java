package dev.lb.hash;

import static dev.lb.internal.Checks.checkNotNull;

import dev.lb.Ticker;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Remembers which endpoint each session sticks to, for {@link HashStrategies#sticky(
 * dev.lb.strategy.Strategy, StickTable) sticky sessions}: a bounded map from session to endpoint id
 * whose entries expire after a time without use, like HAProxy's stick tables.
 *
 * <p>Sessions are identified by the 64-bit {@link XxHash64} of their key (a session id, a user id,
 * a cookie), so the table holds no caller objects and keys of every kind are handled alike; two
 * sessions share an entry only if their keys' hashes collide, about once in 2^64 pairs.
 *
 * <p>{@link #bounded} is the JDK-only implementation; an adapter may back the interface with a
 * cache library (a Caffeine {@code Cache<Long, String>} with {@code maximumSize} and {@code
 * expireAfterAccess} fits it exactly).
 *
 * <p>Implementations must be thread-safe: picking threads call {@link #get} on every call that
 * carries a key, so it should be lock-free and not allocate; {@link #put} runs when a session is
 * placed or moved. Methods must not block and must not throw.
 */
public interface StickTable {
  /**
   * Returns the endpoint id the session sticks to, or null if it is unknown or expired, and counts
   * as a use that restarts the session's idle timeout.
   *
   * @param session the 64-bit hash of the session's key
   * @return the {@link dev.lb.Endpoint#id() id} last put for the session, or null if none is
   *     remembered
   */
  @Nullable String get(long session);

  /**
   * Makes the session stick to an endpoint, replacing what was remembered; may evict other sessions
   * to stay within the table's size.
   *
   * @param session the 64-bit hash of the session's key
   * @param endpointId the {@link dev.lb.Endpoint#id() id} of the endpoint the session now sticks to
   */
  void put(long session, String endpointId);

  /**
   * Forgets the session, for example when it ends.
   *
   * @param session the 64-bit hash of the session's key
   */
  void remove(long session);

  /**
   * Returns a JDK-only table of at most {@code maximumSize} sessions that forgets a session once it
   * has not been used for {@code idleTimeout}, as measured by {@code ticker}.
   *
   * <p>The table is set-associative, like a CPU cache: a session lives in one of the 8 slots that
   * follow its hash's home slot, and when all 8 hold live sessions, the least recently used of them
   * makes room. A session can thus be evicted before the table is full, when its neighbourhood is;
   * size the table a few times above the expected number of live sessions. An evicted or expired
   * session is simply placed again. Lookups are lock-free and allocation-free; a put allocates one
   * small entry.
   *
   * @param maximumSize the most sessions held, 1 or more
   * @param idleTimeout how long a session is kept without use; positive
   * @param ticker the clock for idle time, usually the balancer's {@link
   *     dev.lb.LoadBalancer#ticker() ticker}; must not be null
   * @return a new, empty table
   * @throws NullPointerException if {@code idleTimeout} or {@code ticker} is null
   * @throws IllegalArgumentException if {@code maximumSize} is not positive, or {@code idleTimeout}
   *     is not positive
   */
  static StickTable bounded(int maximumSize, Duration idleTimeout, Ticker ticker) {
    if (maximumSize < 1) {
      throw new IllegalArgumentException("maximumSize must be positive but was " + maximumSize);
    }
    checkNotNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive but was " + idleTimeout);
    }
    checkNotNull(ticker, "ticker");
    return new BoundedStickTable(maximumSize, saturatedNanos(idleTimeout), ticker);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
