package dev.lb.okhttp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lb.Ticker;
import dev.lb.hash.StickTable;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * lb-core's {@link StickTable} over a Caffeine cache: at most {@code maximumSize} sessions, evicted
 * by W-TinyLFU (rarely and not recently used sessions first), each forgotten {@code idleExpiry}
 * after its last use ({@code expireAfterAccess}). Caffeine reads time through an adapter from the
 * balancer's {@link Ticker}, so a fake ticker drives expiry in tests.
 *
 * <p>Caffeine's maintenance (eviction, expiry) runs on the calling thread ({@code
 * executor(Runnable::run)}) under a try-lock that never blocks: sizes stay bounded promptly and no
 * work leaks to the common pool. Thread-safe; a lookup is lock-free and allocates one boxed {@code
 * Long} key.
 */
final class CaffeineStickTable implements StickTable {
  private final Cache<Long, String> sessions;
  private final long maximumSize;
  private final long idleNanos;

  CaffeineStickTable(long maximumSize, long idleNanos, Ticker ticker) {
    this.maximumSize = maximumSize;
    this.idleNanos = idleNanos;
    this.sessions =
        Caffeine.newBuilder()
            .maximumSize(maximumSize)
            .expireAfterAccess(Duration.ofNanos(idleNanos))
            .ticker(ticker::read)
            .executor(Runnable::run)
            .build();
  }

  @Override
  public @Nullable String get(long session) {
    return sessions.getIfPresent(session);
  }

  @Override
  public void put(long session, String endpointId) {
    sessions.put(session, endpointId);
  }

  @Override
  public void remove(long session) {
    sessions.invalidate(session);
  }

  /** The sessions held after pending maintenance; for tests. */
  long size() {
    sessions.cleanUp();
    return sessions.estimatedSize();
  }

  @Override
  public String toString() {
    return "CaffeineStickTable{maximumSize=" + maximumSize + ", idleExpiry=" + idleNanos + "ns}";
  }
}
