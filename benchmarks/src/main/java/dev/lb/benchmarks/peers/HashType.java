package dev.lb.benchmarks.peers;

import com.google.common.hash.Hashing;
import dev.lb.benchmarks.Backends;
import dev.lb.hash.HashStrategies;

/**
 * Every consistent-hash lookup the hash benchmark runs side by side: lb's hash strategies and the
 * peers', over the same endpoints and keys.
 */
public enum HashType {
  /** lb {@code ring_hash} (default size), inner strategy picker, precomputed 64-bit key. */
  LB_RING_HASH,
  /**
   * lb {@code ring_hash} (default size) through {@code LoadBalancer.choose}: the layer grpc-java's
   * picker is measured at.
   */
  LB_RING_HASH_CHOOSE,
  /**
   * lb {@code ring_hash} capped at 4,096 points (grpc-java's default cap), through {@code choose}:
   * the same layer and about the same ring as {@link #GRPC_RING_HASH}.
   */
  LB_RING_HASH_4096_CHOOSE,
  /** lb {@code ring_hash}, string key hashed with XXH64 on every lookup. */
  LB_RING_HASH_STRING_KEY,
  /** lb {@code maglev}, inner strategy picker, precomputed 64-bit key. */
  LB_MAGLEV,
  /** lb {@code maglev} through {@code LoadBalancer.choose}. */
  LB_MAGLEV_CHOOSE,
  /** lb {@code rendezvous_hash} (O(n) per lookup), precomputed 64-bit key. */
  LB_RENDEZVOUS_HASH,
  /** lb {@code jump_hash}, precomputed 64-bit key. */
  LB_JUMP_HASH,
  /** lb {@code bounded_load_hash} (idle members: no load bound hit), precomputed 64-bit key. */
  LB_BOUNDED_LOAD_HASH,
  /**
   * grpc-java {@code ring_hash_experimental} picker at its defaults (minRingSize 1,024, maxRingSize
   * 4,096, and the 4,096 cap), hash in the call options.
   */
  GRPC_RING_HASH,
  /**
   * grpc-java's ring at lb's default ring size for the same endpoints (the cap raised, minRingSize
   * = maxRingSize = lb's point count): the same structure size as {@link #LB_RING_HASH_CHOOSE}.
   */
  GRPC_RING_HASH_LB_SIZE,
  /** Dubbo {@code ConsistentHashLoadBalance} (160 virtual nodes, MD5 of the argument per call). */
  DUBBO_CONSISTENT_HASH,
  /** Vert.x {@code LoadBalancer.CONSISTENT_HASHING} (hashes the string key per call). */
  VERTX_CONSISTENT_HASHING,
  /** Armeria sticky load balancer over a precomputed 64-bit key. */
  ARMERIA_STICKY,
  /** Guava {@code Hashing.consistentHash} (jump-style, bucket only). */
  GUAVA_CONSISTENT_HASH;

  /**
   * Builds this lookup over {@code n} endpoints.
   *
   * @param n the number of endpoints, at least 1
   * @return a ready target; thread-safe
   */
  public KeyedTarget create(int n) {
    return create(n, Backends.KEY_COUNT);
  }

  /**
   * Builds this lookup over {@code n} endpoints and {@code keyCount} precomputed keys.
   *
   * @param n the number of endpoints, at least 1
   * @param keyCount how many keys, a power of two
   * @return a ready target; thread-safe
   */
  public KeyedTarget create(int n, int keyCount) {
    return switch (this) {
      case LB_RING_HASH -> LbHash.lookup(HashStrategies.ringHash(), false, n, keyCount);
      case LB_RING_HASH_CHOOSE -> LbHash.choose(HashStrategies.ringHash(), n, keyCount);
      case LB_RING_HASH_4096_CHOOSE ->
          LbHash.choose(HashStrategies.builder().maxRingSize(4096).ringHash(), n, keyCount);
      case LB_RING_HASH_STRING_KEY -> LbHash.lookup(HashStrategies.ringHash(), true, n, keyCount);
      case LB_MAGLEV -> LbHash.lookup(HashStrategies.maglev(), false, n, keyCount);
      case LB_MAGLEV_CHOOSE -> LbHash.choose(HashStrategies.maglev(), n, keyCount);
      case LB_RENDEZVOUS_HASH -> LbHash.lookup(HashStrategies.rendezvousHash(), false, n, keyCount);
      case LB_JUMP_HASH -> LbHash.lookup(HashStrategies.jumpHash(), false, n, keyCount);
      case LB_BOUNDED_LOAD_HASH ->
          LbHash.lookup(HashStrategies.boundedLoadHash(), false, n, keyCount);
      case GRPC_RING_HASH -> GrpcPeers.ringHash(n, keyCount, 0);
      case GRPC_RING_HASH_LB_SIZE -> GrpcPeers.ringHash(n, keyCount, LbHash.defaultRingPoints(n));
      case DUBBO_CONSISTENT_HASH -> DubboPeers.consistentHash(n, keyCount);
      case VERTX_CONSISTENT_HASHING -> VertxPeers.consistentHash(n, keyCount);
      case ARMERIA_STICKY -> ArmeriaPeers.sticky(n, keyCount);
      case GUAVA_CONSISTENT_HASH -> {
        long[] keys = Backends.longKeys(keyCount);
        Object[] endpoints = Backends.endpoints(n).toArray();
        yield keyIndex -> endpoints[Hashing.consistentHash(keys[keyIndex], n)];
      }
    };
  }
}
