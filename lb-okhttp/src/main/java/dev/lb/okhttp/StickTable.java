package dev.lb.okhttp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lb.Ticker;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Remembers which endpoint served each affinity key, per balancer, so that a key's next call goes
 * back there (HAProxy's stick table). Backed by Caffeine: bounded in size (least recently and
 * frequently used entries go first, W-TinyLFU) and entries expire after a period without use.
 *
 * <p>Thread-safe: Caffeine's reads are lock-free. Shaped like lb-core's coming {@code
 * dev.lb.hash.StickTable} (look up, remember, forget) so it can implement that interface when it
 * lands.
 */
final class StickTable {
  private final Cache<Key, String> entries;

  StickTable(long maximumSize, long idleExpiryNanos, Ticker ticker) {
    this.entries =
        Caffeine.newBuilder()
            .maximumSize(maximumSize)
            .expireAfterAccess(idleExpiryNanos, TimeUnit.NANOSECONDS)
            .ticker(ticker::read)
            .executor(Runnable::run)
            .build();
  }

  @Nullable String endpointFor(String balancer, String key) {
    return entries.getIfPresent(new Key(balancer, key));
  }

  void remember(String balancer, String key, String endpointId) {
    Key k = new Key(balancer, key);
    if (!endpointId.equals(entries.getIfPresent(k))) {
      entries.put(k, endpointId);
    }
  }

  void forget(String balancer, String key) {
    entries.invalidate(new Key(balancer, key));
  }

  long size() {
    entries.cleanUp();
    return entries.estimatedSize();
  }

  private record Key(String balancer, String key) {}
}
