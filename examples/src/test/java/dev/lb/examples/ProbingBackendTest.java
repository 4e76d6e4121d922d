package dev.lb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb.okhttp.HttpProber;
import dev.lb.probe.ProbeResult;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** The demo's backends answer Prequal's probes from their own load, over real HTTP. */
class ProbingBackendTest {
  @Test
  void backend_answersProbesWithItsRifAndLearntLatency() throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    OkHttpClient client = new OkHttpClient();
    Backend backend = Backend.start("b0", executor, TimeUnit.MILLISECONDS.toNanos(5), 1);
    try {
      HttpProber prober = HttpProber.builder().client(client).build();
      ProbeResult before =
          prober.probe(backend.endpoint()).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(before.requestsInFlight()).isZero();
      assertThat(before.latencyNanos()).isZero(); // nothing served yet
      for (int i = 0; i < 5; i++) {
        String url = "http://127.0.0.1:" + backend.port() + "/work";
        try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
          assertThat(r.code()).isEqualTo(200);
        }
      }
      // The backend counts a request until its handler has written the response and returned, a
      // moment after this client may have read it: the last one may still count, briefly.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      ProbeResult after;
      do {
        after = prober.probe(backend.endpoint()).toCompletableFuture().get(5, TimeUnit.SECONDS);
      } while (after.requestsInFlight() != 0 && System.nanoTime() < deadline);
      assertThat(after.requestsInFlight()).isZero();
      assertThat(after.latencyNanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1));
    } finally {
      backend.kill();
      executor.shutdownNow();
      client.dispatcher().executorService().shutdownNow();
    }
  }
}
