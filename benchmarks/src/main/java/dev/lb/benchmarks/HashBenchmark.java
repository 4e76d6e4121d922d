package dev.lb.benchmarks;

import dev.lb.benchmarks.peers.HashType;
import dev.lb.benchmarks.peers.KeyedTarget;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of finding the endpoint that owns a request key, consistent-hash lookups side by side
 * over the same endpoints and the same precomputed keys, read in turn by each thread.
 *
 * <p>Two things decide what such a figure means, and both are parameters here. The <b>layer</b>:
 * grpc-java's lookup is its whole channel picker, so lb is measured both through {@code
 * LoadBalancer.choose} (the same layer: snapshot, routing, admission check) and at its inner
 * strategy picker, labelled. The <b>key stream</b>: {@code keys=4096} cycles through 4,096 keys,
 * whose ring entries stay in the CPU caches; {@code keys=1048576} streams 2^20 keys, larger than
 * the caches, as traffic with many distinct keys does. Ring sizes are compared both at each
 * library's default (lb 2^21 points at most, grpc-java 4,096 at most: its {@code RingHashOptions}
 * cap) and at the same size (see {@link dev.lb.benchmarks.peers.HashType}).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar HashBenchmark -p endpoints=100 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HashBenchmark {
  /** The lookup under test. */
  @Param public HashType type;

  /** How many endpoints own the keys. */
  @Param({"10", "100", "1000"})
  public int endpoints;

  /** How many distinct keys are cycled through: a power of two. */
  @Param({"4096", "1048576"})
  public int keys;

  private KeyedTarget target;
  private int mask;

  /** Each thread's position in the key table. */
  @State(Scope.Thread)
  public static class KeyCursor {
    private int index;

    /**
     * The next key's index, wrapping around a table of {@code mask + 1} keys.
     *
     * @param mask the table size minus one
     * @return 0 to {@code mask}
     */
    public int next(int mask) {
      return index++ & mask;
    }
  }

  /** Builds the ring or table (not measured). */
  @Setup
  public void setUp() {
    if (Integer.bitCount(keys) != 1) {
      throw new IllegalArgumentException("keys must be a power of two but was " + keys);
    }
    target = type.create(endpoints, keys);
    mask = keys - 1;
  }

  /**
   * One lookup.
   *
   * @param cursor this thread's key position
   * @return the owning endpoint, consumed by JMH
   */
  @Benchmark
  public Object lookup(KeyCursor cursor) {
    return target.lookup(cursor.next(mask));
  }
}
