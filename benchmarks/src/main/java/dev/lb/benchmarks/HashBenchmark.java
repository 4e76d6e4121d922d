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
 * over the same endpoints and the same {@link Backends#KEY_COUNT} precomputed keys, read in turn by
 * each thread.
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

  private KeyedTarget target;

  /** Each thread's position in the key table. */
  @State(Scope.Thread)
  public static class KeyCursor {
    private int index;

    /**
     * The next key's index, wrapping around the table.
     *
     * @return 0 to {@link Backends#KEY_COUNT} - 1
     */
    public int next() {
      return index++ & (Backends.KEY_COUNT - 1);
    }
  }

  /** Builds the ring or table (not measured). */
  @Setup
  public void setUp() {
    target = type.create(endpoints);
  }

  /**
   * One lookup.
   *
   * @param cursor this thread's key position
   * @return the owning endpoint, consumed by JMH
   */
  @Benchmark
  public Object lookup(KeyCursor cursor) {
    return target.lookup(cursor.next());
  }
}
