package dev.lb.grpc;

import dev.lb.BalancerStats;
import dev.lb.CallListener;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.NoEndpointAvailableException;
import dev.lb.health.HealthStatus;
import io.grpc.CallbackMetricInstrument;
import io.grpc.DoubleHistogramMetricInstrument;
import io.grpc.LongCounterMetricInstrument;
import io.grpc.LongGaugeMetricInstrument;
import io.grpc.MetricInstrument;
import io.grpc.MetricInstrumentRegistry;
import io.grpc.MetricRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A policy's metrics through gRPC's own {@link MetricRecorder} (the one the policy's helper gives,
 * as grpc-java's {@code weighted_round_robin} records {@code grpc.lb.wrr.*}), so that a channel
 * built with grpc-opentelemetry (or any {@code MetricSink}) reports lb's metrics with no wiring of
 * lb's own. Every instrument is enabled by default and carries the required label {@code
 * grpc.target}:
 *
 * <table>
 *   <caption>The instruments</caption>
 *   <tr><th>name</th><th>kind</th><th>labels besides {@code grpc.target}</th><th>meaning</th></tr>
 *   <tr><td>{@code lb.grpc.calls}</td><td>counter</td><td>{@code lb.outcome} ({@code success},
 *       {@code failure}, {@code cancelled})</td><td>RPC attempts by outcome</td></tr>
 *   <tr><td>{@code lb.grpc.call.duration}</td><td>histogram, seconds</td><td>{@code
 *       lb.outcome}</td><td>the latency lb-core saw: time to close for unary calls, to the first
 *       response for streams; none for excluded methods</td></tr>
 *   <tr><td>{@code lb.grpc.ejections}</td><td>counter</td><td></td><td>outlier ejections</td></tr>
 *   <tr><td>{@code lb.grpc.no_endpoint}</td><td>counter</td><td>{@code lb.reason}</td><td>picks
 *       that found no endpoint, by {@link NoEndpointAvailableException.Reason}</td></tr>
 *   <tr><td>{@code lb.grpc.endpoints}</td><td>gauge</td><td>{@code lb.state} (a {@link
 *       HealthStatus}, lower case)</td><td>endpoints per health state</td></tr>
 *   <tr><td>{@code lb.grpc.panic}</td><td>gauge</td><td></td><td>1 while the balancer is in panic
 *       mode, else 0</td></tr>
 * </table>
 *
 * <p>The label values are made once per policy, so recording an outcome allocates nothing of this
 * class's own. Thread-safe.
 */
final class PolicyMetrics {
  private static final String TARGET = "grpc.target";

  static final LongCounterMetricInstrument CALLS;
  static final DoubleHistogramMetricInstrument CALL_DURATION;
  static final LongCounterMetricInstrument EJECTIONS;
  static final LongCounterMetricInstrument NO_ENDPOINT;
  static final LongGaugeMetricInstrument ENDPOINTS;
  static final LongGaugeMetricInstrument PANIC;

  static {
    MetricInstrumentRegistry registry = MetricInstrumentRegistry.getDefaultRegistry();
    CALLS =
        instrument(
            registry,
            "lb.grpc.calls",
            LongCounterMetricInstrument.class,
            () ->
                registry.registerLongCounter(
                    "lb.grpc.calls",
                    "RPC attempts through an lb policy, by outcome",
                    "{attempt}",
                    List.of(TARGET, "lb.outcome"),
                    List.of(),
                    true));
    // Seconds, on the bucket bounds gRPC's OpenTelemetry module uses for call latencies.
    CALL_DURATION =
        instrument(
            registry,
            "lb.grpc.call.duration",
            DoubleHistogramMetricInstrument.class,
            () ->
                registry.registerDoubleHistogram(
                    "lb.grpc.call.duration",
                    "Latency of RPC attempts as lb's strategies see it",
                    "s",
                    List.of(
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
                        10.0, 30.0, 100.0),
                    List.of(TARGET, "lb.outcome"),
                    List.of(),
                    true));
    EJECTIONS =
        instrument(
            registry,
            "lb.grpc.ejections",
            LongCounterMetricInstrument.class,
            () ->
                registry.registerLongCounter(
                    "lb.grpc.ejections",
                    "Endpoints ejected by outlier detection",
                    "{ejection}",
                    List.of(TARGET),
                    List.of(),
                    true));
    NO_ENDPOINT =
        instrument(
            registry,
            "lb.grpc.no_endpoint",
            LongCounterMetricInstrument.class,
            () ->
                registry.registerLongCounter(
                    "lb.grpc.no_endpoint",
                    "Picks that found no endpoint, by reason",
                    "{pick}",
                    List.of(TARGET, "lb.reason"),
                    List.of(),
                    true));
    ENDPOINTS =
        instrument(
            registry,
            "lb.grpc.endpoints",
            LongGaugeMetricInstrument.class,
            () ->
                registry.registerLongGauge(
                    "lb.grpc.endpoints",
                    "Endpoints per health state",
                    "{endpoint}",
                    List.of(TARGET, "lb.state"),
                    List.of(),
                    true));
    PANIC =
        instrument(
            registry,
            "lb.grpc.panic",
            LongGaugeMetricInstrument.class,
            () ->
                registry.registerLongGauge(
                    "lb.grpc.panic",
                    "1 while the balancer is in panic mode",
                    "1",
                    List.of(TARGET),
                    List.of(),
                    true));
  }

  private final MetricRecorder recorder;
  private final List<String> target;
  private final List<String> success;
  private final List<String> failure;
  private final List<String> cancelled;
  private final Map<HealthStatus, List<String>> states = new EnumMap<>(HealthStatus.class);
  private final Map<NoEndpointAvailableException.Reason, List<String>> reasons =
      new EnumMap<>(NoEndpointAvailableException.Reason.class);
  private final Calls calls = new Calls();
  private final Events events = new Events();

  PolicyMetrics(MetricRecorder recorder, String target) {
    this.recorder = recorder;
    this.target = List.of(target);
    this.success = List.of(target, "success");
    this.failure = List.of(target, "failure");
    this.cancelled = List.of(target, "cancelled");
    for (HealthStatus s : HealthStatus.values()) {
      states.put(s, List.of(target, s.name().toLowerCase(Locale.ROOT)));
    }
    for (NoEndpointAvailableException.Reason r : NoEndpointAvailableException.Reason.values()) {
      reasons.put(r, List.of(target, r.name().toLowerCase(Locale.ROOT)));
    }
  }

  /** The call listener to add to each balancer the policy builds. */
  CallListener calls() {
    return calls;
  }

  /** The balancer listener to add to each balancer the policy builds. */
  LoadBalancerListener events() {
    return events;
  }

  /**
   * Registers the gauges, read from {@code balancer} (the policy's current one, null before the
   * first addresses) whenever the sinks collect.
   *
   * @return the registration, to close when the policy shuts down
   */
  MetricRecorder.Registration registerGauges(Supplier<@Nullable LoadBalancer> balancer) {
    CallbackMetricInstrument[] gauges = {ENDPOINTS, PANIC};
    return recorder.registerBatchCallback(
        batch -> {
          LoadBalancer b = balancer.get();
          if (b == null) {
            return;
          }
          BalancerStats stats = b.stats();
          Map<HealthStatus, Long> counts = new EnumMap<>(HealthStatus.class);
          for (HealthStatus s : HealthStatus.values()) {
            counts.put(s, 0L);
          }
          for (EndpointStats e : stats.endpoints()) {
            counts.merge(e.health(), 1L, Long::sum);
          }
          counts.forEach((s, n) -> batch.recordLongGauge(ENDPOINTS, n, states.get(s), List.of()));
          batch.recordLongGauge(PANIC, stats.panic() ? 1 : 0, target, List.of());
        },
        gauges);
  }

  private final class Calls extends CallListener {
    @Override
    public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
      record(success, latencyNanos);
    }

    @Override
    public void onFailure(Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {
      record(failure, latencyNanos);
    }

    @Override
    public void onSuccessUntimed(Endpoint endpoint, long responseBytes) {
      recorder.addLongCounter(CALLS, 1, success, List.of());
    }

    @Override
    public void onFailureUntimed(Endpoint endpoint, @Nullable Throwable cause) {
      recorder.addLongCounter(CALLS, 1, failure, List.of());
    }

    @Override
    public void onCancel(Endpoint endpoint) {
      recorder.addLongCounter(CALLS, 1, cancelled, List.of());
    }

    private void record(List<String> labels, long latencyNanos) {
      recorder.addLongCounter(CALLS, 1, labels, List.of());
      if (latencyNanos >= 0) { // a negative one is a caller's error that lb-core rejects
        recorder.recordDoubleHistogram(CALL_DURATION, latencyNanos / 1e9, labels, List.of());
      }
    }
  }

  private final class Events extends LoadBalancerListener {
    @Override
    public void onEjected(
        LoadBalancer balancer, Endpoint endpoint, String reason, Duration ejectionTime) {
      recorder.addLongCounter(EJECTIONS, 1, target, List.of());
    }

    @Override
    public void onNoEndpointAvailable(
        LoadBalancer balancer, NoEndpointAvailableException.Reason reason) {
      recorder.addLongCounter(NO_ENDPOINT, 1, reasons.get(reason), List.of());
    }
  }

  /**
   * The instrument of this name that an earlier copy of this class registered (a second class
   * loader over the same gRPC), since the registry refuses a name twice; else a new one.
   */
  private static <T extends MetricInstrument> T instrument(
      MetricInstrumentRegistry registry, String name, Class<T> type, Supplier<T> register) {
    for (MetricInstrument m : new ArrayList<>(registry.getMetricInstruments())) {
      if (m != null && m.getName().equals(name) && type.isInstance(m)) {
        return type.cast(m);
      }
    }
    return register.get();
  }
}
