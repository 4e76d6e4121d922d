package dev.lb.benchmarks.sim;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Runs one scenario against one policy: a discrete-event simulation on a {@link SimClock}, seeded,
 * with no real sleeping.
 *
 * <p>Calls arrive as a Poisson process. Each is given to the backend the policy picks; a backend
 * that is down, or fails the call, answers with an error after {@link BackendSpec#failureNanos()}
 * without using a worker; otherwise the call waits for a free worker (FIFO) and is served for a
 * sampled service time, stretched by pauses. The client gives up after the scenario's timeout and
 * counts the call failed, but the backend still works on it (as real servers do). The policy hears
 * every outcome at the moment the client sees it: a success with its latency, an error, or a
 * timeout with the timeout as its latency.
 *
 * <p>Four independent random streams (arrivals, service times, failures, policy) derive from the
 * seed, so every policy sees the same arrival times.
 */
public final class Simulation {
  private final Scenario scenario;
  private final SimClock clock = new SimClock();
  private final Cluster cluster;
  private final Policy policy;
  private final SplittableRandom arrivals;
  private final SplittableRandom service;
  private final SplittableRandom failures;
  private final Result.Recorder recorder;

  /**
   * Prepares a run.
   *
   * @param scenario the workload
   * @param policyName the policy's name, for the result
   * @param factory builds the policy
   * @param seed the run's seed
   */
  public Simulation(Scenario scenario, String policyName, Policy.Factory factory, long seed) {
    this.scenario = scenario;
    this.cluster = new Cluster(scenario.backends());
    SplittableRandom root = new SplittableRandom(seed);
    this.arrivals = root.split();
    this.service = root.split();
    this.failures = root.split();
    long policySeed = root.split().nextLong();
    this.policy =
        scenario.clients() == 1
            ? factory.create(cluster, clock, policySeed)
            : new Clients(scenario.clients(), factory, cluster, clock, policySeed);
    this.recorder = new Result.Recorder(scenario, policyName);
  }

  /**
   * Runs the scenario to its end, then until every call has completed or timed out.
   *
   * @param progress told the fraction of simulated time done, 0 to 1, now and then; may be null
   * @return the run's statistics
   */
  public Result run(LongConsumer progress) {
    long end = scenario.durationNanos() + scenario.timeoutNanos();
    clock.schedule(this::arrive, nextGap());
    clock.runUntil(
        end, progress == null ? null : now -> progress.accept(Math.min(1000, now * 1000 / end)));
    return recorder.finish();
  }

  private long nextGap() {
    return (long) (-Math.log(1.0 - arrivals.nextDouble()) * 1e9 / scenario.arrivalsPerSecond());
  }

  private void arrive() {
    long now = clock.read();
    if (now < scenario.durationNanos()) {
      clock.schedule(this::arrive, nextGap());
    } else {
      return;
    }
    Policy.Pick pick = policy.pick();
    if (pick == null) {
      if (now >= scenario.warmupNanos()) {
        recorder.record(-1, 0, false);
      }
      return;
    }
    Call call = new Call(pick, now);
    int backend = pick.backend();
    if (now >= scenario.warmupNanos()) {
      recorder.dispatched(backend);
    }
    clock.schedule(() -> finish(call, false, scenario.timeoutNanos()), scenario.timeoutNanos());
    BackendSpec spec = cluster.spec(backend);
    if (spec.isDown(now)) {
      clock.schedule(() -> finish(call, false, spec.failureNanos()), spec.failureNanos());
      return;
    }
    if (spec.failureRate() > 0 && failures.nextDouble() < spec.failureRate()) {
      // The server answers with an error: it handled the call, fast.
      int rif = cluster.responder(backend).begin();
      clock.schedule(
          () -> {
            cluster.responder(backend).end(rif, spec.failureNanos());
            finish(call, false, spec.failureNanos());
          },
          spec.failureNanos());
      return;
    }
    call.rifAtServer = cluster.responder(backend).begin();
    if (cluster.busy(backend) < spec.workers()) {
      start(backend, call);
    } else {
      cluster.<Call>queue(backend).add(call);
    }
  }

  private void start(int backend, Call call) {
    BackendSpec spec = cluster.spec(backend);
    cluster.setBusy(backend, cluster.busy(backend) + 1, clock.read(), false);
    long now = clock.read();
    long done;
    if (spec.isFixed(now)) {
      done = now + spec.fixedLatencyNanos();
    } else {
      long work =
          (long)
              (spec.service().sampleNanos(service)
                  * spec.slowFactor()
                  * spec.backgroundFactor(now));
      done = spec.finishTime(now, work);
    }
    clock.schedule(
        () -> {
          cluster.setBusy(backend, cluster.busy(backend) - 1, clock.read(), true);
          cluster.responder(backend).end(call.rifAtServer, clock.read() - call.arrival);
          ArrayDeque<Call> queue = cluster.queue(backend);
          if (!queue.isEmpty()) {
            start(backend, queue.poll());
          }
          finish(call, true, clock.read() - call.arrival);
        },
        done - now);
  }

  private void finish(Call call, boolean success, long latency) {
    if (call.done) {
      return;
    }
    call.done = true;
    call.pick.complete(latency, success);
    if (call.arrival >= scenario.warmupNanos()) {
      recorder.record(call.pick.backend(), latency, success);
    }
  }

  /**
   * Several independent clients, each its own policy (its own balancer, its own view): every call
   * goes to one of them at random, as calls from separate processes would.
   */
  private static final class Clients implements Policy {
    private final Policy[] clients;
    private final SplittableRandom choice;

    Clients(int n, Policy.Factory factory, Cluster cluster, SimClock clock, long seed) {
      SplittableRandom seeds = new SplittableRandom(seed);
      this.clients = new Policy[n];
      for (int i = 0; i < n; i++) {
        clients[i] = factory.create(cluster, clock, seeds.nextLong());
      }
      this.choice = seeds.split();
    }

    @Override
    public Policy.@org.jspecify.annotations.Nullable Pick pick() {
      return clients[choice.nextInt(clients.length)].pick();
    }
  }

  private static final class Call {
    final Policy.Pick pick;
    final long arrival;
    boolean done;
    int rifAtServer;

    Call(Policy.Pick pick, long arrival) {
      this.pick = pick;
      this.arrival = arrival;
    }
  }
}
