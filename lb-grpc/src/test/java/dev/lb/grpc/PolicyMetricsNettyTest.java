package dev.lb.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallbackMetricInstrument;
import io.grpc.DoubleHistogramMetricInstrument;
import io.grpc.InternalManagedChannelBuilder;
import io.grpc.LongCounterMetricInstrument;
import io.grpc.LongGaugeMetricInstrument;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MetricInstrument;
import io.grpc.MetricSink;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lb's metrics reach the channel's own {@link MetricSink}s (what grpc-opentelemetry installs) with
 * no lb wiring: calls by outcome and their latency, ejections, endpoints per state, panic; the
 * gauges' callback is removed when the channel shuts down. Real channels, real Netty servers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyMetricsNettyTest {
  private final List<TestServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (TestServer s : servers) {
      s.close();
    }
  }

  /** What a metrics exporter is told, by instrument name and required label values. */
  static final class RecordingSink implements MetricSink {
    final Map<String, Long> counters = new ConcurrentHashMap<>();
    final Map<String, List<Double>> histograms = new ConcurrentHashMap<>();
    final Map<String, Long> gauges = new ConcurrentHashMap<>();
    final List<Runnable> callbacks = new CopyOnWriteArrayList<>();
    private volatile List<MetricInstrument> measures = List.of();

    static String key(MetricInstrument instrument, List<String> labels) {
      return instrument.getName() + labels;
    }

    @Override
    public Map<String, Boolean> getEnabledMetrics() {
      return Map.of();
    }

    @Override
    public Set<String> getOptionalLabels() {
      return Set.of();
    }

    @Override
    public int getMeasuresSize() {
      return measures.size();
    }

    @Override
    public void updateMeasures(List<MetricInstrument> instruments) {
      measures = List.copyOf(instruments);
    }

    @Override
    public void addLongCounter(
        LongCounterMetricInstrument instrument,
        long value,
        List<String> labels,
        List<String> optional) {
      counters.merge(key(instrument, labels), value, Long::sum);
    }

    @Override
    public void recordDoubleHistogram(
        DoubleHistogramMetricInstrument instrument,
        double value,
        List<String> labels,
        List<String> optional) {
      histograms
          .computeIfAbsent(key(instrument, labels), k -> new CopyOnWriteArrayList<>())
          .add(value);
    }

    @Override
    public void recordLongGauge(
        LongGaugeMetricInstrument instrument,
        long value,
        List<String> labels,
        List<String> optional) {
      gauges.put(key(instrument, labels), value);
    }

    @Override
    public Registration registerBatchCallback(
        Runnable callback, CallbackMetricInstrument... instruments) {
      callbacks.add(callback);
      return () -> callbacks.remove(callback);
    }

    void collect() {
      gauges.clear();
      callbacks.forEach(Runnable::run);
    }
  }

  @Test
  void channelsMetricSink_getsCallsLatencyEjectionsAndEndpointStates() throws Exception {
    TestServer a = TestServer.netty("a");
    TestServer b = TestServer.netty("b");
    servers.add(a);
    servers.add(b);
    String target = "lb:///" + a.address() + "," + b.address();
    RecordingSink sink = new RecordingSink();
    ManagedChannelBuilder<?> builder =
        Channels.builder(target)
            .defaultServiceConfig(
                Channels.serviceConfig(
                    "lb_round_robin",
                    Map.of(
                        "outlierDetection",
                        Map.of("consecutiveFailures", 2.0, "maxEjectionPercent", 50.0))))
            .defaultLoadBalancingPolicy("lb_round_robin");
    ManagedChannel channel = InternalManagedChannelBuilder.addMetricSink(builder, sink).build();
    channels.add(channel);
    // Until both servers answered (both subchannels READY), counting the calls.
    long warm = 0;
    Set<String> seen = new java.util.HashSet<>();
    while (seen.size() < 2) {
      seen.add(Channels.who(channel));
      warm++;
    }

    for (int i = 0; i < 10; i++) {
      Channels.who(channel);
    }
    b.unavailable(true);
    int failed = 0;
    for (int i = 0; i < 10; i++) {
      Status status = Channels.callStatus(channel, Channels.waitForReady());
      if (!status.isOk()) {
        failed++;
      }
    }

    // Round robin gave b two calls before two consecutive UNAVAILABLEs ejected it.
    assertThat(failed).isEqualTo(2);
    // A lease is reported by the stream tracer as the call closes, which may trail the caller.
    String successes = "lb.grpc.calls[" + target + ", success]";
    long expected = warm + 18;
    Channels.await(
        () -> sink.counters.getOrDefault(successes, 0L) == expected,
        Duration.ofSeconds(5),
        "every success recorded");
    assertThat(sink.counters)
        .containsEntry("lb.grpc.calls[" + target + ", success]", warm + 18)
        .containsEntry("lb.grpc.calls[" + target + ", failure]", 2L)
        .containsEntry("lb.grpc.ejections[" + target + "]", 1L);
    assertThat(sink.histograms.get("lb.grpc.call.duration[" + target + ", success]"))
        .hasSize((int) warm + 18)
        .allSatisfy(seconds -> assertThat(seconds).isPositive().isLessThan(10.0));
    sink.collect();
    assertThat(sink.gauges)
        .containsEntry("lb.grpc.endpoints[" + target + ", healthy]", 1L)
        .containsEntry("lb.grpc.endpoints[" + target + ", ejected]", 1L)
        .containsEntry("lb.grpc.endpoints[" + target + ", draining]", 0L)
        .containsEntry("lb.grpc.panic[" + target + "]", 0L);

    channel.shutdownNow();
    assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    assertThat(sink.callbacks).as("the policy's gauges are unregistered at shutdown").isEmpty();
  }
}
