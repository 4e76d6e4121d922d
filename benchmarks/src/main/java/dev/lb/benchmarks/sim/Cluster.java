package dev.lb.benchmarks.sim;

import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

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
  private final LoadMeter[] meters;
  private final dev.lb.probe.ProbeResponder[] responders;

  Cluster(List<BackendSpec> specs) {
    this.specs = List.copyOf(specs);
    this.busy = new int[specs.size()];
    this.queues = new ArrayDeque<?>[specs.size()];
    this.meters = new LoadMeter[specs.size()];
    this.responders = new dev.lb.probe.ProbeResponder[specs.size()];
    for (int i = 0; i < responders.length; i++) {
      responders[i] = dev.lb.probe.ProbeResponder.create();
    }
    for (int i = 0; i < meters.length; i++) {
      meters[i] = new LoadMeter();
    }
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

  /**
   * Records a change of backend {@code backend}'s busy workers at {@code now}, and a completed call
   * if {@code completed}: what its load meter reports.
   */
  void setBusy(int backend, int value, long now, boolean completed) {
    meters[backend].advance(now, busy[backend], specs.get(backend).workers());
    if (completed) {
      meters[backend].completions++;
    }
    busy[backend] = value;
  }

  /**
   * What backend {@code backend} would report about itself at {@code now}, as a server reports its
   * own load in an ORCA trailer: its CPU utilization (busy workers over workers, averaged over the
   * last whole second) and the calls per second it completed in that second; null during the first
   * second, before there is a whole one. A backend with unbounded workers reports no utilization.
   */
  dev.lb.@Nullable LoadReport loadReport(int backend, long now) {
    LoadMeter m = meters[backend];
    m.advance(now, busy[backend], specs.get(backend).workers());
    if (m.lastUtilization < 0) {
      return null;
    }
    return dev.lb.LoadReport.builder()
        .cpuUtilization(m.lastUtilization)
        .requestsPerSecond(m.lastQps)
        .build();
  }

  /**
   * The backend's own account of its requests in flight and its latency at each load, as a server
   * answering Prequal's probes keeps it: the simulation tells it of every call the backend handles
   * (a failed one too, with the time it took to fail).
   */
  dev.lb.probe.ProbeResponder responder(int backend) {
    return responders[backend];
  }

  /** A backend's one-second windows of busy-worker time and completions. */
  private static final class LoadMeter {
    static final long WINDOW = 1_000_000_000L;

    long windowStart;
    long lastChange;
    double busyNanos;
    long completions;
    double lastUtilization = -1;
    double lastQps;

    /** Accounts the time since the last change at {@code busy} workers, rolling windows over. */
    void advance(long now, int busy, int workers) {
      while (now >= windowStart + WINDOW) {
        long end = windowStart + WINDOW;
        busyNanos += (double) busy * (end - lastChange);
        lastUtilization =
            workers == Integer.MAX_VALUE ? 0 : busyNanos / ((double) workers * WINDOW);
        lastQps = completions * 1e9 / WINDOW;
        busyNanos = 0;
        completions = 0;
        lastChange = end;
        windowStart = end;
      }
      busyNanos += (double) busy * (now - lastChange);
      lastChange = now;
    }
  }

  @SuppressWarnings("unchecked")
  <T> ArrayDeque<T> queue(int backend) {
    return (ArrayDeque<T>) queues[backend];
  }
}
