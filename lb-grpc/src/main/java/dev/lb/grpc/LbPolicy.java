package dev.lb.grpc;

import dev.lb.BalancerStats;
import dev.lb.Endpoint;
import dev.lb.LoadBalancer;
import dev.lb.LoadBalancerListener;
import dev.lb.Scheduler;
import dev.lb.Ticker;
import dev.lb.TrafficPolicy;
import dev.lb.health.DrainResult;
import dev.lb.health.HealthCheckConfig;
import dev.lb.health.HealthCheckResult;
import dev.lb.health.HealthChecker;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Prequal;
import dev.lb.strategy.Strategy;
import io.grpc.Channel;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.MetricRecorder;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC load-balancing policy behind every {@link LbLoadBalancerProvider}: one subchannel per
 * resolved address group, and an lb-core {@link LoadBalancer} over every resolved endpoint, in
 * which an endpoint whose subchannel is not READY is {@linkplain LoadBalancer#markDown marked down}
 * and marked up again when it is READY. Its health (active checks, outlier ejection, slow start,
 * panic) is lb-core's, so it survives reconnections.
 *
 * <p>Connectivity follows gRPC's {@code round_robin}: every subchannel connects at once and
 * reconnects at once when it goes IDLE (the subchannel applies gRPC's connection backoff); a
 * subchannel in TRANSIENT_FAILURE counts as failed until it is READY again, even while it retries
 * (sticky TRANSIENT_FAILURE, gRFC A62); TRANSIENT_FAILURE and IDLE ask the resolver to refresh. The
 * channel is READY when any subchannel is, CONNECTING while none is READY and some may still
 * connect (picks are buffered), and TRANSIENT_FAILURE when all failed (picks fail with the last
 * connection error, except wait-for-ready calls, which gRPC keeps buffered).
 *
 * <p>With {@code healthCheck} configured, the balancer probes each endpoint with {@link
 * GrpcHealthChecker} over its own subchannel, as gRPC's client-side health checking does; a server
 * answering NOT_SERVING turns unhealthy after the fall threshold and takes no calls (outside panic
 * mode) until it passes the rise threshold.
 *
 * <p>Not thread-safe by design: gRPC calls every method on the channel's synchronization context.
 * Only {@link #stats()} may be called from any thread.
 */
final class LbPolicy extends io.grpc.LoadBalancer implements ControlledPolicy {
  private static final SubchannelPicker BUFFER_PICKER =
      new SubchannelPicker() {
        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
          return PickResult.withNoResult();
        }

        @Override
        public String toString() {
          return "LbPolicy.BUFFER_PICKER";
        }
      };

  private final Helper helper;
  private final @Nullable TrafficPolicy trafficPolicy;

  /**
   * Creates the subchannels of strategies that read load reports: {@link #helper}, wrapped so that
   * they can stream ORCA's out-of-band reports (made when first needed).
   */
  private @Nullable Helper orcaHelper;

  private final PolicyConfig defaultConfig;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final String authority;
  private final String target;
  private final Runnable unregister;

  private Map<String, Entry> entries = new LinkedHashMap<>();
  // Every subchannel by endpoint id, for health checks on the balancer's scheduler threads.
  private volatile Map<String, Subchannel> subchannelsById = Map.of();
  // The ids of READY subchannels, for the same threads.
  private volatile Set<String> readyIds = Set.of();
  private @Nullable PolicyConfig config;
  private volatile @Nullable LoadBalancer balancer;

  // lb's metrics through the channel's MetricRecorder (grpc-opentelemetry, any MetricSink).
  private final PolicyMetrics metrics;
  private final MetricRecorder.Registration gauges;
  private @Nullable ConnectivityState publishedState;
  private @Nullable Object publishedKey;
  // Counts publications, so that a queued republish sees whether a newer picker went out since.
  private volatile long publications;
  // The READY picker's subchannels, to publish an equal picker again (see Republisher).
  private Map<String, LbPicker.Ready> publishedReady = Map.of();
  private Status lastConnectionError =
      Status.UNAVAILABLE.withDescription("no subchannel has failed to connect yet");
  private boolean shutdown;
  // Endpoints LbControl took out of rotation (disabled or drained), by id: applied again to a
  // rebuilt balancer and to a member the resolver re-adds. Written by control calls on any thread
  // before they read the balancer; the balancer is replaced before this set is read (see
  // applyOutOfRotation), so one of the two sides always sees the other's write.
  private final Set<String> outOfRotation = ConcurrentHashMap.newKeySet();

  LbPolicy(Helper helper, PolicyConfig defaultConfig, Ticker ticker) {
    this(helper, defaultConfig, ticker, (TrafficPolicy) null);
  }

  LbPolicy(
      Helper helper,
      PolicyConfig defaultConfig,
      Ticker ticker,
      @Nullable TrafficPolicy trafficPolicy) {
    this(
        helper,
        defaultConfig,
        ticker,
        Scheduler.of(helper.getScheduledExecutorService()),
        trafficPolicy);
  }

  /** With the balancer's clock and timers given: tests pass fake ones driven by fake time. */
  LbPolicy(Helper helper, PolicyConfig defaultConfig, Ticker ticker, Scheduler scheduler) {
    this(helper, defaultConfig, ticker, scheduler, null);
  }

  LbPolicy(
      Helper helper,
      PolicyConfig defaultConfig,
      Ticker ticker,
      Scheduler scheduler,
      @Nullable TrafficPolicy trafficPolicy) {
    this.trafficPolicy = trafficPolicy;
    this.helper = helper;
    this.defaultConfig = defaultConfig;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.authority = helper.getAuthority();
    this.target = channelTarget(helper);
    this.metrics = new PolicyMetrics(helper.getMetricRecorder(), target);
    this.gauges = metrics.registerGauges(() -> balancer);
    this.unregister = LbChannels.register(target, this);
  }

  private static String channelTarget(Helper helper) {
    try {
      String target = helper.getChannelTarget();
      return target != null ? target : helper.getAuthority();
    } catch (UnsupportedOperationException e) {
      return helper.getAuthority();
    }
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    if (shutdown) {
      return Status.OK;
    }
    Object raw = resolved.getLoadBalancingPolicyConfig();
    PolicyConfig next = raw instanceof PolicyConfig c ? c : defaultConfig;
    Map<String, Desired> desired = desired(resolved.getAddresses());
    if (desired.isEmpty()) {
      Status error =
          Status.UNAVAILABLE.withDescription(
              "name resolution for '"
                  + authority
                  + "' returned no usable addresses: "
                  + resolved.getAddresses());
      handleNameResolutionError(error);
      return error;
    }
    PolicyConfig current = config;
    LoadBalancer previous = balancer;
    if (previous == null || current == null || !current.sameBalancer(next)) {
      balancer = newBalancer(next, previous);
      if (previous != null) {
        previous.close();
      }
      for (Entry e : entries.values()) {
        e.markedUp = null;
      }
      publishedKey = null;
    }
    config = next;

    Map<String, Entry> updated = new LinkedHashMap<>();
    boolean orca = wantsOrcaSubchannels(next);
    boolean oob = orca && outOfBandPeriodNanos(next) >= 0;
    for (Desired d : desired.values()) {
      Entry entry = entries.remove(d.endpoint.id());
      if (entry != null && oob && !entry.orcaCapable) {
        // Out-of-band reports asked for on a subchannel made before any strategy wanted them
        // (the generic policy switched to them): it cannot stream them, so this endpoint
        // reconnects once. The ORCA policy's subchannels are all made able to from the start.
        endReadyPeriod(entry);
        entry.subchannel.shutdown();
        entry = null;
      }
      if (entry == null) {
        entry = start(d, orca);
      } else {
        if (!entry.group.getAddresses().equals(d.group.getAddresses())) {
          entry.subchannel.updateAddresses(List.of(d.group));
        }
        entry.group = d.group;
        entry.endpoint = d.endpoint;
      }
      updated.put(d.endpoint.id(), entry);
    }
    for (Entry removed : entries.values()) {
      endReadyPeriod(removed);
      removed.subchannel.shutdown();
    }
    entries = updated;
    Map<String, Subchannel> byId = new LinkedHashMap<>();
    updated.forEach((id, e) -> byId.put(id, e.subchannel));
    subchannelsById = Map.copyOf(byId);
    syncMembership();
    applyOutOfBandReports(next);
    return Status.OK;
  }

  /**
   * Asks every subchannel's server for ORCA's out-of-band reports as the strategy wants them (A58's
   * {@code enable_oob_load_report}, every {@code oob_reporting_period}), or stops asking; each
   * report becomes its endpoint's latest in the current balancer.
   */
  private void applyOutOfBandReports(PolicyConfig c) {
    long period = outOfBandPeriodNanos(c);
    for (Entry e : entries.values()) {
      if (e.oobPeriodNanos == period || (!e.orcaCapable && period >= 0 && OrcaSupport.AVAILABLE)) {
        continue;
      }
      e.oobPeriodNanos = period;
      String id = e.endpoint.id();
      OrcaSupport.outOfBand(
          e.subchannel,
          period < 0
              ? null
              : report -> {
                LoadBalancer b = balancer;
                if (!shutdown && b != null && entries.get(id) == e) {
                  b.reportLoad(id, report);
                }
              },
          Math.max(1, period));
    }
  }

  /**
   * A balancer for {@code c}. Replacing {@code previous} (an option changed), it starts with the
   * current members and inherits their statistics and health ({@link
   * LoadBalancer.Builder#inheritFrom}); connectivity and {@link LbControl}'s changes are applied to
   * it again by {@link #syncMembership}.
   */
  private LoadBalancer newBalancer(PolicyConfig c, @Nullable LoadBalancer previous) {
    LoadBalancer.Builder builder =
        LoadBalancer.builder()
            .name(authority)
            .strategy(withProber(c.strategy))
            .decayWindow(c.decayWindow)
            .ticker(ticker)
            .scheduler(scheduler)
            // Every state change of the balancer (timer work, outcome-triggered ejections and
            // breaker moves) and every event then happen on the channel's synchronization context.
            .stateExecutor(helper.getSynchronizationContext())
            .listener(new ChannelEvents(helper.getChannelLogger(), target))
            .listener(metrics.events())
            .listener(new Republisher());
    c.balancerOptions.applyTo(builder);
    if (trafficPolicy != null) {
      builder.trafficPolicy(trafficPolicy);
    }
    PolicyConfig.HealthCheckSpec spec = c.healthCheck;
    if (spec != null) {
      GrpcHealthChecker grpcChecker =
          GrpcHealthChecker.builder(this::subchannelChannel).service(spec.service()).build();
      // Connectivity is markDown's business: a subchannel that is not READY has nothing to say
      // about the server's health, so its check passes rather than count towards the fall.
      HealthChecker checker =
          (endpoint, timeout) ->
              readyIds.contains(endpoint.id())
                  ? grpcChecker.check(endpoint, timeout)
                  : CompletableFuture.completedFuture(HealthCheckResult.healthy());
      builder.healthCheck(
          HealthCheckConfig.builder(checker)
              .interval(spec.interval())
              .timeout(spec.timeout())
              .healthyThreshold(spec.rise())
              .unhealthyThreshold(spec.fall())
              .build());
    }
    if (previous != null) {
      List<Endpoint> members = new ArrayList<>(entries.size());
      for (Entry e : entries.values()) {
        members.add(e.endpoint);
      }
      builder.endpoints(members).inheritFrom(previous);
    }
    LoadBalancer built = builder.build();
    built.addCallListener(metrics.calls());
    return built;
  }

  /**
   * {@code prequal} without a prober of its own probes each endpoint over its subchannel ({@link
   * GrpcProber}), the probes started on the balancer's scheduler rather than on the channel's
   * synchronization context, where the probe timer runs.
   */
  private Strategy withProber(Strategy strategy) {
    if (!(strategy instanceof Prequal p) || p.prober() != null) {
      return strategy;
    }
    Prequal.Builder b =
        p.toBuilder().prober(GrpcProber.create(this::subchannelChannel, p.probeTimeout()));
    if (p.probeExecutor() == null) {
      b.probeExecutor(task -> scheduler.schedule(task, 0));
    }
    return b.build();
  }

  /** The channel over an endpoint's own subchannel, for its health checks; any thread. */
  private Channel subchannelChannel(Endpoint endpoint) {
    Subchannel subchannel = subchannelsById.get(endpoint.id());
    if (subchannel == null) {
      throw new IllegalStateException("no subchannel for " + endpoint.id());
    }
    return subchannel.asChannel();
  }

  /** The endpoints the address groups stand for, by id, in order; bad or repeated ones skipped. */
  private Map<String, Desired> desired(List<EquivalentAddressGroup> groups) {
    Map<String, Desired> desired = new LinkedHashMap<>();
    for (EquivalentAddressGroup group : groups) {
      Endpoint endpoint;
      try {
        endpoint = LbAttributes.endpointOf(group);
      } catch (IllegalArgumentException e) {
        helper
            .getChannelLogger()
            .log(ChannelLogLevel.WARNING, "lb: skipped address group {0}: {1}", group, e);
        continue;
      }
      if (desired.putIfAbsent(endpoint.id(), new Desired(endpoint, group)) != null) {
        helper
            .getChannelLogger()
            .log(ChannelLogLevel.WARNING, "lb: skipped {0}: its id repeats", group);
      }
    }
    return desired;
  }

  /**
   * Whether new subchannels should be able to stream ORCA's out-of-band reports: always under a
   * policy whose default strategy reads load reports ({@code lb_orca_weighted_round_robin}, so that
   * turning {@code enableOobLoadReport} on never reconnects), and under others while {@code c} asks
   * for them; never without gRPC's ORCA API.
   */
  private boolean wantsOrcaSubchannels(PolicyConfig c) {
    return OrcaSupport.AVAILABLE
        && (defaultConfig.strategy.usesLoadReports() || outOfBandPeriodNanos(c) >= 0);
  }

  /** The out-of-band reporting period {@code c} asks for, or -1 if it asks for none. */
  private static long outOfBandPeriodNanos(PolicyConfig c) {
    return c.strategy instanceof OrcaWeightedRoundRobin wrr && wrr.enableOobLoadReport()
        ? wrr.oobReportingPeriod().toNanos()
        : -1;
  }

  private Entry start(Desired d, boolean orca) {
    Helper h = helper;
    if (orca) {
      Helper o = orcaHelper;
      if (o == null) {
        o = OrcaSupport.subchannelHelper(helper);
        orcaHelper = o;
      }
      h = o;
    }
    Subchannel subchannel =
        h.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(d.group).build());
    Entry entry = new Entry(d.endpoint, d.group, subchannel, orca);
    subchannel.start(info -> onSubchannelState(entry, info));
    subchannel.requestConnection();
    return entry;
  }

  private void onSubchannelState(Entry entry, ConnectivityStateInfo info) {
    if (shutdown || entries.get(entry.endpoint.id()) != entry) {
      return;
    }
    ConnectivityState state = info.getState();
    if (state != ConnectivityState.READY) {
      endReadyPeriod(entry);
    } else if (entry.pending == null) {
      entry.pending = new PendingPicks();
    }
    if (state == ConnectivityState.SHUTDOWN) {
      return;
    }
    if (state == ConnectivityState.IDLE) {
      entry.subchannel.requestConnection();
      helper.refreshNameResolution();
    } else if (state == ConnectivityState.TRANSIENT_FAILURE) {
      lastConnectionError = info.getStatus();
      helper.refreshNameResolution();
    }
    if (entry.state == ConnectivityState.TRANSIENT_FAILURE
        && (state == ConnectivityState.CONNECTING || state == ConnectivityState.IDLE)) {
      return; // sticky: failed until READY again
    }
    entry.state = state;
    try {
      applyAvailability(Objects.requireNonNull(balancer), entry);
    } catch (RuntimeException e) {
      publishBalancerFailure(e);
      return;
    }
    publishPicker();
  }

  /**
   * Cancels the leases of the picks made onto {@code entry}'s subchannel while it was READY whose
   * stream never started: gRPC dropped them (no transport) and will pick again elsewhere.
   */
  private void endReadyPeriod(Entry entry) {
    PendingPicks pending = entry.pending;
    if (pending == null) {
      return;
    }
    entry.pending = null;
    int cancelled = pending.closeAndCancel();
    if (cancelled > 0) {
      helper
          .getChannelLogger()
          .log(
              ChannelLogLevel.DEBUG,
              "lb: {0} left READY; cancelled {1} picks whose stream never started",
              entry.endpoint.id(),
              cancelled);
    }
  }

  /**
   * Sets the balancer's membership to every resolved endpoint and tells it the availability of
   * those it has not been told about (all of them after a new balancer), then publishes. Runs on
   * resolver updates only: a subchannel's state change goes through {@link #applyAvailability} for
   * that subchannel alone.
   */
  private void syncMembership() {
    LoadBalancer b = Objects.requireNonNull(balancer);
    List<Endpoint> all = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      all.add(e.endpoint);
    }
    try {
      b.setEndpoints(all);
      for (Entry e : entries.values()) {
        applyAvailability(b, e);
      }
      applyOutOfRotation(b);
    } catch (RuntimeException e) {
      publishBalancerFailure(e);
      return;
    }
    publishPicker();
  }

  /** Disables the members LbControl took out of rotation; idempotent. */
  private void applyOutOfRotation(LoadBalancer b) {
    for (String id : outOfRotation) {
      if (b.health(id) != null) {
        b.disable(id);
      }
    }
  }

  /**
   * The one path from gRPC's connectivity to lb-core's health: a subchannel that is READY is marked
   * up, any other state marked down (with the state as the reason), each only when it changes.
   */
  private static void applyAvailability(LoadBalancer b, Entry e) {
    boolean up = e.state == ConnectivityState.READY;
    if (Boolean.valueOf(up).equals(e.markedUp)) {
      return;
    }
    if (up) {
      b.markUp(e.endpoint.id());
    } else {
      b.markDown(e.endpoint.id(), ChannelEvents.CONNECTIVITY_REASON_PREFIX + e.state);
    }
    e.markedUp = up;
  }

  private void publishBalancerFailure(RuntimeException e) {
    PolicyConfig c = Objects.requireNonNull(config);
    publish(
        ConnectivityState.TRANSIENT_FAILURE,
        new ErrorPicker(
            Status.INTERNAL
                .withDescription(
                    "strategy "
                        + c.strategy.name()
                        + " failed to build a picker: "
                        + StatusText.oneLine(e))
                .withCause(e)),
        null);
  }

  /**
   * Publishes the channel's state from its subchannels': READY with a picker over the READY ones,
   * CONNECTING while some may still connect, else TRANSIENT_FAILURE.
   */
  private void publishPicker() {
    LoadBalancer b = Objects.requireNonNull(balancer);
    PolicyConfig c = Objects.requireNonNull(config);
    Map<String, LbPicker.Ready> readySubchannels = new LinkedHashMap<>();
    boolean connecting = false;
    for (Entry e : entries.values()) {
      PendingPicks pending = e.pending;
      if (e.state == ConnectivityState.READY && pending != null) {
        readySubchannels.put(e.endpoint.id(), new LbPicker.Ready(e.subchannel, pending));
      } else if (e.state != ConnectivityState.TRANSIENT_FAILURE) {
        connecting = true;
      }
    }
    readyIds = Set.copyOf(readySubchannels.keySet());
    if (!readySubchannels.isEmpty()) {
      List<Object> key = List.of(b, c, readySubchannels);
      publishedReady = readySubchannels;
      publish(ConnectivityState.READY, new LbPicker(b, readySubchannels, c), key);
    } else if (connecting) {
      publish(ConnectivityState.CONNECTING, BUFFER_PICKER, ConnectivityState.CONNECTING);
    } else {
      publish(
          ConnectivityState.TRANSIENT_FAILURE,
          new ErrorPicker(
              Status.UNAVAILABLE
                  .withDescription(
                      "none of the "
                          + entries.size()
                          + " endpoints of '"
                          + authority
                          + "' is reachable; last connection error: "
                          + StatusText.describe(lastConnectionError))
                  .withCause(lastConnectionError.getCause())),
          null);
    }
  }

  /** Publishes unless {@code key} (null: always publish) says nothing changed. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the synchronization context
  private void publish(ConnectivityState state, SubchannelPicker picker, @Nullable Object key) {
    if (key != null && state == publishedState && key.equals(publishedKey)) {
      return;
    }
    publishedState = state;
    publishedKey = key;
    publications++; // only the synchronization context writes
    helper.updateBalancingState(state, picker);
  }

  /**
   * Publishes the READY picker again when the balancer says its routing changed ({@link
   * LoadBalancerListener#onRoutingChanged}, the one event lb-core sends for every new routing
   * snapshot: an ejection or its end, a breaker opening or closing, health, panic, a drain, an
   * administrative change, a slow-start step), so no list of the events that matter is kept here. A
   * change this policy made itself, from a subchannel state, is published by that path and the
   * queued republish is skipped. gRPC retries the picks it buffered (wait-for-ready calls that
   * found no endpoint, say) only when a picker is published; without this they would wait for the
   * next connectivity change or their deadline. Events arrive on whichever thread made the change;
   * the republish runs on the synchronization context, at most one queued at a time, and is skipped
   * if a newer picker went out meanwhile.
   */
  private final class Republisher extends LoadBalancerListener {
    private final AtomicBoolean queued = new AtomicBoolean();

    @Override
    public void onRoutingChanged(LoadBalancer lb) {
      request(lb);
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the synchronization context
    private void request(LoadBalancer lb) {
      if (!queued.compareAndSet(false, true)) {
        return;
      }
      long seen = publications;
      helper
          .getSynchronizationContext()
          .execute(
              () -> {
                queued.set(false);
                PolicyConfig c = config;
                if (shutdown
                    || lb != balancer
                    || c == null
                    || publications != seen
                    || publishedState != ConnectivityState.READY
                    || publishedReady.isEmpty()) {
                  return;
                }
                publications++;
                helper.updateBalancingState(
                    ConnectivityState.READY, new LbPicker(lb, publishedReady, c));
              });
    }
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (shutdown) {
      return;
    }
    helper
        .getChannelLogger()
        .log(ChannelLogLevel.WARNING, "lb: name resolution failed: {0}", error);
    if (publishedState != ConnectivityState.READY) {
      publish(ConnectivityState.TRANSIENT_FAILURE, new ErrorPicker(error), null);
    }
  }

  @Override
  public void requestConnection() {
    for (Entry e : entries.values()) {
      if (e.state == ConnectivityState.IDLE) {
        e.subchannel.requestConnection();
      }
    }
  }

  @Override
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    for (Entry e : entries.values()) {
      endReadyPeriod(e);
      e.subchannel.shutdown();
    }
    entries = new LinkedHashMap<>();
    subchannelsById = Map.of();
    LoadBalancer b = balancer;
    if (b != null) {
      b.close();
    }
    gauges.close();
    unregister.run();
  }

  /** The current balancer, or null before the first resolution; for tests. */
  @Nullable LoadBalancer balancer() {
    return balancer;
  }

  /** A copy of the balancer's statistics, or null before the first addresses; any thread. */
  @Override
  public @Nullable BalancerStats stats() {
    LoadBalancer b = balancer;
    return b == null ? null : b.stats();
  }

  @Override
  public boolean hasEndpoint(String endpointId) {
    LoadBalancer b = balancer;
    return b != null && b.health(endpointId) != null;
  }

  @Override
  public CompletionStage<DrainResult> drain(String endpointId, Duration timeout) {
    outOfRotation.add(endpointId);
    return onBalancer(b -> b.drain(endpointId, timeout));
  }

  @Override
  public boolean disable(String endpointId) {
    outOfRotation.add(endpointId);
    return onBalancer(b -> b.disable(endpointId));
  }

  @Override
  public boolean enable(String endpointId) {
    outOfRotation.remove(endpointId);
    return onBalancer(b -> b.enable(endpointId));
  }

  /**
   * Runs a control call on the current balancer, read after the call wrote {@link #outOfRotation}.
   * Should a rebuild close that balancer meanwhile, the call runs again on its successor (which the
   * rebuild has given the same out-of-rotation set).
   */
  private <T> T onBalancer(Function<LoadBalancer, T> call) {
    LoadBalancer b = balancer;
    if (b == null) {
      throw new IllegalStateException("the lb policy of '" + target + "' has no balancer yet");
    }
    try {
      return call.apply(b);
    } catch (IllegalStateException closed) {
      LoadBalancer next = balancer;
      if (next == null || next == b) {
        throw closed;
      }
      return call.apply(next);
    }
  }

  @Override
  public String toString() {
    return "LbPolicy{" + authority + ", " + entries.size() + " subchannels}";
  }

  /** One resolved endpoint and its subchannel; confined to the synchronization context. */
  private static final class Entry {
    Endpoint endpoint;
    EquivalentAddressGroup group;
    final Subchannel subchannel;
    ConnectivityState state = ConnectivityState.IDLE;
    // The picks of the current READY period whose stream has not started; null when not READY.
    @Nullable PendingPicks pending;
    // What the balancer was last told: marked up (true), down (false), or nothing yet (null).
    @Nullable Boolean markedUp;
    // The out-of-band ORCA reporting period asked of the server; -1 when none is.
    long oobPeriodNanos = -1;

    // Made by the ORCA reporting helper: it can stream out-of-band reports.
    final boolean orcaCapable;

    Entry(
        Endpoint endpoint,
        EquivalentAddressGroup group,
        Subchannel subchannel,
        boolean orcaCapable) {
      this.endpoint = endpoint;
      this.group = group;
      this.subchannel = subchannel;
      this.orcaCapable = orcaCapable;
    }
  }

  private record Desired(Endpoint endpoint, EquivalentAddressGroup group) {}

  /** Fails picks with one status; gRPC keeps wait-for-ready calls buffered instead. */
  private static final class ErrorPicker extends SubchannelPicker {
    private final PickResult result;

    ErrorPicker(Status status) {
      this.result = PickResult.withError(status);
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }

    @Override
    public String toString() {
      return "ErrorPicker{" + result.getStatus() + "}";
    }
  }
}
