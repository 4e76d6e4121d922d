package dev.lb.benchmarks.peers;

/**
 * One consistent-hashing balancer under test, lb's or a peer's: looks up the endpoint that owns a
 * request key. Keys come precomputed from {@link dev.lb.benchmarks.Backends}; each adapter takes
 * the form its library accepts (a 64-bit hash or a string), so the cost of hashing a string is
 * included only where the library insists on doing it.
 *
 * <p>Implementations are thread-safe.
 */
@FunctionalInterface
public interface KeyedTarget {
  /**
   * Looks up the owner of the {@code keyIndex}-th precomputed key.
   *
   * @param keyIndex index into the precomputed key tables, 0 to the key count it was built with,
   *     minus one
   * @return the owning endpoint in the library's own type
   */
  Object lookup(int keyIndex);
}
