package dev.lb.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.health.OutlierDetection;
import dev.lb.probe.ProbeResult;
import dev.lb.probe.Prober;
import dev.lb.strategy.Prequal;
import dev.lb.testing.FakeScheduler;
import dev.lb.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Prequal over real HTTP on 127.0.0.1: {@link HttpProber} asks each backend's probe path, the
 * answers travel over the wire, and the balanced calls go where the servers report the least load.
 * Probes are their own calls: never through the balancing interceptor, never counted.
 */
class PrequalProbeTest {
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final OkHttpClient plain = new OkHttpClient();
  private OkHttpClient client = new OkHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    for (OkHttpClient c : List.of(client, plain)) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
  }

  /** A backend answering {@code /work} with its name and the probe path with {@code answer}. */
  private Backend backend(String name, String answer) throws IOException {
    Backend b = Backend.start(name);
    cleanup.add(b);
    b.answer(
        r ->
            r.getUrl().encodedPath().equals(HttpProber.DEFAULT_PATH)
                ? new MockResponse.Builder().code(200).body(answer + "\n").build()
                : Backend.ok(name));
    return b;
  }

  /** Every stage the prober started, so the test can wait for the answers to arrive. */
  static final class Recording implements Prober {
    final Prober delegate;
    final List<CompletionStage<ProbeResult>> stages = new ArrayList<>();

    Recording(Prober delegate) {
      this.delegate = delegate;
    }

    @Override
    public synchronized CompletionStage<ProbeResult> probe(Endpoint endpoint) {
      CompletionStage<ProbeResult> s = delegate.probe(endpoint);
      stages.add(s);
      return s;
    }

    synchronized void awaitAll() throws Exception {
      for (CompletionStage<ProbeResult> s : stages) {
        try {
          s.toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException failedProbe) {
          // counted by the strategy as a failed probe
        }
      }
    }
  }

  @Test
  void prequal_probesOverTheWire_callsGoToTheServerReportingLeastLoad() throws Exception {
    Backend idle = backend("idle", "rif=0 latency_us=1000");
    Backend busy1 = backend("busy1", "rif=12 latency_us=40000");
    Backend busy2 = backend("busy2", "rif=12 latency_us=40000");
    Recording prober = new Recording(HttpProber.builder().client(plain).build());
    LoadBalancer lb =
        LoadBalancer.builder()
            .name("users")
            .ticker(ticker)
            .scheduler(scheduler)
            .random(new SplittableRandom(5))
            .strategy(Prequal.builder().prober(prober).minEndpoints(2).probesPerPick(3).build())
            .outlierDetection(OutlierDetection.disabled())
            .endpoints(List.of(idle.endpoint(), busy1.endpoint(), busy2.endpoint()))
            .build();
    cleanup.add(lb);
    client =
        LoadBalancingInterceptor.builder()
            .service(Service.builder("users").defaultTarget(lb).build())
            .build()
            .newClient();
    int calls = 60;
    for (int i = 0; i < calls; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://users/work").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
      scheduler.advance(Duration.ofMillis(1)); // the dispatch: probes go out
      prober.awaitAll(); // and their answers come back over the wire
    }
    // Counted at the servers: the idle one took the calls once its answers were in the pool.
    assertThat(idle.requestsTo("/work")).isGreaterThan(calls * 3 / 4);
    assertThat(idle.requestsTo("/work") + busy1.requestsTo("/work") + busy2.requestsTo("/work"))
        .isEqualTo(calls);
    // Probes reached every server, as plain GETs on the probe path.
    for (Backend b : List.of(idle, busy1, busy2)) {
      assertThat(b.requestsTo(HttpProber.DEFAULT_PATH)).isPositive();
    }
    // ... and were never balanced calls: the balancer counted the 60 calls only.
    long counted = 0;
    for (EndpointStats s : lb.stats().endpoints()) {
      counted += s.successes() + s.failures();
    }
    assertThat(counted).isEqualTo(calls);
  }

  @Test
  void httpProber_badStatusBadBodyOrTimeout_failsTheProbe() throws Exception {
    Backend refusing = Backend.start("refusing");
    cleanup.add(refusing);
    refusing.answer(r -> Backend.status(503));
    Backend garbled = Backend.start("garbled");
    cleanup.add(garbled);
    garbled.answer(r -> Backend.ok("load: low"));
    Backend slow = Backend.start("slow");
    cleanup.add(slow);
    slow.answer(
        r ->
            new MockResponse.Builder()
                .code(200)
                .body("rif=0 latency_us=1")
                .headersDelay(2, TimeUnit.SECONDS)
                .build());
    HttpProber prober = HttpProber.builder().client(plain).timeout(Duration.ofMillis(100)).build();
    for (Backend b : List.of(refusing, garbled, slow)) {
      CompletableFuture<ProbeResult> f = prober.probe(b.endpoint()).toCompletableFuture();
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }
    Backend good = backend("good", "rif=4 latency_us=2500");
    ProbeResult r = prober.probe(good.endpoint()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(r.requestsInFlight()).isEqualTo(4);
    assertThat(r.latencyNanos()).isEqualTo(2_500_000L);
  }

  @Test
  void httpProber_stageCancelled_cancelsTheCall() throws Exception {
    Backend slow = Backend.start("slow");
    cleanup.add(slow);
    slow.answer(
        r ->
            new MockResponse.Builder()
                .code(200)
                .body("rif=0 latency_us=1")
                .headersDelay(5, TimeUnit.SECONDS)
                .build());
    HttpProber prober = HttpProber.builder().client(plain).timeout(Duration.ofSeconds(10)).build();
    CompletableFuture<ProbeResult> f = prober.probe(slow.endpoint()).toCompletableFuture();
    f.cancel(false);
    // The call is cancelled: the client's dispatcher has nothing left running.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (plain.dispatcher().runningCallsCount() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(plain.dispatcher().runningCallsCount()).isZero();
  }

  @Test
  void httpProber_options_validated() {
    assertThatThrownBy(() -> HttpProber.builder().path("lb-probe"))
        .hasMessageContaining("path")
        .hasMessageContaining("'lb-probe'");
    assertThatThrownBy(() -> HttpProber.builder().scheme("ftp")).hasMessageContaining("'ftp'");
    assertThatThrownBy(() -> HttpProber.builder().timeout(Duration.ZERO))
        .hasMessageContaining("timeout");
  }
}
