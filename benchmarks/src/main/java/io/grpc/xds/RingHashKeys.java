package io.grpc.xds;

import io.grpc.CallOptions;

/**
 * Reaches the call option through which grpc-java's xDS name resolver hands {@code ring_hash} its
 * request hash. The key is package-private in grpc-xds, so this one class lives in that package on
 * the benchmarks' class path; it reads the key and nothing else.
 */
public final class RingHashKeys {
  private RingHashKeys() {}

  /**
   * Returns call options that carry {@code hash} as the request hash, as xDS routing would.
   *
   * @param hash the request's 64-bit hash
   * @return default call options with the ring-hash key set
   */
  public static CallOptions withHash(long hash) {
    return CallOptions.DEFAULT.withOption(XdsNameResolver.RPC_HASH_KEY, hash);
  }
}
