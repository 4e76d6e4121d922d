package dev.lb.benchmarks.sim;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The live state of a scenario's backends during one run: each backend's busy workers and FIFO
 * queue. The simulation changes it; an oracle policy may read it (global knowledge no real client
 * has).
 *
 * <p>Not thread-safe: one simulation thread.
 */
public final class Cluster {
  private final List<BackendSpec> specs;
  private final int[] busy;
  private final ArrayDeque<?>[] queues;

  Cluster(List<BackendSpec> specs) {
    this.specs = List.copyOf(specs);
    this.busy = new int[specs.size()];
    this.queues = new ArrayDeque<?>[specs.size()];
    for (int i = 0; i < queues.length; i++) {
      queues[i] = new ArrayDeque<Object>();
    }
  }

  /**
   * How many backends there are.
   *
   * @return the scenario's backend count
   */
  public int size() {
    return specs.size();
  }

  /**
   * A backend's configuration.
   *
   * @param backend the backend's index
   * @return its spec
   */
  public BackendSpec spec(int backend) {
    return specs.get(backend);
  }

  /**
   * Calls at the backend now: in service plus queued.
   *
   * @param backend the backend's index
   * @return 0 or more
   */
  public int outstanding(int backend) {
    return busy[backend] + queues[backend].size();
  }

  int busy(int backend) {
    return busy[backend];
  }

  void setBusy(int backend, int value) {
    busy[backend] = value;
  }

  @SuppressWarnings("unchecked")
  <T> ArrayDeque<T> queue(int backend) {
    return (ArrayDeque<T>) queues[backend];
  }
}
