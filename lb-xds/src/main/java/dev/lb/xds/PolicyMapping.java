package dev.lb.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.lb.hash.HashStrategies;
import dev.lb.strategy.OrcaWeightedRoundRobin;
import dev.lb.strategy.Strategies;
import dev.lb.strategy.Strategy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The pure part of reading a CDS cluster's load-balancing policy: Envoy's {@code lb_policy} enum
 * with its {@code *_lb_config}, or the typed {@code load_balancing_policy} list, to the lb strategy
 * that balances the same way. No state, no I/O.
 *
 * <p>The typed list is read as gRPC reads it (gRFC A52): the first policy whose type lb supports
 * wins; a supported type with an invalid configuration (a value out of Envoy's range) rejects the
 * cluster; a list in which no policy is supported rejects it too, naming every type and why it was
 * passed over. {@code wrr_locality} is read through to its {@code endpoint_picking_policy} (the
 * locality weights are already in the endpoints' weights, see {@link AssignmentMapping}), at most
 * 16 levels deep.
 *
 * <table>
 *   <caption>Policies and the strategies they become</caption>
 *   <tr><th>xDS</th><th>lb strategy</th></tr>
 *   <tr><td>{@code ROUND_ROBIN}, {@code round_robin.v3.RoundRobin}</td>
 *       <td>{@code weighted_round_robin} (Envoy's round robin honours weights)</td></tr>
 *   <tr><td>{@code LEAST_REQUEST} / {@code least_request.v3.LeastRequest}, {@code choice_count} 2
 *       (the default)</td><td>{@code p2c}: of two endpoints drawn by weight, fewer calls in flight
 *       per unit of weight</td></tr>
 *   <tr><td>the same, {@code choice_count} 3 to 100</td><td>{@code least_request_N} ({@link
 *       LeastRequestStrategy}): the same over N draws</td></tr>
 *   <tr><td>{@code least_request.v3.LeastRequest}, {@code selection_method: FULL_SCAN}</td>
 *       <td>{@code least_connections}</td></tr>
 *   <tr><td>{@code RING_HASH} / {@code ring_hash.v3.RingHash}</td><td>{@code ring_hash}, sized by
 *       {@code minimum_ring_size} and {@code maximum_ring_size} ({@link EnvoyRingHash})</td></tr>
 *   <tr><td>{@code MAGLEV} / {@code maglev.v3.Maglev}</td><td>{@code maglev} with a fixed table of
 *       {@code table_size} (65,537 when unset, as Envoy)</td></tr>
 *   <tr><td>{@code RANDOM} / {@code random.v3.Random}</td><td>{@code random}</td></tr>
 *   <tr><td>{@code client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin}</td>
 *       <td>{@code orca_weighted_round_robin} with its blackout, expiration and update periods, its
 *       error utilization penalty and its out-of-band reporting settings</td></tr>
 * </table>
 *
 * <p>Passed over in a typed list (and rejected as the only choice): {@code MURMUR_HASH_2} rings (lb
 * hashes with XXH64 only), client-side weighted round robin with {@code
 * metric_names_for_computing_utilization} (lb computes utilization from CPU, as gRFC A58 does
 * without them), Envoy's {@code subset} policy (it selects endpoints by metadata, which lb does
 * not; lb's own {@link dev.lb.subset.Subsetting} is set on the balancer in code), {@code
 * pick_first}, {@code cluster_provided}, and any type lb does not know. The enum's {@code
 * CLUSTER_PROVIDED} and {@code LOAD_BALANCING_POLICY_CONFIG} are rejected. Ignored, as gRPC ignores
 * them: per-policy slow start ({@code slow_start_config}: slow start is a balancer option),
 * locality settings ({@code locality_lb_config}), Envoy's {@code active_request_bias}, and {@code
 * consistent_hashing_lb_config}. Hash keys come from the caller's {@link dev.lb.PickContext} (in
 * lb-okhttp its {@code KeyExtractor}, in lb-grpc the policy's hash header), not from RDS hash
 * policies, and lb's ring places points its own way, so lb clients agree with each other on a key's
 * endpoint, not with Envoy's or gRPC's rings.
 */
final class PolicyMapping {
  private static final String EXTENSIONS =
      "type.googleapis.com/envoy.extensions.load_balancing_policies.";
  static final String ROUND_ROBIN = EXTENSIONS + "round_robin.v3.RoundRobin";
  static final String LEAST_REQUEST = EXTENSIONS + "least_request.v3.LeastRequest";
  static final String RING_HASH = EXTENSIONS + "ring_hash.v3.RingHash";
  static final String MAGLEV = EXTENSIONS + "maglev.v3.Maglev";
  static final String RANDOM = EXTENSIONS + "random.v3.Random";
  static final String WRR_LOCALITY = EXTENSIONS + "wrr_locality.v3.WrrLocality";
  static final String CLIENT_SIDE_WRR =
      EXTENSIONS + "client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin";

  /** Envoy's default ring bounds ({@code RingHashLbConfig}). */
  static final long DEFAULT_MIN_RING = 1024;

  static final long DEFAULT_MAX_RING = 8 * 1024 * 1024;
  static final long ENVOY_RING_LIMIT = 8 * 1024 * 1024;

  /** Envoy's default and largest Maglev tables. */
  static final int DEFAULT_MAGLEV_TABLE = 65_537;

  static final long ENVOY_MAGLEV_LIMIT = 5_000_011;
  private static final int MAX_DEPTH = 16;

  private PolicyMapping() {}

  /** Which lb strategy balances a cluster, with its settings: equal policies are equal values. */
  enum Kind {
    WEIGHTED_ROUND_ROBIN,
    LEAST_REQUEST,
    LEAST_CONNECTIONS,
    RING_HASH,
    MAGLEV,
    RANDOM,
    ORCA_WEIGHTED_ROUND_ROBIN
  }

  /**
   * A cluster's policy as lb applies it.
   *
   * @param source the enum's name ({@code ROUND_ROBIN}...) or the chosen typed policy's type URL
   * @param kind the strategy it maps to
   * @param choiceCount for {@code LEAST_REQUEST}, the draws per pick; else 0
   * @param minRingSize for {@code RING_HASH}, the ring's least size; else 0
   * @param maxRingSize for {@code RING_HASH}, the ring's largest size; else 0
   * @param maglevTableSize for {@code MAGLEV}, the table's size; else 0
   * @param orca for {@code ORCA_WEIGHTED_ROUND_ROBIN}, the configured strategy; else null
   */
  record PolicySpec(
      String source,
      Kind kind,
      int choiceCount,
      long minRingSize,
      long maxRingSize,
      int maglevTableSize,
      @org.jspecify.annotations.Nullable OrcaWeightedRoundRobin orca) {
    static final PolicySpec DEFAULT = simple("ROUND_ROBIN", Kind.WEIGHTED_ROUND_ROBIN);

    static PolicySpec simple(String source, Kind kind) {
      return new PolicySpec(source, kind, 0, 0, 0, 0, null);
    }

    /** A new strategy for this policy; equal specs build strategies that pick alike. */
    Strategy strategy() {
      return switch (kind) {
        case WEIGHTED_ROUND_ROBIN -> Strategies.weightedRoundRobin();
        case LEAST_REQUEST ->
            choiceCount == 2
                ? Strategies.powerOfTwoChoices()
                : new LeastRequestStrategy(choiceCount);
        case LEAST_CONNECTIONS -> Strategies.leastConnections();
        case RING_HASH -> new EnvoyRingHash(minRingSize, maxRingSize);
        case MAGLEV -> HashStrategies.builder().maglevTableSize(maglevTableSize).maglev();
        case RANDOM -> Strategies.random();
        case ORCA_WEIGHTED_ROUND_ROBIN -> java.util.Objects.requireNonNull(orca);
      };
    }
  }

  /**
   * Reads the policy of {@code cluster}.
   *
   * @throws IllegalArgumentException naming the cluster and the field when the policy is invalid or
   *     none in the list is supported
   */
  static PolicySpec read(Cluster cluster) {
    String name = cluster.getName();
    if (cluster.hasLoadBalancingPolicy()) {
      return typed(name, cluster.getLoadBalancingPolicy(), 0);
    }
    Cluster.LbPolicy policy = cluster.getLbPolicy();
    return switch (policy) {
      case ROUND_ROBIN -> PolicySpec.DEFAULT;
      case LEAST_REQUEST -> {
        int count = 2;
        if (cluster.hasLeastRequestLbConfig()
            && cluster.getLeastRequestLbConfig().hasChoiceCount()) {
          count =
              choiceCount(
                  name,
                  "least_request_lb_config.choice_count",
                  cluster.getLeastRequestLbConfig().getChoiceCount().getValue());
        }
        yield new PolicySpec("LEAST_REQUEST", Kind.LEAST_REQUEST, count, 0, 0, 0, null);
      }
      case RING_HASH -> {
        Cluster.RingHashLbConfig c = cluster.getRingHashLbConfig();
        if (c.getHashFunction() == Cluster.RingHashLbConfig.HashFunction.MURMUR_HASH_2) {
          throw invalid(
              name,
              "ring_hash_lb_config.hash_function MURMUR_HASH_2 is not supported (lb hashes with"
                  + " XX_HASH only)");
        }
        if (c.getHashFunctionValue() != 0) {
          throw invalid(
              name,
              "ring_hash_lb_config.hash_function " + c.getHashFunctionValue() + " is not known");
        }
        yield ring(
            name,
            "ring_hash_lb_config",
            c.hasMinimumRingSize() ? c.getMinimumRingSize().getValue() : -1,
            c.hasMaximumRingSize() ? c.getMaximumRingSize().getValue() : -1,
            "RING_HASH");
      }
      case MAGLEV ->
          maglev(
              name,
              "maglev_lb_config.table_size",
              cluster.getMaglevLbConfig().hasTableSize()
                  ? cluster.getMaglevLbConfig().getTableSize().getValue()
                  : -1,
              "MAGLEV");
      case RANDOM -> PolicySpec.simple("RANDOM", Kind.RANDOM);
      case UNRECOGNIZED ->
          throw invalid(name, "lb_policy " + cluster.getLbPolicyValue() + " is not known");
      default ->
          throw invalid(
              name,
              "lb_policy "
                  + policy
                  + " is not supported (ROUND_ROBIN, LEAST_REQUEST, RING_HASH, MAGLEV, RANDOM, or"
                  + " a load_balancing_policy)");
    };
  }

  private static PolicySpec typed(String name, LoadBalancingPolicy list, int depth) {
    if (list.getPoliciesCount() == 0) {
      throw invalid(name, "load_balancing_policy lists no policy");
    }
    if (depth >= MAX_DEPTH) {
      throw invalid(name, "load_balancing_policy nests more than " + MAX_DEPTH + " levels deep");
    }
    List<String> passedOver = new ArrayList<>();
    for (LoadBalancingPolicy.Policy p : list.getPoliciesList()) {
      Any config = p.getTypedExtensionConfig().getTypedConfig();
      String type = config.getTypeUrl();
      String why = unsupported(config);
      if (why != null) {
        passedOver.add((type.isEmpty() ? "(no typed_config)" : type) + ": " + why);
        continue;
      }
      try {
        return typedPolicy(name, type, config, depth);
      } catch (InvalidProtocolBufferException e) {
        throw invalid(
            name, "load_balancing_policy " + type + " cannot be decoded: " + e.getMessage());
      }
    }
    throw invalid(
        name,
        "load_balancing_policy lists no policy lb supports: " + String.join("; ", passedOver));
  }

  /** Why lb cannot run a typed policy, or null if it can; the config is decoded to tell. */
  private static @org.jspecify.annotations.Nullable String unsupported(Any config) {
    try {
      return switch (config.getTypeUrl()) {
        case ROUND_ROBIN, LEAST_REQUEST, MAGLEV, RANDOM, WRR_LOCALITY -> null;
        case RING_HASH ->
            config.unpack(RingHash.class).getHashFunction() == RingHash.HashFunction.MURMUR_HASH_2
                ? "MURMUR_HASH_2 is not supported (lb hashes with XX_HASH only)"
                : null;
        case CLIENT_SIDE_WRR ->
            config
                        .unpack(ClientSideWeightedRoundRobin.class)
                        .getMetricNamesForComputingUtilizationCount()
                    > 0
                ? "metric_names_for_computing_utilization is not supported (lb computes utilization"
                    + " from CPU)"
                : null;
        case EXTENSIONS + "subset.v3.Subset" ->
            "metadata subsetting is not supported (lb's subsetting is set on the balancer)";
        default -> "not a policy lb supports";
      };
    } catch (InvalidProtocolBufferException e) {
      return null; // decoded again by typedPolicy, which rejects it
    }
  }

  private static PolicySpec typedPolicy(String name, String type, Any config, int depth)
      throws InvalidProtocolBufferException {
    switch (type) {
      case ROUND_ROBIN -> {
        return PolicySpec.simple(type, Kind.WEIGHTED_ROUND_ROBIN);
      }
      case RANDOM -> {
        return PolicySpec.simple(type, Kind.RANDOM);
      }
      case WRR_LOCALITY -> {
        WrrLocality w = config.unpack(WrrLocality.class);
        if (!w.hasEndpointPickingPolicy()) {
          throw invalid(name, "wrr_locality has no endpoint_picking_policy");
        }
        return typed(name, w.getEndpointPickingPolicy(), depth + 1);
      }
      case LEAST_REQUEST -> {
        LeastRequest l = config.unpack(LeastRequest.class);
        if (l.getSelectionMethod() == LeastRequest.SelectionMethod.FULL_SCAN) {
          return PolicySpec.simple(type, Kind.LEAST_CONNECTIONS);
        }
        if (l.getSelectionMethodValue() != 0) {
          throw invalid(
              name,
              "least_request.selection_method " + l.getSelectionMethodValue() + " is not known");
        }
        int count =
            l.hasChoiceCount()
                ? choiceCount(name, "least_request.choice_count", l.getChoiceCount().getValue())
                : 2;
        return new PolicySpec(type, Kind.LEAST_REQUEST, count, 0, 0, 0, null);
      }
      case RING_HASH -> {
        RingHash r = config.unpack(RingHash.class);
        if (r.getHashFunctionValue() > RingHash.HashFunction.MURMUR_HASH_2_VALUE) {
          throw invalid(
              name, "ring_hash.hash_function " + r.getHashFunctionValue() + " is not known");
        }
        return ring(
            name,
            "ring_hash",
            r.hasMinimumRingSize() ? r.getMinimumRingSize().getValue() : -1,
            r.hasMaximumRingSize() ? r.getMaximumRingSize().getValue() : -1,
            type);
      }
      case MAGLEV -> {
        Maglev m = config.unpack(Maglev.class);
        return maglev(
            name, "maglev.table_size", m.hasTableSize() ? m.getTableSize().getValue() : -1, type);
      }
      case CLIENT_SIDE_WRR -> {
        return new PolicySpec(
            type,
            Kind.ORCA_WEIGHTED_ROUND_ROBIN,
            0,
            0,
            0,
            0,
            orca(name, config.unpack(ClientSideWeightedRoundRobin.class)));
      }
      default -> throw new IllegalStateException("unsupported() let " + type + " through");
    }
  }

  private static int choiceCount(String name, String field, int unsigned) {
    long count = Integer.toUnsignedLong(unsigned);
    if (count < 2 || count > 100) {
      throw invalid(name, field + " must be in 2..100 but was " + count);
    }
    return (int) count;
  }

  /** {@code min}, {@code max}: -1 when unset. Envoy's bounds: min in 1..8M, max up to 8M. */
  private static PolicySpec ring(String name, String field, long min, long max, String source) {
    long least = min < 0 ? DEFAULT_MIN_RING : min;
    long most = max < 0 ? DEFAULT_MAX_RING : max;
    if (least < 1 || least > ENVOY_RING_LIMIT) {
      throw invalid(
          name, field + ".minimum_ring_size must be in 1.." + ENVOY_RING_LIMIT + " but was " + min);
    }
    if (most > ENVOY_RING_LIMIT) {
      throw invalid(
          name,
          field + ".maximum_ring_size must be at most " + ENVOY_RING_LIMIT + " but was " + max);
    }
    if (most < least) {
      throw invalid(
          name,
          field
              + ".maximum_ring_size ("
              + most
              + ") must not be below minimum_ring_size ("
              + least
              + ")");
    }
    return new PolicySpec(source, Kind.RING_HASH, 0, least, most, 0, null);
  }

  private static PolicySpec maglev(String name, String field, long size, String source) {
    long table = size < 0 ? DEFAULT_MAGLEV_TABLE : size;
    if (table < 3 || table > ENVOY_MAGLEV_LIMIT || !isPrime(table)) {
      throw invalid(
          name, field + " must be a prime in 3.." + ENVOY_MAGLEV_LIMIT + " but was " + size);
    }
    return new PolicySpec(source, Kind.MAGLEV, 0, 0, 0, (int) table, null);
  }

  private static boolean isPrime(long n) {
    if (n % 2 == 0) {
      return n == 2;
    }
    for (long d = 3; d * d <= n; d += 2) {
      if (n % d == 0) {
        return false;
      }
    }
    return true;
  }

  /** gRFC A58's options; unset ones keep A58's defaults, as lb's strategy has them. */
  private static OrcaWeightedRoundRobin orca(String name, ClientSideWeightedRoundRobin c) {
    OrcaWeightedRoundRobin.Builder b = OrcaWeightedRoundRobin.builder();
    try {
      if (c.hasEnableOobLoadReport()) {
        b.enableOobLoadReport(c.getEnableOobLoadReport().getValue());
      }
      if (c.hasOobReportingPeriod()) {
        b.oobReportingPeriod(duration(c.getOobReportingPeriod()));
      }
      if (c.hasBlackoutPeriod()) {
        b.blackoutPeriod(duration(c.getBlackoutPeriod()));
      }
      if (c.hasWeightExpirationPeriod()) {
        b.weightExpirationPeriod(duration(c.getWeightExpirationPeriod()));
      }
      if (c.hasWeightUpdatePeriod()) {
        // A58: an update period below 100 ms is raised to 100 ms.
        Duration update = duration(c.getWeightUpdatePeriod());
        b.weightUpdatePeriod(
            update.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : update);
      }
      if (c.hasErrorUtilizationPenalty()) {
        b.errorUtilizationPenalty(c.getErrorUtilizationPenalty().getValue());
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw invalid(name, "client_side_weighted_round_robin: " + e.getMessage());
    }
  }

  private static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  private static IllegalArgumentException invalid(String cluster, String problem) {
    return new IllegalArgumentException("Cluster '" + cluster + "': " + problem);
  }
}
