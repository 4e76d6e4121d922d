package dev.lb.micrometer;

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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds one {@link LoadBalancer}'s meters to a Micrometer registry: calls in flight and by outcome,
 * call latency, endpoint states, healthy and unhealthy endpoint counts, panic, ejections by cause,
 * breaker states and transitions, rate-limit rejections, the retry budget and the calls that found
 * no endpoint. The README's "Metrics and monitoring" lists every meter with its type, tags and
 * meaning.
 *
 * <pre>{@code
 * LoadBalancerMetrics.builder(balancer)
 *     .tags(Tags.of("region", "eu-west-1"))
 *     .percentiles(0.5, 0.99)
 *     .build()
 *     .bindTo(registry);
 * }</pre>
 *
 * <p>Every meter carries the tag {@code balancer} (the balancer's name) and the tags set with
 * {@link Builder#tags}; an endpoint's meters also carry {@code endpoint} (its id) and {@code zone}
 * ({@code none} without one). An endpoint's meters are registered when it joins and removed from
 * the registry when it leaves, so churn does not leak meters; an endpoint that comes back gets them
 * again, its counters continuing from the balancer's own counts.
 *
 * <p>Counters and gauges read {@link LoadBalancer#stats()}, taken at most once per {@link
 * Builder#statsMaxAge} (and again after every membership or health event), so a scrape reads the
 * statistics once rather than once per meter. Latency is a {@link Timer} per endpoint and outcome,
 * recorded from every reported call through a {@link CallListener}: distribution options come from
 * {@link Builder#percentiles}, {@link Builder#percentileHistogram} and {@link
 * Builder#serviceLevelObjectives}, or from the registry's {@code MeterFilter}s as usual.
 *
 * <p>Like Caffeine's {@code CaffeineCacheMetrics}, one instance binds one balancer to one registry
 * (bind it to a {@code CompositeMeterRegistry} for several). Thread-safe: the balancer's events may
 * come from any thread. {@link #close()} unbinds: the listeners are removed and so are the meters.
 */
public final class LoadBalancerMetrics implements MeterBinder, AutoCloseable {
  private static final String NO_ZONE = "none";

  private final LoadBalancer balancer;
  private final Tags tags;
  private final double @Nullable [] percentiles;
  private final boolean percentileHistogram;
  private final Duration @Nullable [] slos;
  private final long statsMaxAgeNanos;

  private final Map<String, EndpointMeters> endpoints = new ConcurrentHashMap<>();
  private final Map<String, Counter> eventCounters = new ConcurrentHashMap<>();
  private final List<Meter> balancerMeters = new ArrayList<>();
  private final Events events = new Events();
  private final Calls calls = new Calls();

  private volatile @Nullable MeterRegistry registry;
  private volatile @Nullable CachedStats cached;

  private LoadBalancerMetrics(Builder b) {
    this.balancer = b.balancer;
    this.tags = Tags.of(b.tags).and("balancer", b.balancer.name());
    this.percentiles = b.percentiles;
    this.percentileHistogram = b.percentileHistogram;
    this.slos = b.slos;
    this.statsMaxAgeNanos = b.statsMaxAge.toNanos();
  }

  /**
   * Binds {@code balancer}'s meters to {@code registry} with the default options.
   *
   * @param registry where the meters go; must not be null
   * @param balancer the balancer to measure; must not be null
   * @return the binder, to {@link #close()} when the balancer goes
   * @throws NullPointerException if an argument is null
   */
  public static LoadBalancerMetrics monitor(MeterRegistry registry, LoadBalancer balancer) {
    LoadBalancerMetrics metrics = builder(balancer).build();
    metrics.bindTo(requireNonNull(registry, "registry"));
    return metrics;
  }

  /**
   * Starts a binder for {@code balancer}.
   *
   * @param balancer the balancer to measure; must not be null
   * @return a new builder
   * @throws NullPointerException if {@code balancer} is null
   */
  public static Builder builder(LoadBalancer balancer) {
    return new Builder(requireNonNull(balancer, "balancer"));
  }

  /**
   * Registers the balancer's meters in {@code registry}, and its endpoints' meters as they come and
   * go.
   *
   * @param registry where the meters go; must not be null
   * @throws IllegalStateException if this binder is bound already
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    synchronized (this) {
      if (this.registry != null) {
        throw new IllegalStateException(
            "the metrics of balancer '" + balancer.name() + "' are bound to a registry already");
      }
      this.registry = registry;
      bindBalancerMeters(registry);
    }
    balancer.addListener(events);
    balancer.addCallListener(calls);
    reconcile();
  }

  /** Unbinds: the balancer's listeners and every meter this binder registered are removed. */
  @Override
  public void close() {
    MeterRegistry r;
    synchronized (this) {
      r = registry;
      if (r == null) {
        return;
      }
      registry = null;
    }
    balancer.removeListener(events);
    balancer.removeCallListener(calls);
    for (String id : List.copyOf(endpoints.keySet())) {
      unregister(r, id);
    }
    synchronized (this) {
      for (Meter m : balancerMeters) {
        r.remove(m);
      }
      balancerMeters.clear();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Balancer-level meters

  private void bindBalancerMeters(MeterRegistry r) {
    for (HealthStatus status : HealthStatus.values()) {
      balancerMeters.add(
          gauge(
              r,
              "lb.endpoints",
              tags.and("state", lower(status)),
              "endpoints in this health state",
              s -> count(s, status)));
    }
    balancerMeters.add(
        gauge(
            r,
            "lb.endpoints.healthy",
            tags,
            "endpoints taking calls (healthy)",
            s -> count(s, HealthStatus.HEALTHY)));
    balancerMeters.add(
        gauge(
            r,
            "lb.endpoints.unhealthy",
            tags,
            "endpoints out of rotation by failed checks, a transport or ejection",
            s -> count(s, HealthStatus.UNHEALTHY) + count(s, HealthStatus.EJECTED)));
    balancerMeters.add(
        gauge(
            r,
            "lb.healthy.percent",
            tags,
            "healthy share of the endpoints routing considers, 0 to 100",
            BalancerStats::healthyPercent));
    balancerMeters.add(
        gauge(r, "lb.panic", tags, "1 while in panic mode, else 0", s -> s.panic() ? 1 : 0));
    if (balancer.stats().concurrencyLimit() != Integer.MAX_VALUE) {
      balancerMeters.add(
          gauge(
              r,
              "lb.concurrency.limit",
              tags,
              "the balancer-wide concurrency limit's value now",
              BalancerStats::concurrencyLimit));
      balancerMeters.add(
          gauge(
              r,
              "lb.picks.waiting",
              tags,
              "picks waiting for capacity under the balancer-wide limit",
              BalancerStats::waiting));
    }
    RetryBudget budget = balancer.retryBudget();
    if (budget != null) {
      balancerMeters.add(
          Gauge.builder("lb.retry.budget.remaining", budget, RetryBudget::remaining)
              .tags(tags)
              .description("retries the retry budget allows now")
              .strongReference(true)
              .register(r));
      balancerMeters.add(
          FunctionCounter.builder("lb.retry.budget.refused", budget, RetryBudget::refusedCount)
              .tags(tags)
              .description("retries the retry budget refused")
              .register(r));
    }
  }

  private Gauge gauge(
      MeterRegistry r,
      String name,
      Iterable<Tag> meterTags,
      String description,
      ToDoubleFunction<BalancerStats> value) {
    return Gauge.builder(name, this, m -> value.applyAsDouble(m.stats().stats))
        .tags(meterTags)
        .description(description)
        .strongReference(true)
        .register(r);
  }

  private static int count(BalancerStats s, HealthStatus status) {
    int n = 0;
    for (EndpointStats e : s.endpoints()) {
      if (e.health() == status) {
        n++;
      }
    }
    return n;
  }

  /** A counter of events, registered on first use and removed by {@link #close()}. */
  private void increment(String name, String description, String... tagPairs) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    String key = name + String.join("\u0000", tagPairs);
    eventCounters
        .computeIfAbsent(
            key,
            k -> {
              Counter c =
                  Counter.builder(name)
                      .tags(tags.and(tagPairs))
                      .description(description)
                      .register(r);
              synchronized (this) {
                balancerMeters.add(c);
              }
              return c;
            })
        .increment();
  }

  // ---------------------------------------------------------------------------------------------
  // Endpoint-level meters

  /** Registers the meters of endpoints that joined and removes those of endpoints that left. */
  private void reconcile() {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    List<Endpoint> members = balancer.endpoints();
    Map<String, Endpoint> byId = new HashMap<>();
    for (Endpoint e : members) {
      byId.put(e.id(), e);
      register(r, e);
    }
    for (String id : List.copyOf(endpoints.keySet())) {
      if (!byId.containsKey(id)) {
        unregister(r, id);
      }
    }
  }

  private void register(MeterRegistry r, Endpoint endpoint) {
    endpoints.computeIfAbsent(endpoint.id(), id -> new EndpointMeters(r, endpoint));
  }

  private void unregister(MeterRegistry r, String id) {
    EndpointMeters m = endpoints.remove(id);
    if (m != null) {
      for (Meter meter : m.meters) {
        r.remove(meter);
      }
    }
  }

  /** How many endpoints have meters now; for tests of churn. */
  int endpointsWithMeters() {
    return endpoints.size();
  }

  /** One endpoint's meters, and its latency timers for the call listener. */
  private final class EndpointMeters {
    final String id;
    final List<Meter> meters = new ArrayList<>();
    final Timer successes;
    final Timer failures;

    EndpointMeters(MeterRegistry r, Endpoint endpoint) {
      this.id = endpoint.id();
      String zone = endpoint.zone();
      Tags t = tags.and("endpoint", id, "zone", zone == null ? NO_ZONE : zone);
      meters.add(
          Gauge.builder("lb.calls.in.flight", this, m -> m.read(EndpointStats::inFlight))
              .tags(t)
              .description("calls picked onto the endpoint and not yet reported")
              .strongReference(true)
              .register(r));
      meters.add(callCounter(r, t, "success", EndpointStats::successes));
      meters.add(callCounter(r, t, "failure", EndpointStats::failures));
      meters.add(callCounter(r, t, "cancelled", EndpointStats::cancellations));
      for (HealthStatus status : HealthStatus.values()) {
        meters.add(
            Gauge.builder("lb.endpoint.state", this, m -> m.read(e -> e.health() == status ? 1 : 0))
                .tags(t.and("state", lower(status)))
                .description("1 while the endpoint is in this health state, else 0")
                .strongReference(true)
                .register(r));
      }
      EndpointStats now = stats().byId.get(id);
      if (now != null && now.concurrencyLimit() != Integer.MAX_VALUE) {
        meters.add(
            Gauge.builder(
                    "lb.endpoint.concurrency.limit",
                    this,
                    m -> m.read(EndpointStats::concurrencyLimit))
                .tags(t)
                .description("calls the endpoint takes at once now (fixed cap or adaptive limit)")
                .strongReference(true)
                .register(r));
      }
      if (now != null && now.breakerState() != null) {
        for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
          meters.add(
              Gauge.builder(
                      "lb.endpoint.breaker.state",
                      this,
                      m -> m.read(e -> e.breakerState() == state ? 1 : 0))
                  .tags(t.and("state", lower(state)))
                  .description("1 while the endpoint's circuit breaker is in this state, else 0")
                  .strongReference(true)
                  .register(r));
        }
      }
      meters.add(
          FunctionCounter.builder(
                  "lb.endpoint.rate.limited", this, m -> m.read(EndpointStats::limiterRejections))
              .tags(t)
              .description("calls the endpoint's rate limiter refused")
              .register(r));
      meters.add(
          FunctionCounter.builder(
                  "lb.endpoint.ejections", this, m -> m.read(EndpointStats::ejections))
              .tags(t)
              .description("times outlier detection ejected the endpoint")
              .register(r));
      this.successes = timer(r, t, "success");
      this.failures = timer(r, t, "failure");
      meters.add(successes);
      meters.add(failures);
    }

    private FunctionCounter callCounter(
        MeterRegistry r, Tags t, String outcome, ToDoubleFunction<EndpointStats> count) {
      return FunctionCounter.builder("lb.calls", this, m -> m.read(count))
          .tags(t.and("outcome", outcome))
          .description("calls reported on the endpoint, by outcome")
          .register(r);
    }

    private Timer timer(MeterRegistry r, Tags t, String outcome) {
      Timer.Builder b =
          Timer.builder("lb.call.duration")
              .tags(t.and("outcome", outcome))
              .description("latency of the calls reported on the endpoint, as callers measured it")
              .publishPercentileHistogram(percentileHistogram);
      double[] p = percentiles;
      if (p != null) {
        b.publishPercentiles(p);
      }
      Duration[] s = slos;
      if (s != null) {
        b.serviceLevelObjectives(s);
      }
      return b.register(r);
    }

    /** A value of this endpoint's statistics; NaN once it is no longer in them. */
    double read(ToDoubleFunction<EndpointStats> value) {
      EndpointStats e = stats().byId.get(id);
      return e == null ? Double.NaN : value.applyAsDouble(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Statistics, read once per scrape

  private static final class CachedStats {
    final BalancerStats stats;
    final Map<String, EndpointStats> byId;
    final long takenNanos;

    CachedStats(BalancerStats stats, long takenNanos) {
      this.stats = stats;
      this.takenNanos = takenNanos;
      Map<String, EndpointStats> map = new HashMap<>();
      for (EndpointStats e : stats.endpoints()) {
        map.put(e.endpoint().id(), e);
      }
      this.byId = map;
    }
  }

  private CachedStats stats() {
    long now = System.nanoTime();
    CachedStats c = cached;
    if (c == null || now - c.takenNanos > statsMaxAgeNanos || statsMaxAgeNanos == 0) {
      c = new CachedStats(balancer.stats(), now);
      cached = c;
    }
    return c;
  }

  private void invalidate() {
    cached = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /** The kind of detector behind an ejection, from the reason lb-core's outlier detection gives. */
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

  private final class Events extends LoadBalancerListener {
    @Override
    public void onEndpointAdded(LoadBalancer b, Endpoint endpoint) {
      invalidate();
      MeterRegistry r = registry;
      if (r != null) {
        register(r, endpoint);
      }
    }

    @Override
    public void onEndpointRemoved(LoadBalancer b, Endpoint endpoint) {
      invalidate();
      MeterRegistry r = registry;
      if (r != null) {
        unregister(r, endpoint.id());
      }
    }

    @Override
    public void onHealthChanged(
        LoadBalancer b,
        Endpoint endpoint,
        HealthStatus from,
        HealthStatus to,
        HealthChangeCause cause,
        String detail) {
      invalidate();
      increment(
          "lb.health.changes",
          "endpoint health transitions, by the state entered and the cause",
          "to",
          lower(to),
          "cause",
          lower(cause));
    }

    @Override
    public void onEjected(LoadBalancer b, Endpoint endpoint, String reason, Duration time) {
      invalidate();
      increment("lb.ejections", "outlier ejections, by detector", "cause", ejectionCause(reason));
    }

    @Override
    public void onRoutingChanged(LoadBalancer b) {
      invalidate();
    }

    @Override
    public void onBreakerStateChanged(
        LoadBalancer b, Endpoint endpoint, CircuitBreaker.State from, CircuitBreaker.State to) {
      invalidate();
      increment(
          "lb.breaker.transitions",
          "circuit breaker state transitions over the balancer's endpoints",
          "from",
          lower(from),
          "to",
          lower(to));
    }

    @Override
    public void onNoEndpointAvailable(LoadBalancer b, NoEndpointAvailableException.Reason reason) {
      increment(
          "lb.no.endpoint",
          "calls that found no endpoint to take them, by reason",
          "reason",
          lower(reason));
    }
  }

  private final class Calls extends CallListener {
    @Override
    public void onSuccess(Endpoint endpoint, long latencyNanos, long responseBytes) {
      EndpointMeters m = endpoints.get(endpoint.id());
      if (m != null && latencyNanos >= 0) {
        m.successes.record(latencyNanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void onFailure(Endpoint endpoint, long latencyNanos, @Nullable Throwable cause) {
      EndpointMeters m = endpoints.get(endpoint.id());
      if (m != null && latencyNanos >= 0) {
        m.failures.record(latencyNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** Builds a {@link LoadBalancerMetrics}; not thread-safe. */
  public static final class Builder {
    private final LoadBalancer balancer;
    private Iterable<Tag> tags = Tags.empty();
    private double @Nullable [] percentiles;
    private boolean percentileHistogram;
    private Duration @Nullable [] slos;
    private Duration statsMaxAge = Duration.ofMillis(100);

    private Builder(LoadBalancer balancer) {
      this.balancer = balancer;
    }

    /**
     * Adds tags to every meter, such as the application or region.
     *
     * @param tags the tags; must not be null
     * @return this builder
     */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = requireNonNull(tags, "tags");
      return this;
    }

    /**
     * Publishes these client-side percentiles of call latency (per endpoint and outcome, not
     * aggregable across endpoints). None by default.
     *
     * @param percentiles each in [0, 1], such as 0.5, 0.99
     * @return this builder
     * @throws IllegalArgumentException if one is outside [0, 1]
     */
    public Builder percentiles(double... percentiles) {
      for (double p : percentiles) {
        if (!(p >= 0 && p <= 1)) {
          throw new IllegalArgumentException("percentiles must be in [0, 1] but one was " + p);
        }
      }
      this.percentiles = percentiles.clone();
      return this;
    }

    /**
     * Publishes a histogram of call latency that the monitoring system can aggregate (Prometheus
     * {@code histogram_quantile}). Off by default.
     *
     * @param enabled whether to publish it
     * @return this builder
     */
    public Builder percentileHistogram(boolean enabled) {
      this.percentileHistogram = enabled;
      return this;
    }

    /**
     * Publishes histogram buckets at these latencies, for alerts on a latency objective.
     *
     * @param slos the bucket boundaries; must not be null or contain null
     * @return this builder
     */
    public Builder serviceLevelObjectives(Duration... slos) {
      for (Duration d : slos) {
        requireNonNull(d, "slos");
      }
      this.slos = slos.clone();
      return this;
    }

    /**
     * How long one reading of {@link LoadBalancer#stats()} serves the counters and gauges: a scrape
     * reads every meter within a few milliseconds, so the default of 100 ms takes one copy per
     * scrape. Membership and health events discard the copy at once. {@link Duration#ZERO} reads
     * the statistics for every meter.
     *
     * @param maxAge zero or positive; must not be null
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder statsMaxAge(Duration maxAge) {
      requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative()) {
        throw new IllegalArgumentException("statsMaxAge must not be negative but was " + maxAge);
      }
      this.statsMaxAge = maxAge;
      return this;
    }

    /**
     * Returns the binder; call {@link LoadBalancerMetrics#bindTo} to register the meters.
     *
     * @return a new binder
     */
    public LoadBalancerMetrics build() {
      return new LoadBalancerMetrics(this);
    }
  }

  /** The ids of endpoints with meters, for tests. */
  Collection<String> endpointIds() {
    return List.copyOf(endpoints.keySet());
  }
}
