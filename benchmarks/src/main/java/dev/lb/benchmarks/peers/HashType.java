package dev.lb.benchmarks.peers;

import com.google.common.hash.Hashing;
import dev.lb.benchmarks.Backends;

/**
 * Every consistent-hash lookup the hash benchmark runs side by side. lb's hash strategies (ring,
 * Maglev, rendezvous, jump, bounded load) join this list when {@code dev.lb.hash} lands in lb-core.
 */
public enum HashType {
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
    switch (this) {
      case GRPC_RING_HASH:
        return GrpcPeers.ringHash(n);
      case DUBBO_CONSISTENT_HASH:
        return DubboPeers.consistentHash(n);
      case VERTX_CONSISTENT_HASHING:
        return VertxPeers.consistentHash(n);
      case ARMERIA_STICKY:
        return ArmeriaPeers.sticky(n);
      case GUAVA_CONSISTENT_HASH:
        long[] keys = Backends.longKeys();
        Object[] endpoints = Backends.endpoints(n).toArray();
        return keyIndex -> endpoints[Hashing.consistentHash(keys[keyIndex], n)];
    }
    throw new AssertionError(this);
  }
}
