package dev.lb.benchmarks;

import dev.lb.Endpoint;
import dev.lb.strategy.LiveEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The inputs every benchmark shares, so that lb and each peer see the same backends and keys:
 * {@code n} endpoints on {@code 10.x.y.z:8080} with weights 1 to 5 ({@code 1 + i % 5}), and a fixed
 * table of request keys drawn from a seeded generator.
 *
 * <p>Immutable and thread-safe.
 */
public final class Backends {
  /**
   * Number of precomputed keys by default; a power of two, so that a call index is masked into the
   * table. Small enough that a ring's touched entries stay in the CPU caches: see {@link
   * #LARGE_KEY_COUNT} for a stream that does not.
   */
  public static final int KEY_COUNT = 1 << 12;

  /**
   * A key stream larger than the caches (2^20 keys: their contexts alone take tens of MiB, beyond
   * any L2), so that a lookup pays for the ring or table entries it touches, as under real traffic
   * with many distinct keys.
   */
  public static final int LARGE_KEY_COUNT = 1 << 20;

  private Backends() {}

  /**
   * Returns {@code n} endpoints with ids {@code 10.a.b.c:8080} and weights {@code 1 + i % 5}.
   *
   * @param n how many endpoints, at least 1
   * @return an immutable list of {@code n} distinct endpoints in a fixed order
   */
  public static List<Endpoint> endpoints(int n) {
    return endpoints(n, false);
  }

  /**
   * Returns {@code n} endpoints with ids {@code 10.a.b.c:8080}, all of weight 1 or with weights
   * {@code 1 + i % 5}.
   *
   * @param n how many endpoints, at least 1
   * @param equalWeights true for weight 1 everywhere, false for {@link #weight(int)}
   * @return an immutable list of {@code n} distinct endpoints in a fixed order
   */
  public static List<Endpoint> endpoints(int n, boolean equalWeights) {
    List<Endpoint> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.builder(host(i), 8080).weight(weight(i, equalWeights)).build());
    }
    return List.copyOf(list);
  }

  /**
   * The host of the {@code i}-th endpoint.
   *
   * @param i the endpoint's index, 0 or more
   * @return a dotted IPv4 address in 10.0.0.0/8
   */
  public static String host(int i) {
    return "10." + ((i >> 16) & 255) + "." + ((i >> 8) & 255) + "." + (i & 255);
  }

  /**
   * The weight of the {@code i}-th endpoint.
   *
   * @param i the endpoint's index, 0 or more
   * @return 1 to 5
   */
  public static int weight(int i) {
    return 1 + i % 5;
  }

  /**
   * The weight of the {@code i}-th endpoint, or 1 if weights are equal.
   *
   * @param i the endpoint's index, 0 or more
   * @param equalWeights true for weight 1 everywhere
   * @return 1 to 5
   */
  public static int weight(int i, boolean equalWeights) {
    return equalWeights ? 1 : weight(i);
  }

  /**
   * Request keys as 64-bit values (for APIs that take a precomputed hash), seeded.
   *
   * @return a new array of {@link #KEY_COUNT} random longs, the same on every call
   */
  public static long[] longKeys() {
    return longKeys(KEY_COUNT);
  }

  /**
   * Request keys as 64-bit values, seeded: the first {@link #KEY_COUNT} are {@link #longKeys()}.
   *
   * @param count how many, a power of two
   * @return a new array of {@code count} random longs, the same on every call
   */
  public static long[] longKeys(int count) {
    SplittableRandom random = new SplittableRandom(42);
    long[] keys = new long[count];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = random.nextLong();
    }
    return keys;
  }

  /**
   * Request keys as strings (for APIs that hash a string themselves): {@code user-} and the long
   * key in hexadecimal.
   *
   * @return a new array of {@link #KEY_COUNT} strings, the same on every call
   */
  public static String[] stringKeys() {
    return stringKeys(KEY_COUNT);
  }

  /**
   * Request keys as strings: {@code user-} and the {@link #longKeys(int)} in hexadecimal.
   *
   * @param count how many, a power of two
   * @return a new array of {@code count} strings, the same on every call
   */
  public static String[] stringKeys(int count) {
    long[] longs = longKeys(count);
    String[] keys = new String[longs.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "user-" + Long.toHexString(longs[i]);
    }
    return keys;
  }

  /**
   * The {@link #endpoints(int, boolean) endpoints} as strategy members with no calls and no
   * measurements, for benchmarks that drive a strategy's picker directly: hash lookups and builds
   * need ids and weights only.
   *
   * @param n how many endpoints, at least 1
   * @param equalWeights true for weight 1 everywhere, false for {@link #weight(int)}
   * @return an immutable list of {@code n} idle members
   */
  public static List<LiveEndpoint> idleMembers(int n, boolean equalWeights) {
    List<LiveEndpoint> members = new ArrayList<>(n);
    for (Endpoint e : endpoints(n, equalWeights)) {
      members.add(new IdleMember(e));
    }
    return List.copyOf(members);
  }

  private record IdleMember(Endpoint endpoint) implements LiveEndpoint {
    @Override
    public int weight() {
      return endpoint.weight();
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public double latencyEwmaNanos() {
      return Double.NaN;
    }

    @Override
    public double peakEwmaNanos(long nowNanos) {
      return Double.NaN;
    }

    @Override
    public double throughputBytesPerSecond(long nowNanos) {
      return Double.NaN;
    }
  }
}
