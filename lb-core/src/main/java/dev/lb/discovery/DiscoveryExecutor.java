package dev.lb.discovery;

import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default executor for lookups that may block (DNS queries, file reads): daemon threads named
 * {@code lb-discovery-N}, created on demand and retired after a minute idle, so a process with a
 * few sources holds a few threads only while they look up.
 */
final class DiscoveryExecutor {
  private DiscoveryExecutor() {}

  static Executor shared() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    private static final AtomicInteger COUNT = new AtomicInteger();
    static final Executor INSTANCE =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "lb-discovery-" + COUNT.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }
}
