package dev.lb.benchmarks;

import dev.lb.retry.RetryBudget;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a retry (or hedging) budget costs the call that never retries: one {@link
 * RetryBudget#deposit()} per call, on one thread and on two sharing the budget, and a withdrawal
 * that succeeds for comparison. The budget has its defaults and the system ticker.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RetryBudgetBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class RetryBudgetBenchmark {
  private RetryBudget budget;

  /** A budget with Finagle's defaults (20 %, 10 per second, 10 s). */
  @Setup
  public void setUp() {
    budget = RetryBudget.builder().build();
  }

  /** One request's deposit. */
  @Benchmark
  public void deposit() {
    budget.deposit();
  }

  /** One request's deposit, two threads on one budget. */
  @Benchmark
  @Threads(2)
  public void deposit2Threads() {
    budget.deposit();
  }

  /** A deposit and a withdrawal (the floor keeps the withdrawals going once the balance is out). */
  @Benchmark
  public boolean depositAndWithdraw() {
    budget.deposit();
    return budget.tryWithdraw();
  }
}
