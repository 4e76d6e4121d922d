package dev.lb.benchmarks.peers;

import com.google.common.hash.Hashing;
import dev.lb.benchmarks.Backends;

/**
 * Every consistent-hash lookup the hash benchmark runs side by side: lb's hash strategies and the
 * peers', over the same endpoints and keys.
 */
public enum HashType {
  /** lb {@code ring_hash}, precomputed 64-bit key. */
  LB_RING_HASH,
  /** lb {@code ring_hash}, string key hashed with XXH64 on every lookup. */
  LB_RING_HASH_STRING_KEY,
  /** lb {@code maglev}, precomputed 64-bit key. */
  LB_MAGLEV,
  /** lb {@code rendezvous_hash} (O(n) per lookup), precomputed 64-bit key. */
  LB_RENDEZVOUS_HASH,
  /** lb {@code jump_hash}, precomputed 64-bit key. */
  LB_JUMP_HASH,
  /** lb {@code bounded_load_hash} (idle members: no load bound hit), precomputed 64-bit key. */
  LB_BOUNDED_LOAD_HASH,
  /** grpc-java {@code ring_hash_experimental} picker, hash in the call options. */
  GRPC_RING_HASH,
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
    return switch (this) {
      case LB_RING_HASH -> LbHash.lookup("ring_hash", false, n);
      case LB_RING_HASH_STRING_KEY -> LbHash.lookup("ring_hash", true, n);
      case LB_MAGLEV -> LbHash.lookup("maglev", false, n);
      case LB_RENDEZVOUS_HASH -> LbHash.lookup("rendezvous_hash", false, n);
      case LB_JUMP_HASH -> LbHash.lookup("jump_hash", false, n);
      case LB_BOUNDED_LOAD_HASH -> LbHash.lookup("bounded_load_hash", false, n);
      case GRPC_RING_HASH -> GrpcPeers.ringHash(n);
      case DUBBO_CONSISTENT_HASH -> DubboPeers.consistentHash(n);
      case VERTX_CONSISTENT_HASHING -> VertxPeers.consistentHash(n);
      case ARMERIA_STICKY -> ArmeriaPeers.sticky(n);
      case GUAVA_CONSISTENT_HASH -> {
        long[] keys = Backends.longKeys();
        Object[] endpoints = Backends.endpoints(n).toArray();
        yield keyIndex -> endpoints[Hashing.consistentHash(keys[keyIndex], n)];
      }
    };
  }
}
