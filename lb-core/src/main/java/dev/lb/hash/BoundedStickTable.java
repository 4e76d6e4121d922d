package dev.lb.hash;

import dev.lb.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The JDK-only {@link StickTable}: a fixed array of slots, each holding an immutable entry
 * (session, endpoint id) and its last-use time. A session's home slot comes from its hash; it may
 * live in any of the {@value #WAYS} slots from there on (wrapping around), so a lookup reads at
 * most that many slots, lock-free.
 *
 * <p>A put replaces the session's entry if it is in its neighbourhood, else takes an empty or
 * expired slot there, else evicts the neighbourhood's least recently used entry: an LRU per
 * neighbourhood, which approximates a global LRU without a shared list to lock. Slots change by
 * compare-and-set; a put that loses a race retries. Two puts racing for the same new session may
 * both insert it; lookups then find the first, and the other ages out. Last-use times are written
 * with plain (opaque) stores and only when they moved by more than 1/64 of the timeout, so frequent
 * lookups of one session do not keep writing its cache line.
 */
final class BoundedStickTable implements StickTable {
  static final int WAYS = 8;

  private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Entry[].class);

  private final @Nullable Entry[] slots;
  private final int ways;
  private final long idleNanos;
  private final long touchGranularity;
  private final Ticker ticker;

  BoundedStickTable(int maximumSize, long idleNanos, Ticker ticker) {
    this.slots = new Entry[maximumSize];
    this.ways = Math.min(WAYS, maximumSize);
    this.idleNanos = idleNanos;
    this.touchGranularity = idleNanos / 64;
    this.ticker = ticker;
  }

  @Override
  public @Nullable String get(long session) {
    long now = ticker.read();
    int home = home(session);
    for (int w = 0; w < ways; w++) {
      int i = slot(home, w);
      Entry e = entryAt(i);
      if (e != null && e.session == session) {
        if (expired(e, now)) {
          SLOTS.compareAndSet(slots, i, e, null);
          return null;
        }
        e.touch(now, touchGranularity);
        return e.endpointId;
      }
    }
    return null;
  }

  @Override
  public void put(long session, String endpointId) {
    long now = ticker.read();
    Entry fresh = new Entry(session, endpointId, now);
    int home = home(session);
    while (true) {
      // The session's own slot, else the first empty or expired one, else the least recently used.
      int own = -1;
      int free = -1;
      int oldest = -1;
      @Nullable Entry ownEntry = null;
      @Nullable Entry freeEntry = null;
      @Nullable Entry oldestEntry = null;
      for (int w = 0; w < ways && own < 0; w++) {
        int i = slot(home, w);
        Entry e = entryAt(i);
        if (e != null && e.session == session) {
          own = i;
          ownEntry = e;
        } else if (e == null || expired(e, now)) {
          if (free < 0) {
            free = i;
            freeEntry = e;
          }
        } else if (oldestEntry == null || e.lastUse() - oldestEntry.lastUse() < 0) {
          oldest = i;
          oldestEntry = e;
        }
      }
      boolean stored =
          own >= 0
              ? SLOTS.compareAndSet(slots, own, ownEntry, fresh)
              : free >= 0
                  ? SLOTS.compareAndSet(slots, free, freeEntry, fresh)
                  : SLOTS.compareAndSet(slots, oldest, oldestEntry, fresh);
      if (stored) {
        return;
      }
    }
  }

  @Override
  public void remove(long session) {
    int home = home(session);
    for (int w = 0; w < ways; w++) {
      int i = slot(home, w);
      Entry e = entryAt(i);
      if (e != null && e.session == session) {
        SLOTS.compareAndSet(slots, i, e, null);
      }
    }
  }

  private @Nullable Entry entryAt(int i) {
    return (Entry) SLOTS.getAcquire(slots, i);
  }

  private boolean expired(Entry e, long now) {
    return now - e.lastUse() > idleNanos;
  }

  /** The session's home slot: its hash's top 32 bits scaled to the table (multiply-shift). */
  private int home(long session) {
    return (int) (((session >>> 32) * slots.length) >>> 32);
  }

  private int slot(int home, int way) {
    int i = home + way;
    return i >= slots.length ? i - slots.length : i;
  }

  @Override
  public String toString() {
    return "BoundedStickTable{maximumSize=" + slots.length + ", idleNanos=" + idleNanos + "}";
  }

  /** One session: immutable but for its last-use time. */
  private static final class Entry {
    private static final VarHandle LAST_USE;

    static {
      try {
        LAST_USE = MethodHandles.lookup().findVarHandle(Entry.class, "lastUse", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final long session;
    final String endpointId;

    @SuppressWarnings("unused") // read and written through LAST_USE
    private long lastUse;

    Entry(long session, String endpointId, long now) {
      this.session = session;
      this.endpointId = endpointId;
      this.lastUse = now;
    }

    long lastUse() {
      return (long) LAST_USE.getOpaque(this);
    }

    void touch(long now, long granularity) {
      if (now - lastUse() > granularity) {
        LAST_USE.setOpaque(this, now);
      }
    }
  }
}
