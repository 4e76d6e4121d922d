package dev.lb.strategy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A selection strategy: given the endpoints that may be picked, builds the {@link Picker} that
 * chooses among them. {@link Strategies} has the built-in ones; implement this interface for a
 * custom one.
 *
 * <p>{@link #newPicker} runs on the balancer's serialized update path, once per membership change,
 * never on a picking thread: do the expensive work (tables, rings, weight sums) there, so that
 * {@link Picker#pick} stays cheap. Implementations must be immutable and thread-safe.
 */
public interface Strategy {
  /**
   * A short stable name, such as {@code round_robin}; shown in stats and error messages.
   *
   * @return the strategy's name in lower case with {@code _} between words; the same on every call
   */
  String name();

  /**
   * Builds a picker over {@code endpoints}, which is non-empty, immutable, and ordered as the
   * balancer's membership.
   *
   * @param endpoints the endpoints the picker may choose from: non-empty, immutable, in membership
   *     order
   * @param context the balancer's random source and clock, for the picker to keep and use
   * @return a new picker that chooses only among {@code endpoints}; never null
   */
  Picker newPicker(List<LiveEndpoint> endpoints, StrategyContext context);

  /**
   * Builds a picker over {@code endpoints}, possibly reusing {@code previous} to do so
   * incrementally. {@code previous} is the last picker this strategy built for the same balancer
   * (never another strategy's, never another balancer's), or null; a strategy may reuse its tables
   * to build the new picker from the difference between the two memberships, for example adding and
   * removing only the ring points of the endpoints that joined or left. The result must be the same
   * as {@link #newPicker(List, StrategyContext) newPicker(endpoints, context)} would build. The
   * default ignores {@code previous}.
   *
   * @param endpoints the endpoints the picker may choose from: non-empty, immutable, in membership
   *     order
   * @param context the balancer's random source and clock, for the picker to keep and use
   * @param previous the last picker this strategy built for the same balancer, or null
   * @return a new picker that chooses only among {@code endpoints}, equivalent to a fresh build;
   *     never null
   */
  default Picker newPicker(
      List<LiveEndpoint> endpoints, StrategyContext context, @Nullable Picker previous) {
    return newPicker(endpoints, context);
  }

  /**
   * Returns true if this strategy's pickers are built over every member, available or not, and
   * rebuilt only when membership or weights change. Hash-based strategies answer true: their tables
   * stay put while endpoints are ejected and restored, and the balancer skips an unavailable
   * endpoint by asking {@link Picker#pick(dev.lb.PickContext, int)} for the next alternative in the
   * strategy's own order, so only the keys of that endpoint move.
   *
   * <p>Other strategies answer false (the default): their pickers are built over the endpoints that
   * may take calls now, and rebuilt whenever that set changes.
   *
   * @return true to be built over all members; false by default
   */
  default boolean stableMembership() {
    return false;
  }

  /**
   * Returns true if this strategy ranks endpoints by {@link LiveEndpoint#peakEwmaNanos}. Tracking
   * it costs a clock read on every reported outcome, so balancers do so only when asked.
   *
   * @return true if the balancer must track peak EWMA latency for this strategy; false by default
   */
  default boolean usesPeakEwma() {
    return false;
  }

  /**
   * Returns true if this strategy ranks endpoints by {@link LiveEndpoint#responseTimeKey()} and
   * needs it to decay with time. Time-stamping latency samples costs a clock read on every reported
   * outcome with a latency, so balancers do so only when asked; without it the key does not decay.
   *
   * @return true if the balancer must time-stamp latency samples for this strategy; false by
   *     default
   */
  default boolean usesResponseTime() {
    return false;
  }

  /**
   * Returns true if this strategy ranks endpoints by {@link LiveEndpoint#throughputBytesPerSecond}.
   * Tracking it costs a clock read and two transcendental functions on every outcome that reports
   * bytes, so balancers do so only when asked.
   *
   * @return true if the balancer must track response throughput for this strategy; false by default
   */
  default boolean usesThroughput() {
    return false;
  }

  /**
   * Returns true if this strategy ranks endpoints by the load their backends report ({@link
   * LiveEndpoint#loadReport()}). Transports read reports whenever a response carries one; those for
   * which reading costs something on every call (lb-grpc's ORCA trailer parsing) do so only when
   * the balancer's strategy asks.
   *
   * @return true if transports should hand backends' load reports to the balancer; false by default
   */
  default boolean usesLoadReports() {
    return false;
  }

  /**
   * How often the balancer asks this strategy's current picker to {@linkplain Picker#refresh
   * refresh} what it derives from its endpoints' live state, in nanoseconds; 0 (the default) for
   * never. A strategy whose weights follow the endpoints' load reports answers its weight update
   * period. The balancer runs the refresh on its scheduler, serialized with its membership changes,
   * never on a picking thread.
   *
   * @return the refresh period in nanoseconds, or 0 if pickers never refresh
   */
  default long refreshPeriodNanos() {
    return 0L;
  }

  /**
   * Returns the strategy one balancer should use, with whatever state it owns for that balancer
   * (timers, probes, pools that outlive a picker). A balancer calls it once, when it is built, with
   * its own context, builds every picker with the returned strategy and {@linkplain #close()
   * closes} that strategy when it closes. The default returns {@code this}: a strategy whose only
   * state lives in its pickers needs nothing more. A strategy that answers a new instance must give
   * it the same {@link #name()} and the same answers to the {@code uses...} questions, and must not
   * start anything that can outlive its {@link #close()}.
   *
   * <p>The balancer's timers for the strategy stay the balancer's: a bound strategy that needs to
   * run periodically answers {@link #refreshPeriodNanos()} and does its work in {@link
   * Picker#refresh}, which the balancer calls on its scheduler, serialized with membership changes,
   * and stops calling when it closes.
   *
   * @param context the binding balancer's random source and clock
   * @return the strategy for that balancer: {@code this} by default, or a new instance owned by it
   */
  default Strategy bind(StrategyContext context) {
    return this;
  }

  /**
   * Releases what a {@linkplain #bind bound} strategy owns for its balancer: called once by the
   * balancer's {@link dev.lb.LoadBalancer#close()}, on its serialized path, after its timers
   * stopped. Must not block and must not throw; afterwards nothing the strategy started (a probe, a
   * task) may still run or report. The default does nothing.
   */
  default void close() {}
}
