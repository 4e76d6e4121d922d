package dev.lb.grpc;

import dev.lb.StrategyRegistry;
import dev.lb.Ticker;
import dev.lb.TrafficPolicy;
import dev.lb.hash.HashStrategies;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * gRPC load-balancing policies that pick with lb-core: one policy per built-in strategy, named
 * {@code lb_} + the strategy's name ({@code lb_round_robin}, {@code lb_weighted_round_robin},
 * {@code lb_least_connections}, {@code lb_p2c}, {@code lb_peak_ewma}, {@code lb_ring_hash}, {@code
 * lb_maglev}, ...), and the generic {@code lb} policy whose {@code strategy} option names any
 * strategy {@link StrategyRegistry#byName} knows. All are registered through {@code
 * META-INF/services}; select one by name or by service config.
 *
 * <pre>{@code
 * ManagedChannelBuilder.forTarget("lb:///users").defaultLoadBalancingPolicy("lb_peak_ewma");
 *
 * // or in the service config:
 * {"loadBalancingConfig": [{"lb_weighted_round_robin": {
 *     "hashHeader": "x-user-id",
 *     "failureStatuses": ["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"],
 *     "decayWindow": "10s"}}]}
 * }</pre>
 *
 * <p>Options (all optional; unknown ones are rejected): {@code strategy} (generic {@code lb} policy
 * only; defaults to {@code round_robin}), {@code decayWindow} (duration such as {@code "10s"}: the
 * time constant of peak-EWMA latency and throughput), {@code hashHeader} (a request header whose
 * value becomes the call's affinity key; {@link LbCallOptions#PICK_CONTEXT} takes precedence),
 * {@code failureStatuses} (the final status codes that count against the endpoint; defaults to
 * UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL and UNKNOWN; CANCELLED always counts
 * as a cancellation, every other code as a success), {@code healthCheck} (active checks with the
 * gRPC health protocol), and lb-core's balancer options: {@code outlierDetection} (an object with
 * {@code interval}, {@code baseEjectionTime}, {@code maxEjectionTime}, {@code maxEjectionPercent},
 * {@code consecutiveFailures}, {@code successRate} and {@code failurePercentage}, or {@code false}
 * to turn it off), {@code slowStart} ({@code window}, {@code minWeightPercent}, {@code
 * aggression}), {@code panicThreshold} (0 to 100), {@code localZone}, {@code
 * overprovisioningFactor}, {@code maxInFlightPerEndpoint}, {@code concurrencyLimitPerEndpoint} and
 * {@code concurrencyLimit} (an adaptive or fixed limit per endpoint and per channel: {@code
 * algorithm} {@code fixed}, {@code vegas} or {@code gradient} with its options) and {@code
 * circuitBreaker} (a breaker per endpoint with {@link dev.lb.breaker.CircuitBreakerConfig}'s
 * options). Durations are strings such as {@code "10s"} or {@code "0.5s"}. An invalid config is
 * rejected with an {@code UNAVAILABLE} status (as gRPC's own policies reject theirs) whose
 * description names the policy, the option and the bad value; gRPC then keeps the channel on its
 * previous valid config.
 *
 * <p>Every resolved endpoint is a member of the policy's lb-core balancer (default health options:
 * outlier detection on, panic below 50% healthy); an endpoint whose subchannel is not READY is
 * marked down until it is. A change of strategy, decay window, health check or balancer option
 * builds a new balancer (statistics restart). The balancer's events are logged on the channel's
 * {@code ChannelLogger} and reach the listeners of {@link LbChannels#addListener}. Each RPC attempt
 * picks one READY subchannel through the balancer and reports its outcome on the lease through a
 * stream tracer: the latency from stream start to close, the response's wire bytes, and the
 * classified status. Weights, zones and priorities come from the resolved addresses ({@link
 * LbAttributes}); the {@code lb} resolver carries them, other resolvers give weight 1.
 *
 * <h2>Threading</h2>
 *
 * <p>The provider is immutable and thread-safe. Each policy it creates changes state only on its
 * channel's {@link io.grpc.SynchronizationContext} (addresses, subchannel states, configuration,
 * the balancer's membership), publishing a new picker after each change; picks are lock-free and
 * run on the calling threads.
 *
 * <p>Subclass only to register a policy for a custom {@link Strategy} through {@code
 * META-INF/services}; otherwise use {@link #LbLoadBalancerProvider(String, Strategy)} and {@link
 * io.grpc.LoadBalancerRegistry#register}.
 */
public class LbLoadBalancerProvider extends LoadBalancerProvider {
  /** The prefix of the per-strategy policy names. */
  public static final String POLICY_PREFIX = "lb_";

  /** The name of the generic policy, whose {@code strategy} option chooses the strategy. */
  public static final String GENERIC_POLICY_NAME = "lb";

  private final String policyName;
  private final @Nullable Strategy strategy;
  private final @Nullable TrafficPolicy trafficPolicy;

  /** The generic {@code lb} policy: the service config's {@code strategy} option chooses. */
  public LbLoadBalancerProvider() {
    this.policyName = GENERIC_POLICY_NAME;
    this.strategy = null;
    this.trafficPolicy = null;
  }

  /**
   * A policy that always picks with {@code strategy}.
   *
   * @param policyName the name service configs select the policy by, such as {@code lb_custom}
   * @param strategy the strategy every channel of this policy picks with
   * @throws NullPointerException if either argument is null
   * @throws IllegalArgumentException if {@code policyName} is blank
   */
  public LbLoadBalancerProvider(String policyName, Strategy strategy) {
    this.policyName = checkPolicyName(policyName);
    this.strategy = Objects.requireNonNull(strategy, "strategy must not be null");
    this.trafficPolicy = null;
  }

  /**
   * A policy that always picks with {@code strategy} and follows {@code trafficPolicy}: its drops
   * fail calls as gRPC drops (UNAVAILABLE, not retried, wait-for-ready or not), and its
   * overprovisioning factor is the balancers' (so a service config may not set {@code
   * overprovisioningFactor}). lb-xds's {@code XdsCluster} hands out both for a cluster.
   *
   * @param policyName the name service configs select the policy by, such as {@code lb_xds_users}
   * @param strategy the strategy every channel of this policy picks with
   * @param trafficPolicy the drops and factor every channel of this policy follows
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code policyName} is blank
   */
  public LbLoadBalancerProvider(String policyName, Strategy strategy, TrafficPolicy trafficPolicy) {
    this.policyName = checkPolicyName(policyName);
    this.strategy = Objects.requireNonNull(strategy, "strategy must not be null");
    this.trafficPolicy = Objects.requireNonNull(trafficPolicy, "trafficPolicy must not be null");
  }

  private static String checkPolicyName(String policyName) {
    Objects.requireNonNull(policyName, "policyName must not be null");
    if (policyName.isBlank()) {
      throw new IllegalArgumentException(
          "policyName must not be blank but was '" + policyName + "'");
    }
    return policyName;
  }

  /**
   * Always available: the policy needs nothing beyond gRPC's API.
   *
   * @return true
   */
  @Override
  public boolean isAvailable() {
    return true;
  }

  /**
   * The default priority of gRPC's own providers.
   *
   * @return 5
   */
  @Override
  public int getPriority() {
    return 5;
  }

  /**
   * The name service configs and {@code defaultLoadBalancingPolicy} select this policy by.
   *
   * @return {@code lb}, {@code lb_} + a strategy name, or the custom name given
   */
  @Override
  public String getPolicyName() {
    return policyName;
  }

  /**
   * Creates the policy for one channel.
   *
   * @param helper the channel's helper
   * @return a new policy, which uses the default options until a service config says otherwise
   */
  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    Strategy s = strategy != null ? strategy : Strategies.roundRobin();
    return new LbPolicy(helper, PolicyConfig.defaults(s), Ticker.systemTicker(), trafficPolicy);
  }

  /**
   * Parses and validates this policy's service config object.
   *
   * @param rawConfig the policy's JSON object from the service config
   * @return the parsed config, or an {@code UNAVAILABLE} error naming the option and quoting the
   *     bad value
   */
  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    if (trafficPolicy != null && rawConfig.containsKey("overprovisioningFactor")) {
      return ConfigOrError.fromError(
          Status.UNAVAILABLE.withDescription(
              "invalid "
                  + policyName
                  + " config "
                  + rawConfig
                  + ": overprovisioningFactor cannot be set: the policy follows a TrafficPolicy,"
                  + " whose factor ("
                  + trafficPolicy.overprovisioningFactor()
                  + ") its balancers use"));
    }
    return PolicyConfig.parse(policyName, strategy, rawConfig);
  }

  private static String policyName(Strategy strategy) {
    return POLICY_PREFIX + strategy.name();
  }

  /** {@code lb_round_robin}: {@link Strategies#roundRobin()}. */
  public static final class RoundRobin extends LbLoadBalancerProvider {
    /** The {@code lb_round_robin} policy. */
    public RoundRobin() {
      super(policyName(Strategies.roundRobin()), Strategies.roundRobin());
    }
  }

  /** {@code lb_weighted_round_robin}: {@link Strategies#weightedRoundRobin()}, static weights. */
  public static final class WeightedRoundRobin extends LbLoadBalancerProvider {
    /** The {@code lb_weighted_round_robin} policy. */
    public WeightedRoundRobin() {
      super(policyName(Strategies.weightedRoundRobin()), Strategies.weightedRoundRobin());
    }
  }

  /** {@code lb_random}: {@link Strategies#random()}. */
  public static final class Random extends LbLoadBalancerProvider {
    /** The {@code lb_random} policy. */
    public Random() {
      super(policyName(Strategies.random()), Strategies.random());
    }
  }

  /** {@code lb_weighted_random}: {@link Strategies#weightedRandom()}. */
  public static final class WeightedRandom extends LbLoadBalancerProvider {
    /** The {@code lb_weighted_random} policy. */
    public WeightedRandom() {
      super(policyName(Strategies.weightedRandom()), Strategies.weightedRandom());
    }
  }

  /** {@code lb_least_connections}: {@link Strategies#leastConnections()} (least request). */
  public static final class LeastConnections extends LbLoadBalancerProvider {
    /** The {@code lb_least_connections} policy. */
    public LeastConnections() {
      super(policyName(Strategies.leastConnections()), Strategies.leastConnections());
    }
  }

  /** {@code lb_weighted_least_connections}: {@link Strategies#weightedLeastConnections()}. */
  public static final class WeightedLeastConnections extends LbLoadBalancerProvider {
    /** The {@code lb_weighted_least_connections} policy. */
    public WeightedLeastConnections() {
      super(
          policyName(Strategies.weightedLeastConnections()), Strategies.weightedLeastConnections());
    }
  }

  /** {@code lb_least_response_time}: {@link Strategies#leastResponseTime()}. */
  public static final class LeastResponseTime extends LbLoadBalancerProvider {
    /** The {@code lb_least_response_time} policy. */
    public LeastResponseTime() {
      super(policyName(Strategies.leastResponseTime()), Strategies.leastResponseTime());
    }
  }

  /** {@code lb_least_bandwidth}: {@link Strategies#leastBandwidth()}. */
  public static final class LeastBandwidth extends LbLoadBalancerProvider {
    /** The {@code lb_least_bandwidth} policy. */
    public LeastBandwidth() {
      super(policyName(Strategies.leastBandwidth()), Strategies.leastBandwidth());
    }
  }

  /** {@code lb_p2c}: {@link Strategies#powerOfTwoChoices()} (least request of two). */
  public static final class PowerOfTwoChoices extends LbLoadBalancerProvider {
    /** The {@code lb_p2c} policy. */
    public PowerOfTwoChoices() {
      super(policyName(Strategies.powerOfTwoChoices()), Strategies.powerOfTwoChoices());
    }
  }

  /** {@code lb_peak_ewma}: {@link Strategies#peakEwma()}. */
  public static final class PeakEwma extends LbLoadBalancerProvider {
    /** The {@code lb_peak_ewma} policy. */
    public PeakEwma() {
      super(policyName(Strategies.peakEwma()), Strategies.peakEwma());
    }
  }

  /**
   * {@code lb_orca_weighted_round_robin}: {@link Strategies#orcaWeightedRoundRobin()}, gRPC's
   * {@code weighted_round_robin} (gRFC A58): weights from the ORCA load reports the servers send in
   * the {@code endpoint-load-metrics-bin} trailer, which needs {@code io.grpc:grpc-xds} on the
   * class path (gRPC's ORCA API reads it). The A58 options are set in the service config (see
   * {@link PolicyConfig}).
   */
  public static final class OrcaWeightedRoundRobin extends LbLoadBalancerProvider {
    /** The {@code lb_orca_weighted_round_robin} policy. */
    public OrcaWeightedRoundRobin() {
      super(policyName(Strategies.orcaWeightedRoundRobin()), Strategies.orcaWeightedRoundRobin());
    }
  }

  /**
   * {@code lb_prequal}: {@link Strategies#prequal()}, Prequal (NSDI 2024): each endpoint probed
   * over its own subchannel ({@link GrpcProber}, the {@link ProbeService} method) for its requests
   * in flight and latency, the hot/cold rule over the pool of answers, peak EWMA below 8 endpoints
   * or without answers. Prequal's options are set in the service config (see {@link PolicyConfig}).
   */
  public static final class Prequal extends LbLoadBalancerProvider {
    /** The {@code lb_prequal} policy. */
    public Prequal() {
      super(policyName(Strategies.prequal()), Strategies.prequal());
    }
  }

  /**
   * {@code lb_ring_hash}: {@link HashStrategies#ringHash()}, ring hash (Ketama-style consistent
   * hashing); the key comes from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class RingHash extends LbLoadBalancerProvider {
    /** The {@code lb_ring_hash} policy. */
    public RingHash() {
      super(policyName(HashStrategies.ringHash()), HashStrategies.ringHash());
    }
  }

  /**
   * {@code lb_maglev}: {@link HashStrategies#maglev()}, Maglev consistent hashing; the key comes
   * from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class Maglev extends LbLoadBalancerProvider {
    /** The {@code lb_maglev} policy. */
    public Maglev() {
      super(policyName(HashStrategies.maglev()), HashStrategies.maglev());
    }
  }

  /**
   * {@code lb_rendezvous_hash}: {@link HashStrategies#rendezvousHash()}, rendezvous (highest random
   * weight) hashing; the key comes from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class RendezvousHash extends LbLoadBalancerProvider {
    /** The {@code lb_rendezvous_hash} policy. */
    public RendezvousHash() {
      super(policyName(HashStrategies.rendezvousHash()), HashStrategies.rendezvousHash());
    }
  }

  /**
   * {@code lb_jump_hash}: {@link HashStrategies#jumpHash()}, jump consistent hashing; the key comes
   * from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class JumpHash extends LbLoadBalancerProvider {
    /** The {@code lb_jump_hash} policy. */
    public JumpHash() {
      super(policyName(HashStrategies.jumpHash()), HashStrategies.jumpHash());
    }
  }

  /**
   * {@code lb_bounded_load_hash}: {@link HashStrategies#boundedLoadHash()}, consistent hashing with
   * bounded loads; the key comes from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class BoundedLoadHash extends LbLoadBalancerProvider {
    /** The {@code lb_bounded_load_hash} policy. */
    public BoundedLoadHash() {
      super(policyName(HashStrategies.boundedLoadHash()), HashStrategies.boundedLoadHash());
    }
  }

  /**
   * {@code lb_modulo_hash}: {@link HashStrategies#moduloHash()}, hash modulo the member count; the
   * key comes from {@code hashHeader} or {@link LbCallOptions#PICK_CONTEXT}.
   */
  public static final class ModuloHash extends LbLoadBalancerProvider {
    /** The {@code lb_modulo_hash} policy. */
    public ModuloHash() {
      super(policyName(HashStrategies.moduloHash()), HashStrategies.moduloHash());
    }
  }
}
