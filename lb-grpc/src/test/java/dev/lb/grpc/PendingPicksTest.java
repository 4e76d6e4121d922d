package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The registry of picks not yet started: every lease is reported exactly once, whatever races. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PendingPicksTest {
  private final Endpoint endpoint = Endpoint.of("127.0.0.1", 1001);
  private final LoadBalancer balancer =
      LoadBalancer.builder()
          .outlierDetection(OutlierDetection.disabled())
          .endpoints(List.of(endpoint))
          .build();
  private final OutcomeClassifier classifier =
      new OutcomeClassifier(PolicyConfig.DEFAULT_FAILURE_STATUSES);
  private final ExecutorService threads = Executors.newFixedThreadPool(4);

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
  }

  private LeaseTracerFactory factory(PendingPicks pending) {
    return new LeaseTracerFactory(
        balancer.pick(),
        classifier,
        () -> 0L,
        pending,
        LeaseTracerFactory.Latency.TO_CLOSE,
        null,
        null);
  }

  private static ClientStreamTracer start(LeaseTracerFactory factory) {
    return factory.newClientStreamTracer(
        ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build(),
        new Metadata());
  }

  @Test
  void register_afterClose_refusesAndCancelsTheLease() {
    PendingPicks pending = new PendingPicks();
    assertThat(pending.closeAndCancel()).isZero();
    LeaseTracerFactory late = factory(pending);

    assertThat(pending.register(late)).isFalse();

    assertThat(late.lease().isReported()).isTrue();
    assertThat(pending.size()).isZero();
    assertThat(balancer.stats().endpoints().get(0).cancellations()).isEqualTo(1);
    assertThat(balancer.stats().inFlight()).isZero();
  }

  @Test
  void closeAndCancel_isIdempotent_andCountsWhatItCancelled() {
    PendingPicks pending = new PendingPicks();
    LeaseTracerFactory started = factory(pending);
    LeaseTracerFactory waiting = factory(pending);
    assertThat(pending.register(started)).isTrue();
    assertThat(pending.register(waiting)).isTrue();
    ClientStreamTracer tracer = start(started);

    assertThat(pending.closeAndCancel()).isEqualTo(1);
    assertThat(pending.closeAndCancel()).isZero();

    assertThat(pending.isClosed()).isTrue();
    assertThat(waiting.lease().isReported()).isTrue();
    assertThat(started.lease().isReported()).isFalse();
    tracer.streamClosed(Status.OK);
    assertThat(balancer.stats().inFlight()).isZero();
  }

  /**
   * Threads register picks while the READY period closes at a random moment; each accepted pick's
   * stream either starts (before or after the close) or is dropped by gRPC and never starts.
   * Whatever the interleaving, every lease is reported exactly once: the close cancels every
   * dropped pick, a pick registered after it is refused, nothing stays in flight, and the reports
   * add up to the picks.
   */
  @Test
  void registerStartAndClose_racing_reportEveryLeaseExactlyOnce() throws Exception {
    SplittableRandom seeds = new SplittableRandom(7);
    int picksPerThread = 50;
    int nThreads = 4;
    for (int round = 0; round < 200; round++) {
      long seed = seeds.nextLong();
      long cancelledBefore = balancer.stats().endpoints().get(0).cancellations();
      PendingPicks pending = new PendingPicks();
      CyclicBarrier go = new CyclicBarrier(nThreads + 1);
      AtomicInteger refused = new AtomicInteger();
      // A refused pick's lease is cancelled by the refusing call or, when the close claimed it
      // first, by the close a moment later: checked once both are over.
      Queue<LeaseTracerFactory> refusedPicks = new ConcurrentLinkedQueue<>();
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < nThreads; t++) {
        SplittableRandom random = new SplittableRandom(seed + t);
        results.add(
            threads.submit(
                () -> {
                  int dropped = 0;
                  go.await(10, TimeUnit.SECONDS);
                  for (int i = 0; i < picksPerThread; i++) {
                    LeaseTracerFactory f = factory(pending);
                    if (!pending.register(f)) {
                      refused.incrementAndGet();
                      refusedPicks.add(f);
                    } else if (random.nextBoolean()) {
                      start(f).streamClosed(Status.OK); // started before or after the close
                    } else {
                      dropped++; // gRPC found no transport: it never asks for a tracer
                    }
                  }
                  return dropped;
                }));
      }
      go.await(10, TimeUnit.SECONDS);
      int spins = new SplittableRandom(seed).nextInt(2_000);
      for (int i = 0; i < spins; i++) {
        Thread.onSpinWait();
      }
      pending.closeAndCancel();
      int dropped = 0;
      for (Future<Integer> r : results) {
        dropped += r.get(10, TimeUnit.SECONDS);
      }

      for (LeaseTracerFactory f : refusedPicks) {
        assertThat(f.lease().isReported()).as("seed %s", seed).isTrue();
      }
      var stats = balancer.stats().endpoints().get(0);
      assertThat(stats.inFlight()).as("seed %s", seed).isZero();
      assertThat(pending.size()).as("seed %s", seed).isZero();
      assertThat(stats.cancellations() - cancelledBefore)
          .as("seed %s: at least every dropped pick is cancelled", seed)
          .isGreaterThanOrEqualTo(dropped + refused.get());
      assertThat(stats.successes() + stats.cancellations())
          .as("seed %s: reports", seed)
          .isEqualTo((round + 1L) * nThreads * picksPerThread);
    }
  }
}
