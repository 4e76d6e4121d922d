package dev.lb;

/**
 * A source of monotonic time in nanoseconds. Every time-based behaviour of a {@link LoadBalancer}
 * reads time from its ticker, never from the wall clock, so that tests and simulators can advance a
 * fake ticker instead of sleeping.
 *
 * <p>Only differences between two readings are meaningful; the origin is arbitrary. Implementations
 * must be thread-safe, fast and non-blocking, as picking threads may read them.
 */
@FunctionalInterface
public interface Ticker {
  /**
   * Returns the number of nanoseconds elapsed since this ticker's fixed but arbitrary origin.
   *
   * @return the current reading in nanoseconds; never less than an earlier reading of this ticker
   */
  long read();

  /**
   * Returns a ticker that reads {@link System#nanoTime()}.
   *
   * @return the shared system ticker, a stateless singleton
   */
  static Ticker systemTicker() {
    return SystemTicker.INSTANCE;
  }
}

enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long read() {
    return System.nanoTime();
  }
}
