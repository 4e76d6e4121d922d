package dev.lb.limit;

import dev.lb.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A leaky bucket run as a queue (a traffic shaper): permits leave one every {@code interval}
 * nanoseconds, and a caller willing to wait reserves the next free departure slot.
 *
 * <p>Design note. The leaky bucket has two readings (Turner 1986; Tanenbaum, <i>Computer
 * Networks</i>, §5.3): as a <em>meter</em> it is the generic cell rate algorithm, which admits
 * exactly what a token bucket admits, so offering it beside {@link TokenBucket} would add a name
 * and nothing else. As a <em>queue</em> (nginx's {@code limit_req} with a burst) it shapes: output
 * leaves at a constant rate and idle time banks nothing, so there are never bursts. This class is
 * the queue. The queue is virtual: one long holds the next free slot, a caller reserves {@code
 * permits} slots with one compare-and-set and then sleeps until its own slot. A caller refuses to
 * queue behind more than {@code burst} permits or to wait beyond its timeout; {@link
 * #tryAcquire(int)} admits only when the head slot is free now. A reservation is kept even if the
 * waiting caller is interrupted: its slot passes unused.
 */
final class LeakyBucket extends AbstractRateLimiter {
  private final long interval;
  private final long maxQueueNanos;
  private final AtomicLong nextFree;

  LeakyBucket(int permits, long periodNanos, int queue, Ticker ticker, Sleeper sleeper) {
    super(queue, ticker, sleeper);
    this.interval = interval(permits, periodNanos);
    this.maxQueueNanos = Math.multiplyExact(interval, (long) queue);
    this.nextFree = new AtomicLong(ticker.read());
  }

  @Override
  long acquireOrWait(int permits, long now) {
    while (true) {
      long free = nextFree.get();
      if (free - now > 0) {
        return free - now;
      }
      if (nextFree.compareAndSet(free, now + permits * interval)) {
        return 0;
      }
    }
  }

  @Override
  public boolean tryAcquire(int permits, Duration timeout) throws InterruptedException {
    checkPermits(permits);
    long timeoutNanos = timeoutNanos(timeout);
    long now = ticker.read();
    long slot;
    while (true) {
      long free = nextFree.get();
      slot = free - now > 0 ? free : now;
      long wait = slot - now;
      if (wait > timeoutNanos || wait > maxQueueNanos) {
        recordRejection();
        return false;
      }
      if (nextFree.compareAndSet(free, slot + permits * interval)) {
        break;
      }
    }
    for (long wait = slot - ticker.read(); wait > 0; wait = slot - ticker.read()) {
      sleeper.sleep(wait);
    }
    return true;
  }

  @Override
  public RateLimiters.Algorithm algorithm() {
    return RateLimiters.Algorithm.LEAKY_BUCKET;
  }
}
