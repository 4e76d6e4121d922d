package dev.lb.opentelemetry;

import static java.util.Objects.requireNonNull;

import dev.lb.BalancerStats;
import dev.lb.CallListener;
import dev.lb.Endpoint;
import dev.lb.EndpointStats;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.NoEndpointAvailableException;
import dev.lb.breaker.CircuitBreaker;
import dev.lb.health.HealthChangeCause;
import dev.lb.health.HealthStatus;
import dev.lb.retry.RetryBudget;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * Reports one {@link LoadBalancer}'s metrics through the OpenTelemetry metrics API: the instruments
 * of lb-micrometer's {@code LoadBalancerMetrics}, named after OpenTelemetry's semantic conventions
 * where one exists and in the {@code lb.*} namespace otherwise (the README lists them).
 *
 * <pre>{@code
 * LoadBalancerTelemetry telemetry = LoadBalancerTelemetry.create(openTelemetry, balancer);
 * // ... telemetry.close() when the balancer goes
 * }</pre>
 *
 * <p><b>Names.</b> Call latency is the histogram {@code lb.client.call.duration} (seconds) with the
 * semantic-convention attributes {@code server.address} and {@code server.port} (the endpoint's
 * host and port) and {@code error.type} on failures ({@code _OTHER} when the caller gave no cause,
 * else the cause's class name); with {@link Builder#httpClientDuration(boolean)} it is named {@code
 * http.client.request.duration}, the convention's name for an HTTP client's requests, for balancers
 * whose calls are HTTP attempts (lb-okhttp). Everything else has no convention and is {@code lb.*}:
 * attributes {@code lb.balancer}, {@code lb.endpoint.id}, {@code lb.endpoint.zone} (when the
 * endpoint has one), {@code lb.outcome}, {@code lb.state}, {@code lb.cause}, {@code lb.reason}.
 *
 * <p><b>How.</b> Counts, states and gauges are asynchronous instruments observed in one batch
 * callback that reads {@link LoadBalancer#stats()} once per collection, so an endpoint that left is
 * simply no longer reported: churn cannot leak series on lb's side. Latency is recorded from every
 * reported call through a {@link CallListener}; ejections, health changes, breaker transitions and
 * calls that found no endpoint are counted from the balancer's {@link LoadBalancerListener} events.
 *
 * <p>Thread-safe. {@link #close()} removes the listeners and the callback.
 */
public final class LoadBalancerTelemetry implements AutoCloseable {
  /** The instrumentation scope's name. */
  public static final String SCOPE = "dev.lb";

  static final AttributeKey<String> BALANCER = AttributeKey.stringKey("lb.balancer");
  static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("lb.endpoint.id");
  static final AttributeKey<String> ZONE = AttributeKey.stringKey("lb.endpoint.zone");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("lb.outcome");
  static final AttributeKey<String> STATE = AttributeKey.stringKey("lb.state");
  static final AttributeKey<String> CAUSE = AttributeKey.stringKey("lb.cause");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("lb.reason");
  static final AttributeKey<String> FROM = AttributeKey.stringKey("lb.from");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final LoadBalancer balancer;
  private final Attributes base;
  private final DoubleHistogram duration;
  private final LongCounter ejections;
  private final LongCounter healthChanges;
  private final LongCounter breakerTransitions;
  private final LongCounter noEndpoint;
  private final BatchCallback callback;
  private final Events events = new Events();
  private final Calls calls = new Calls();

  /** Attributes per endpoint id, so that recording a call allocates nothing after the first. */
  private final ConcurrentMap<String, EndpointAttributes> attributes = new ConcurrentHashMap<>();

  private LoadBalancerTelemetry(Builder b) {
    this.balancer = b.balancer;
    this.base = Attributes.of(BALANCER, balancer.name());
    Meter meter = b.meter;
    this.duration =
        meter
            .histogramBuilder(
                b.httpClientDuration ? "http.client.request.duration" : "lb.client.call.duration")
            .setUnit("s")
            .setDescription(
                "Duration of the calls made through the balancer, as callers measured it")
            .build();
    this.ejections =
        meter
            .counterBuilder("lb.ejections")
            .setUnit("{ejection}")
            .setDescription("Outlier ejections, by detector")
            .build();
    this.healthChanges =
        meter
            .counterBuilder("lb.health.changes")
            .setUnit("{change}")
            .setDescription("Endpoint health transitions, by the state entered and the cause")
            .build();
    this.breakerTransitions =
        meter
            .counterBuilder("lb.breaker.transitions")
            .setUnit("{transition}")
            .setDescription("Circuit breaker transitions over the balancer's endpoints")
            .build();
    this.noEndpoint =
        meter
            .counterBuilder("lb.no_endpoint")
            .setUnit("{call}")
            .setDescription("Calls that found no endpoint to take them, by reason")
            .build();

    ObservableLongMeasurement callsByOutcome =
        meter
            .counterBuilder("lb.calls")
            .setUnit("{call}")
            .setDescription("Calls reported on the endpoint, by outcome")
            .buildObserver();
    ObservableLongMeasurement inFlight =
        meter
            .upDownCounterBuilder("lb.calls.in_flight")
            .setUnit("{call}")
            .setDescription("Calls picked onto the endpoint and not yet reported")
            .buildObserver();
    ObservableLongMeasurement endpointState =
        meter
            .gaugeBuilder("lb.endpoint.state")
            .ofLongs()
            .setUnit("1")
            .setDescription("1 for the endpoint's current health state, 0 for the others")
            .buildObserver();
    ObservableLongMeasurement endpointEjections =
        meter
            .counterBuilder("lb.endpoint.ejections")
            .setUnit("{ejection}")
            .setDescription("Times outlier detection ejected the endpoint")
            .buildObserver();
    ObservableLongMeasurement breakerState =
        meter
            .gaugeBuilder("lb.endpoint.breaker.state")
            .ofLongs()
            .setUnit("1")
            .setDescription("1 for the endpoint's breaker state, 0 for the others")
            .buildObserver();
    ObservableLongMeasurement rateLimited =
        meter
            .counterBuilder("lb.endpoint.rate_limited")
            .setUnit("{call}")
            .setDescription("Calls the endpoint's rate limiter refused")
            .buildObserver();
    ObservableLongMeasurement endpointLimit =
        meter
            .gaugeBuilder("lb.endpoint.concurrency_limit")
            .ofLongs()
            .setUnit("{call}")
            .setDescription("Calls the endpoint takes at once now (fixed cap or adaptive limit)")
            .buildObserver();
    ObservableLongMeasurement balancerLimit =
        meter
            .gaugeBuilder("lb.concurrency_limit")
            .ofLongs()
            .setUnit("{call}")
            .setDescription("The balancer-wide concurrency limit's value now")
            .buildObserver();
    ObservableLongMeasurement waiting =
        meter
            .upDownCounterBuilder("lb.picks.waiting")
            .setUnit("{pick}")
            .setDescription("Picks waiting for capacity under the balancer-wide limit")
            .buildObserver();
    ObservableLongMeasurement endpointsByState =
        meter
            .upDownCounterBuilder("lb.endpoints")
            .setUnit("{endpoint}")
            .setDescription("Endpoints in each health state")
            .buildObserver();
    ObservableLongMeasurement healthyPercent =
        meter
            .gaugeBuilder("lb.healthy_percent")
            .ofLongs()
            .setUnit("%")
            .setDescription("Healthy share of the endpoints routing considers")
            .buildObserver();
    ObservableLongMeasurement panic =
        meter
            .gaugeBuilder("lb.panic")
            .ofLongs()
            .setUnit("1")
            .setDescription("1 while the balancer is in panic mode")
            .buildObserver();
    ObservableLongMeasurement budgetRemaining =
        meter
            .upDownCounterBuilder("lb.retry_budget.remaining")
            .setUnit("{retry}")
            .setDescription("Retries the retry budget allows now")
            .buildObserver();
    ObservableLongMeasurement budgetRefused =
        meter
            .counterBuilder("lb.retry_budget.refused")
            .setUnit("{retry}")
            .setDescription("Retries the retry budget refused")
            .buildObserver();

    this.callback =
        meter.batchCallback(
            () -> {
              BalancerStats s = balancer.stats();
              java.util.EnumMap<HealthStatus, Integer> byState =
                  new java.util.EnumMap<>(HealthStatus.class);
              for (EndpointStats e : s.endpoints()) {
                Attributes a = endpointAttributes(e.endpoint()).observed;
                callsByOutcome.record(e.successes(), outcome(a, "success"));
                callsByOutcome.record(e.failures(), outcome(a, "failure"));
                callsByOutcome.record(e.cancellations(), outcome(a, "cancelled"));
                inFlight.record(e.inFlight(), a);
                for (HealthStatus st : HealthStatus.values()) {
                  endpointState.record(e.health() == st ? 1 : 0, state(a, st));
                }
                byState.merge(e.health(), 1, Integer::sum);
                endpointEjections.record(e.ejections(), a);
                CircuitBreaker.State breaker = e.breakerState();
                if (breaker != null) {
                  for (CircuitBreaker.State st : CircuitBreaker.State.values()) {
                    breakerState.record(breaker == st ? 1 : 0, state(a, st));
                  }
                }
                rateLimited.record(e.limiterRejections(), a);
                if (e.concurrencyLimit() != Integer.MAX_VALUE) {
                  endpointLimit.record(e.concurrencyLimit(), a);
                }
              }
              if (s.concurrencyLimit() != Integer.MAX_VALUE) {
                balancerLimit.record(s.concurrencyLimit(), base);
                waiting.record(s.waiting(), base);
              }
              for (HealthStatus st : HealthStatus.values()) {
                endpointsByState.record(byState.getOrDefault(st, 0), state(base, st));
              }
              healthyPercent.record(s.healthyPercent(), base);
              panic.record(s.panic() ? 1 : 0, base);
              RetryBudget budget = balancer.retryBudget();
              if (budget != null) {
                budgetRemaining.record(budget.remaining(), base);
                budgetRefused.record(budget.refusedCount(), base);
              }
              forgetGone(s);
            },
            callsByOutcome,
            inFlight,
            endpointState,
            endpointEjections,
            breakerState,
            rateLimited,
            endpointLimit,
            balancerLimit,
            waiting,
            endpointsByState,
            healthyPercent,
            panic,
            budgetRemaining,
            budgetRefused);
    balancer.addListener(events);
    balancer.addCallListener(calls);
  }

  /**
   * Reports {@code balancer}'s metrics through {@code openTelemetry}'s meter provider, with the
   * defaults.
   *
   * @param openTelemetry where the metrics go; must not be null
   * @param balancer the balancer to measure; must not be null
   * @return the running telemetry, to {@link #close()} when the balancer goes
   */
  public static LoadBalancerTelemetry create(OpenTelemetry openTelemetry, LoadBalancer balancer) {
    return builder(requireNonNull(openTelemetry, "openTelemetry").getMeter(SCOPE), balancer)
        .build();
  }

  /**
   * Starts the telemetry of {@code balancer} on {@code meter}.
   *
   * @param meter the meter to create the instruments on; must not be null
   * @param balancer the balancer to measure; must not be null
   * @return a new builder
   */
  public static Builder builder(Meter meter, LoadBalancer balancer) {
    return new Builder(requireNonNull(meter, "meter"), requireNonNull(balancer, "balancer"));
  }

  /** Stops reporting: the balancer's listeners and the batch callback are removed. Idempotent. */
  @Override
  public void close() {
    balancer.removeListener(events);
    balancer.removeCallListener(calls);
    callback.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** An endpoint's attributes: for observed instruments, and for its calls' durations. */
  private static final class EndpointAttributes {
    final Attributes observed;
    final Attributes success;
    final Attributes failureWithoutCause;

    EndpointAttributes(Attributes base, Endpoint e) {
      AttributesBuilder b = base.toBuilder().put(ENDPOINT, e.id());
      String zone = e.zone();
      if (zone != null) {
        b.put(ZONE, zone);
      }
      this.observed = b.build();
      Attributes call =
          observed.toBuilder()
              .put(SERVER_ADDRESS, e.host())
              .put(SERVER_PORT, (long) e.port())
              .build();
      this.success = call.toBuilder().put(OUTCOME, "success").build();
      this.failureWithoutCause =
          call.toBuilder().put(OUTCOME, "failure").put(ERROR_TYPE, "_OTHER").build();
    }
  }

  private EndpointAttributes endpointAttributes(Endpoint e) {
    EndpointAttributes a = attributes.get(e.id());
    if (a == null) {
      a = attributes.computeIfAbsent(e.id(), id -> new EndpointAttributes(base, e));
    }
    return a;
  }

  /** Forgets the cached attributes of endpoints gone from the statistics (bounded under churn). */
  private void forgetGone(BalancerStats s) {
    if (attributes.size() <= s.endpoints().size()) {
      return;
    }
    java.util.Set<String> present = new java.util.HashSet<>();
    for (EndpointStats e : s.endpoints()) {
      present.add(e.endpoint().id());
    }
    attributes.keySet().retainAll(present);
  }

  /** How many endpoints' attributes are cached; for tests of churn. */
  int cachedEndpoints() {
    return attributes.size();
  }

  private static Attributes outcome(Attributes a, String outcome) {
    return a.toBuilder().put(OUTCOME, outcome).build();
  }

  private static Attributes state(Attributes a, Enum<?> state) {
    return a.toBuilder().put(STATE, lower(state)).build();
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  static String ejectionCause(String reason) {
    if (reason.endsWith("consecutive failures")) {
      return "consecutive_failures";
    }
    if (reason.startsWith("success rate")) {
      return "success_rate";
    }
    if (reason.startsWith("failure percentage")) {
      return "failure_percentage";
    }
    return "other";
  }

  private final class Calls extends CallListener {
    @Override
    public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
      if (latencyNanos >= 0) {
        duration.record(latencyNanos / 1e9, endpointAttributes(endpoint).success);
      }
    }

    @Override
    public void onFailure(Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {
      if (latencyNanos < 0) {
        return;
      }
      EndpointAttributes a = endpointAttributes(endpoint);
      Attributes attrs =
          cause == null
              ? a.failureWithoutCause
              : a.failureWithoutCause.toBuilder()
                  .put(ERROR_TYPE, cause.getClass().getName())
                  .build();
      duration.record(latencyNanos / 1e9, attrs);
    }
  }

  private final class Events extends LoadBalancerListener {
    @Override
    public void onEndpointRemoved(LoadBalancer b, Endpoint endpoint) {
      attributes.remove(endpoint.id());
    }

    @Override
    public void onHealthChanged(
        LoadBalancer b,
        Endpoint endpoint,
        HealthStatus from,
        HealthStatus to,
        HealthChangeCause cause,
        String detail) {
      healthChanges.add(1, base.toBuilder().put(STATE, lower(to)).put(CAUSE, lower(cause)).build());
    }

    @Override
    public void onEjected(LoadBalancer b, Endpoint endpoint, String reason, Duration time) {
      ejections.add(1, base.toBuilder().put(CAUSE, ejectionCause(reason)).build());
    }

    @Override
    public void onBreakerStateChanged(
        LoadBalancer b, Endpoint endpoint, CircuitBreaker.State from, CircuitBreaker.State to) {
      breakerTransitions.add(
          1, base.toBuilder().put(FROM, lower(from)).put(STATE, lower(to)).build());
    }

    @Override
    public void onNoEndpointAvailable(LoadBalancer b, NoEndpointAvailableException.Reason reason) {
      noEndpoint.add(1, base.toBuilder().put(REASON, lower(reason)).build());
    }
  }

  /** Builds a {@link LoadBalancerTelemetry}; not thread-safe. */
  public static final class Builder {
    private final Meter meter;
    private final LoadBalancer balancer;
    private boolean httpClientDuration;

    private Builder(Meter meter, LoadBalancer balancer) {
      this.meter = meter;
      this.balancer = balancer;
    }

    /**
     * Names call latency {@code http.client.request.duration}, OpenTelemetry's convention for HTTP
     * client requests, rather than {@code lb.client.call.duration}: for balancers whose calls are
     * HTTP attempts, such as lb-okhttp's. Off by default.
     *
     * @param enabled whether to use the HTTP client convention's name
     * @return this builder
     */
    public Builder httpClientDuration(boolean enabled) {
      this.httpClientDuration = enabled;
      return this;
    }

    /**
     * Creates the instruments and starts reporting.
     *
     * @return the running telemetry
     */
    public LoadBalancerTelemetry build() {
      return new LoadBalancerTelemetry(this);
    }
  }

  /** The ids of endpoints whose attributes are cached, for tests. */
  List<String> cachedIds() {
    return List.copyOf(attributes.keySet());
  }
}
