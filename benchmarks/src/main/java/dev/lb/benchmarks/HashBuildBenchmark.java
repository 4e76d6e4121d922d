package dev.lb.benchmarks;

import dev.lb.PickContext;
import dev.lb.StrategyRegistry;
import dev.lb.hash.XxHash64;
import dev.lb.strategy.LiveEndpoint;
import dev.lb.strategy.Picker;
import dev.lb.strategy.Strategy;
import dev.lb.strategy.StrategyContext;
import java.util.List;
import java.util.SplittableRandom;
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
 * Hash strategies: one picker build (the ring, Maglev table or weights: what a membership change
 * costs on the update path without a previous picker), one endpoint joining or leaving given the
 * previous picker ({@link Strategy#newPicker(List, StrategyContext, Picker)}, what the balancer's
 * update path pays per change) and XXH64 of a 24-character key alone. Keyed lookups, side by side
 * with the peers', are in {@link HashBenchmark}.
 *
 * <pre>
 * ./mvnw -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar 'HashBuildBenchmark.build' -p strategy=maglev -p endpoints=1000
 * java -jar benchmarks/target/benchmarks.jar 'HashBuildBenchmark.(joinOne|leaveOne)' -p endpoints=1000 -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HashBuildBenchmark {
  @Param({
    "ring_hash",
    "maglev",
    "rendezvous_hash",
    "jump_hash",
    "bounded_load_hash",
    "modulo_hash"
  })
  public String strategy;

  @Param({"10", "100", "1000"})
  public int endpoints;

  private static final int KEYS = 1 << 12;

  private Strategy hashStrategy;
  private List<LiveEndpoint> members;
  private List<LiveEndpoint> allButLast;
  private Picker beforeJoin;
  private Picker beforeLeave;
  private StrategyContext context;
  private PickContext[] keys;
  private int next;

  @Setup
  public void setUp() {
    hashStrategy = StrategyRegistry.byName(strategy);
    members = Backends.idleMembers(endpoints, true);
    context = new StrategyContext(new SplittableRandom(1), System::nanoTime);
    allButLast = members.subList(0, endpoints - 1);
    beforeJoin = hashStrategy.newPicker(allButLast, context);
    beforeLeave = hashStrategy.newPicker(members, context);
    SplittableRandom random = new SplittableRandom(7);
    keys = new PickContext[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = PickContext.ofKey("session-" + Long.toHexString(random.nextLong()));
    }
  }

  /** XXH64 of the same 24-character keys alone, to separate hashing from the table lookup. */
  @Benchmark
  public long hashOnly() {
    return XxHash64.hash(keys[next++ & (KEYS - 1)].charsKey(), 0);
  }

  /** Building a picker: the ring, Maglev table or weights, as on every membership change. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Picker build() {
    return hashStrategy.newPicker(members, context);
  }

  /**
   * The last of {@code endpoints} joins: the picker over the others is the previous one, as the
   * balancer passes it on a membership change.
   */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Picker joinOne() {
    return hashStrategy.newPicker(members, context, beforeJoin);
  }

  /** The last of {@code endpoints} leaves, given the picker over all of them. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Picker leaveOne() {
    return hashStrategy.newPicker(allButLast, context, beforeLeave);
  }
}
